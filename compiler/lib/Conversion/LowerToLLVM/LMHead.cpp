//===- LMHead.cpp - the LM head and its compact copies -------------------===//
//
// The head reads its float table (f16 or f32), a compact copy of it that
// the lm-head option asks for (an extra weight-table entry: int8 rows,
// 4-bit blocks or a ternary estimate with reranking), or a group-scaled
// ternary table through the BitLinear kernels. The head that produces the
// returned logits runs for the caller's last logit_rows positions only.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "trit/Compiler/EnumOption.h"
#include "trit/ops.h"

using namespace mlir;
using namespace mlir::trit;
using ::trit::WeightLayout;

namespace {

/// How lm_head_rerank reads a ternary copy in `layout`.
trit_rerank_copy getRerankCopy(const LoweringState &state,
                               WeightLayout layout) {
  switch (layout) {
  case WeightLayout::TERNARY_ROWS_I2_S:
    return TRIT_RERANK_COPY_I2_S;
  case WeightLayout::TERNARY_ROWS_T3X5_X64:
    return TRIT_RERANK_COPY_T3X5_X64;
  default:
    return state.hasVbmiKernels(state.calls.getDefaultKind())
               ? TRIT_RERANK_COPY_T3X5_VBMI
               : TRIT_RERANK_COPY_T3X5;
  }
}

struct LMHeadLowering : TritOpLowering<LMHeadOp> {
  using TritOpLowering::TritOpLowering;

  /// lm-head=auto for a float table: the checked reranking head where its
  /// copy pays (a large table, stored as an external weight, with rows the
  /// copy's packing takes), else the exact head.
  LMHead chooseAutoHead(LMHeadOp op, int64_t dim) const {
    auto table = cast<RankedTensorType>(op.getTable().getType());
    auto weight = op.getTable().getDefiningOp<WeightOp>();
    WeightLayout copy = ::trit::getTernaryRowsLayout(state.ternaryLayout);
    bool fits =
        table.getDimSize(0) >= kAutoRerankMinRows && weight &&
        state.weightIndex.count(weight.getName()) &&
        dim % ::trit::getWeightLayoutInfo(copy).getColumnMultiple() == 0;
    return fits ? LMHead::Rerank : LMHead::Exact;
  }

  LogicalResult
  matchAndRewrite(LMHeadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto table = cast<RankedTensorType>(op.getTable().getType());
    bool ternary = isa<TernaryType>(table.getElementType());
    LMHead lmHead = state.lmHead;
    if (ternary && lmHead != LMHead::Exact && lmHead != LMHead::Auto)
      return fail(op, rewriter)
             << "has a ternary table, which lm-head="
             << stringifyEnumOption(lmHead)
             << " does not apply to (it makes compact copies of float "
                "tables)";
    KernelCallBuilder b(state, rewriter, op);
    int64_t dim = b.colsOf(op.getInput());
    int64_t vocab = table.getDimSize(0);
    Value ctx = state.getContext();
    Value scratch = b.scratchPointer();
    Value out = b.resultPointer();
    Value x = adaptor.getInput();
    // The returned logits: only the caller's last logit_rows positions.
    Value rows = b.rowsOf(op.getInput());
    if (op.getResult() == state.returnedLogits) {
      Value skipped =
          rewriter.create<LLVM::SubOp>(op.getLoc(), rows, state.getLogitRows());
      Value bytes =
          rewriter.create<LLVM::MulOp>(op.getLoc(), skipped, b.i64(dim * 4));
      x = b.offset(x, bytes);
      rows = state.getLogitRows();
    }

    if (ternary) {
      // A group-scaled ternary head: a BitLinear over the vocabulary.
      auto range = getOrCreateRangeFunction(
          state, rewriter, op.getLoc(), state.calls.getDefaultKind(), table);
      Value rangePtr = rewriter.create<LLVM::AddressOfOp>(op.getLoc(), range);
      b.call("lm_head_t2g", {ctx, rangePtr, x, rows, b.i64(dim),
                             adaptor.getTable(), b.i64(vocab), scratch, out});
      rewriter.replaceOp(op, out);
      return success();
    }

    int32_t tableType =
        state.getWeightLayout(op.getTable()) == WeightLayout::F16
            ? TRIT_TABLE_F16
            : TRIT_TABLE_F32;
    if (lmHead == LMHead::Auto)
      lmHead = chooseAutoHead(op, dim);
    if (lmHead == LMHead::Exact) {
      b.call("lm_head", {ctx, x, rows, b.i64(dim), adaptor.getTable(),
                         b.i32(tableType), b.i64(vocab), scratch, out});
      rewriter.replaceOp(op, out);
      return success();
    }

    // An int8 (q8_rows), 4-bit (q4_blocks) or ternary (ternary_rows_*)
    // copy of the table, as an extra weight-table entry. A reranking
    // head's copy has the BitLinears' packing, rows in lanes included.
    bool rerank = lmHead == LMHead::Rerank;
    WeightLayout copyLayout =
        rerank ? ::trit::getTernaryRowsLayout(state.ternaryLayout)
        : lmHead == LMHead::Q4 ? WeightLayout::Q4_BLOCKS
                               : WeightLayout::Q8_ROWS;
    auto weight = op.getTable().getDefiningOp<WeightOp>();
    if (!weight || !state.weightIndex.count(weight.getName()))
      return fail(op, rewriter) << "has a table that is not an external "
                                   "weight; lm-head="
                                << stringifyEnumOption(lmHead) << " needs one";
    int64_t multiple =
        ::trit::getWeightLayoutInfo(copyLayout).getColumnMultiple();
    if (dim % multiple != 0)
      return fail(op, rewriter)
             << "has rows of " << dim
             << " elements; lm-head=" << stringifyEnumOption(lmHead)
             << " needs a multiple of " << multiple;
    StringRef layoutName = ::trit::stringifyWeightLayout(copyLayout);
    std::string key = (weight.getName() + "@" + layoutName).str();
    auto [entry, added] =
        state.weightIndex.try_emplace(key, state.weightTable.size());
    if (added)
      state.weightTable.push_back(rewriter.getDictionaryAttr(
          {rewriter.getNamedAttr("layout", rewriter.getStringAttr(layoutName)),
           rewriter.getNamedAttr("name",
                                 rewriter.getStringAttr(weight.getName()))}));
    Value copy = b.call("weight", {ctx, b.i64(entry->second)});
    if (rerank) {
      b.call("lm_head_rerank",
             {ctx, x, rows, b.i64(dim), copy,
              b.i32(getRerankCopy(state, copyLayout)), adaptor.getTable(),
              b.i32(tableType), b.i64(vocab), b.i64(state.rerankCandidates),
              b.f32(float(state.rerankMargin)), scratch, out});
    } else {
      b.call(lmHead == LMHead::Q4 ? "lm_head_q4" : "lm_head_q8",
             {ctx, x, rows, b.i64(dim), copy, b.i64(vocab), scratch, out});
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

void mlir::trit::populateLMHeadPatterns(const LoweringTypeConverter &converter,
                                        LoweringState &state,
                                        RewritePatternSet &patterns) {
  patterns.add<LMHeadLowering>(converter, state);
}
