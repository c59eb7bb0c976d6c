//===- Elementwise.cpp - embedding, RMSNorm, gate, add and mul ------------===//

#include "Lowering.h"

#include "trit/Compiler/VectorCodegen.h"
#include "trit/ops.h"

using namespace mlir;
using namespace mlir::trit;
using ::trit::WeightLayout;

namespace {

/// The embedding rows of the caller's tokens, from an f16 or f32 table or
/// a group-scaled ternary one.
struct EmbeddingLowering : TritOpLowering<EmbeddingOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(EmbeddingOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getTokens() != state.modelTokens)
      return fail(op, rewriter) << "must read the model function's tokens";
    KernelCallBuilder b(state, rewriter, op);
    auto table = cast<RankedTensorType>(op.getTable().getType());
    Value out = b.resultPointer();
    std::optional<WeightLayout> layout = state.getWeightLayout(op.getTable());
    if (layout == WeightLayout::T2G64_X16 ||
        layout == WeightLayout::T2G128_X16) {
      b.call("embedding_t2g",
             {adaptor.getTable(), state.getTokens(), b.rowsOf(op.getResult()),
              b.i64(table.getDimSize(1)),
              b.i64(layout == WeightLayout::T2G128_X16 ? 128 : 64), out});
    } else {
      b.call(layout == WeightLayout::F16 ? "embedding_f16" : "embedding_f32",
             {adaptor.getTable(), state.getTokens(), b.rowsOf(op.getResult()),
              b.i64(table.getDimSize(1)), out});
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// A norm kernel call, or with norm-codegen=vector a generated loop.
struct RMSNormLowering : TritOpLowering<RMSNormOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(RMSNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    KernelCallBuilder b(state, rewriter, op);
    Value out = b.resultPointer();
    Value eps = b.f32(static_cast<float>(op.getEps().convertToDouble()));
    // A narrower weight (QK-norm) normalizes each slice of its width: rows
    // of that width, `slices` times as many.
    int64_t cols =
        cast<RankedTensorType>(op.getWeight().getType()).getDimSize(0);
    int64_t slices = b.colsOf(op.getInput()) / cols;
    Value rows = b.rowsOf(op.getInput());
    if (slices != 1)
      rows = rewriter.create<LLVM::MulOp>(op.getLoc(), rows, b.i64(slices));
    if (state.vectorNorms && cols % kVectorRMSNormLanes == 0) {
      rewriter.create<LLVM::CallOp>(
          op.getLoc(), getOrCreateVectorRMSNorm(rewriter, state.module, cols),
          ValueRange{adaptor.getInput(), adaptor.getWeight(), eps, rows, out});
    } else {
      b.call("rms_norm", {adaptor.getInput(), adaptor.getWeight(), eps, rows,
                          b.i64(cols), out});
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct GateLowering : TritOpLowering<GateOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(GateOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    KernelCallBuilder b(state, rewriter, op);
    Value out = b.resultPointer();
    b.call("gate", {b.i32(op.getKind() == GateKind::Relu2 ? TRIT_GATE_RELU2
                                                          : TRIT_GATE_SILU),
                    adaptor.getGate(), adaptor.getUp(),
                    b.elementsOf(op.getResult()), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// trit.add and trit.mul, elementwise on operands of one shape.
template <typename OpTy> struct BinaryLowering : TritOpLowering<OpTy> {
  using TritOpLowering<OpTy>::TritOpLowering;
  using typename TritOpLowering<OpTy>::OpAdaptor;
  LogicalResult
  matchAndRewrite(OpTy op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getLhs().getType() != op.getRhs().getType())
      return this->fail(op, rewriter) << "broadcasts, which the kernels do not";
    KernelCallBuilder b(this->state, rewriter, op);
    Value out = b.resultPointer();
    b.call(std::is_same_v<OpTy, AddOp> ? "add" : "mul",
           {adaptor.getLhs(), adaptor.getRhs(), b.elementsOf(op.getResult()),
            out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void mlir::trit::populateElementwisePatterns(
    const LoweringTypeConverter &converter, LoweringState &state,
    RewritePatternSet &patterns) {
  patterns.add<EmbeddingLowering, RMSNormLowering, GateLowering,
               BinaryLowering<AddOp>, BinaryLowering<MulOp>>(converter, state);
}
