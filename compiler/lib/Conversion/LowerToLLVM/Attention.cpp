//===- Attention.cpp - RoPE, the KV store and attention -------------------===//
//
// The KV cache is the context's (trit_exec_context::kv_cache, or a batched
// step's rows): the ops name their layer, and the cache values of the IR
// only order them.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "trit/ops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>

using namespace mlir;
using namespace mlir::trit;

namespace {

/// Positions are the model function's start argument or constants.
bool isPosition(const LoweringState &state, Value position) {
  return position == state.modelStart ||
         position.getDefiningOp<arith::ConstantOp>();
}

struct RopeLowering : TritOpLowering<RopeOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(RopeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // The runtime provides one table (trit.rope), which every rope shares.
    NamedAttrList table;
    table.append("head_dim", op.getHeadDimAttr());
    table.append("theta", op.getThetaAttr());
    if (op.getYarnFactor()) {
      table.append("yarn_factor", op.getYarnFactorAttr());
      table.append("yarn_original_context", op.getYarnOriginalContextAttr());
    }
    DictionaryAttr ropeTable = table.getDictionary(op.getContext());
    if (!state.ropeTable)
      state.ropeTable = ropeTable;
    if (ropeTable != state.ropeTable)
      return fail(op, rewriter)
             << "uses head_dim " << op.getHeadDim() << " and theta "
             << op.getTheta().convertToDouble()
             << (op.getYarnFactor() ? " with YaRN" : "")
             << ", but the runtime provides one RoPE table and an earlier "
                "rope uses head_dim "
             << state.ropeTable.getAs<IntegerAttr>("head_dim").getInt()
             << " and theta "
             << state.ropeTable.getAs<FloatAttr>("theta").getValueAsDouble();
    if (!isPosition(state, op.getStart()))
      return fail(op, rewriter) << "has a position that is neither the model "
                                   "function's start argument nor a constant";
    KernelCallBuilder b(state, rewriter, op);
    Value out = b.resultPointer();
    b.call("rope", {state.getContext(), adaptor.getInput(),
                    b.rowsOf(op.getInput()), b.i64(b.colsOf(op.getInput())),
                    b.i64(op.getHeadDim()), adaptor.getStart(),
                    b.i32(op.getMode() == RopeMode::NeoX ? TRIT_ROPE_NEOX
                                                         : TRIT_ROPE_NORMAL),
                    out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct KVStoreLowering : TritOpLowering<KVStoreOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(KVStoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto cache = cast<KVCacheType>(op.getCache().getType());
    if (!cache.getElementType().isF16())
      return fail(op, rewriter) << "stores into a " << cache.getElementType()
                                << " cache; the kernels keep the KV cache "
                                   "in f16";
    if (!isPosition(state, op.getStart()))
      return fail(op, rewriter) << "has a position that is neither the model "
                                   "function's start argument nor a constant";
    KernelCallBuilder b(state, rewriter, op);
    b.call("kv_store",
           {state.getContext(), b.i64(op.getLayer()), adaptor.getKeys(),
            adaptor.getValues(), b.rowsOf(op.getKeys()), adaptor.getStart(),
            b.i64(cache.getKvHeads() * cache.getHeadDim())});
    rewriter.replaceOp(op, adaptor.getCache());
    return success();
  }
};

struct AttentionLowering : TritOpLowering<AttentionOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(AttentionOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isPosition(state, op.getStart()))
      return fail(op, rewriter) << "has a position that is neither the model "
                                   "function's start argument nor a constant";
    auto cache = cast<KVCacheType>(op.getCache().getType());
    KernelCallBuilder b(state, rewriter, op);
    Value scratch = b.scratchPointer();
    Value out = b.resultPointer();
    int64_t headDim = cache.getHeadDim();
    float scale = op.getScale()
                      ? static_cast<float>(op.getScale()->convertToDouble())
                      : 1.0f / std::sqrt(static_cast<float>(headDim));
    b.call("attention",
           {state.getContext(), b.i64(op.getLayer()), adaptor.getQuery(),
            b.rowsOf(op.getQuery()), adaptor.getStart(),
            b.i64(op.getNumHeads()), b.i64(cache.getKvHeads()), b.i64(headDim),
            b.f32(scale), b.i64(state.maxContext), scratch, out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void mlir::trit::populateAttentionPatterns(
    const LoweringTypeConverter &converter, LoweringState &state,
    RewritePatternSet &patterns) {
  patterns.add<RopeLowering, KVStoreLowering, AttentionLowering>(converter,
                                                                 state);
}
