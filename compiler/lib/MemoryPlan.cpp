//===- MemoryPlan.cpp - the arena layout shared by planner and lowering ---===//

#include "trit/Compiler/MemoryPlan.h"
#include "trit/Dialect/TritOps.h"

using namespace mlir;
using namespace mlir::trit;

int64_t mlir::trit::getPlannedRows(int64_t rows, int64_t maxTokens) {
  return ShapedType::isDynamic(rows) ? maxTokens : rows;
}

QActLayout mlir::trit::getQActLayout(int64_t rows, int64_t cols,
                                     int64_t block) {
  QActLayout layout;
  int64_t scales = rows * (block > 0 ? cols / block : 1);
  layout.scales = alignArenaSize(rows * cols);
  layout.sums = layout.scales + alignArenaSize(scales * 4);
  layout.size = layout.sums + alignArenaSize(scales * 4);
  return layout;
}

std::optional<int64_t> mlir::trit::getBufferSize(Type type,
                                                 int64_t maxTokens) {
  if (auto qact = dyn_cast<QActType>(type))
    return getQActLayout(getPlannedRows(qact.getRows(), maxTokens),
                         qact.getCols(), qact.getBlock())
        .size;
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.getElementType().isIntOrFloat())
    return std::nullopt;
  int64_t elements = 1;
  for (auto [i, dim] : llvm::enumerate(tensor.getShape()))
    elements *= i == 0 ? getPlannedRows(dim, maxTokens) : dim;
  int64_t bytes = (tensor.getElementTypeBitWidth() + 7) / 8;
  return elements * bytes;
}

SmallVector<int64_t> mlir::trit::getScratchSizes(Operation *op,
                                                 int64_t maxTokens,
                                                 int64_t maxContext) {
  auto rowsOf = [&](Value v) {
    return getPlannedRows(cast<RankedTensorType>(v.getType()).getDimSize(0),
                          maxTokens);
  };
  auto colsOf = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getDimSize(1);
  };
  if (auto fused = dyn_cast<FusedBitLinearOp>(op)) {
    Value input = fused.getInput();
    int64_t rows = rowsOf(input), cols = colsOf(input);
    int64_t normed = fused.getNormWeight() ? cols * 4 : 0;
    int64_t gated = 0;
    if (fused.getGate())
      gated = rows * cast<RankedTensorType>(fused.getWeights()[0].getType())
                         .getDimSize(0) * 4;
    return {normed, getQActLayout(rows, cols, fused.getBlock().value_or(0)).size,
            gated, gated};
  }
  if (auto attention = dyn_cast<AttentionOp>(op)) {
    auto cache = cast<KVCacheType>(attention.getCache().getType());
    return {static_cast<int64_t>(attention.getNumHeads()) *
            getAttentionScratchStride(cache.getHeadDim(), maxContext) * 4};
  }
  if (auto head = dyn_cast<LMHeadOp>(op))
    return {getLMHeadScratchSize(rowsOf(head.getInput()),
                                 colsOf(head.getInput()))};
  return {};
}
