//===- MemoryPlan.h - the arena layout shared by planner and lowering -*- C++ -*-===//
//
// trit-plan-memory decides offsets; trit-lower-to-llvm turns them into
// pointers. Both size buffers and scratch with these functions, so the two
// can never disagree.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_MEMORYPLAN_H
#define TRIT_COMPILER_MEMORYPLAN_H

#include "trit/Dialect/TritDialect.h"

#include "mlir/IR/Operation.h"

#include <optional>

namespace mlir::trit {

inline constexpr llvm::StringLiteral kBuffersAttr =
    TritDialect::kBuffersAttrName;
inline constexpr llvm::StringLiteral kScratchAttr =
    TritDialect::kScratchAttrName;
inline constexpr llvm::StringLiteral kMemoryPlanAttr =
    TritDialect::kMemoryPlanAttrName;

/// Every buffer starts on a cache line.
inline constexpr int64_t kArenaAlignment = 64;
inline int64_t alignArenaSize(int64_t size) {
  return (size + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

/// Rows of a value whose leading dimension may be the dynamic token count.
int64_t getPlannedRows(int64_t rows, int64_t maxTokens);

/// Where the parts of quantized activations [rows][cols] live in their
/// buffer: int8 codes, then f32 scales, then int32 sums (one per row, or
/// per block of `block` columns), each aligned.
struct QActLayout {
  int64_t codes = 0, scales = 0, sums = 0, size = 0;
};
QActLayout getQActLayout(int64_t rows, int64_t cols, int64_t block = 0);

/// Bytes of the arena buffer for a value of `type`; nullopt for values that
/// do not live in the arena (the KV cache).
std::optional<int64_t> getBufferSize(Type type, int64_t maxTokens);

/// The scratch buffers an op needs while it runs, in a fixed order:
///  - trit.fused_bitlinear: [normalized row, quantized input, gate, up]
///    (size 0 when the op has no norm or no gate);
///  - trit.attention: [per head: a query row and max_context
///    probabilities];
///  - trit.lm_head: [room for every head the lowering may choose: the input
///    rounded to f16, its int8 codes, scales and sums, and a reranking
///    head's histogram and candidate rows (getLMHeadScratchSize)].
SmallVector<int64_t> getScratchSizes(Operation *op, int64_t maxTokens,
                                     int64_t maxContext);

/// The most candidates lm-head=rerank recomputes per token, the rows its
/// check looks at per batch (their numbers and refined estimates), and its
/// histogram's bins:
/// TRIT_RERANK_MAX_CANDIDATES, TRIT_RERANK_CHECK_BATCH and TRIT_RERANK_BINS
/// of kernels/src/ops_template.h, whose scratch layout getLMHeadScratchSize
/// follows.
inline constexpr int64_t kMaxRerankCandidates = 8192;
inline constexpr int64_t kRerankCheckBatch = 8192;
inline constexpr int64_t kRerankBins = 4096;

/// Scratch bytes of an LM head over [rows][cols] inputs.
inline int64_t getLMHeadScratchSize(int64_t rows, int64_t cols) {
  return alignArenaSize(rows * cols * 4) + alignArenaSize(rows * cols) +
         2 * alignArenaSize(rows * 4) +
         (kRerankBins + kMaxRerankCandidates + 2 * kRerankCheckBatch) * 4;
}

/// Floats of attention scratch per head: room for a block of
/// TRIT_ATTENTION_QUERY_BLOCK (kernels/src/ops_template.h) queries' rows and
/// probabilities.
inline constexpr int64_t kAttentionQueryBlock = 16;
inline int64_t getAttentionScratchStride(int64_t headDim, int64_t maxContext) {
  return kAttentionQueryBlock * (maxContext + headDim);
}

} // namespace mlir::trit

#endif // TRIT_COMPILER_MEMORYPLAN_H
