//===- Executor.h - run a compiled model's entry points ---------*- C++ -*-===//
//
// Owns what the compiled code borrows through trit_exec_context: the KV
// cache, the scratch arena of the memory plan, the RoPE tables and the
// thread pool. The weights are the caller's (mapped from an artifact, or
// packed by a test harness).
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_EXECUTOR_H
#define TRIT_RUNTIME_EXECUTOR_H

#include "trit/Runtime/ThreadPool.h"
#include "trit/abi.h"

#include "trit/Runtime/Error.h"

#include <memory>
#include <vector>

namespace trit {

using EntryPointFn = int32_t (*)(trit_exec_context *, const int32_t *,
                                 int64_t, int64_t, float *, int64_t);

/// What the runtime must know about a compiled model (recorded by the
/// compiler next to the code).
struct CompiledModelInfo {
  EntryPointFn prefill = nullptr, decode = nullptr;
  int64_t arenaSize = 0, maxTokens = 0, maxContext = 0;
  int64_t layers = 0, kvHeads = 0, headDim = 0, vocab = 0;
  int64_t ropeDim = 0;
  double ropeTheta = 0;
  /// YaRN: 0 when the model has none.
  double ropeYarnFactor = 0;
  int64_t ropeYarnOriginalContext = 0;
};

/// One row of Executor::decodeBatch: the next token of one sequence.
struct DecodeRow {
  int32_t sequence;
  int32_t token;
  int64_t position;
};

class Executor {
public:
  /// `sequences` contexts (KV caches) of `capacity` positions each (at most
  /// info.maxContext), sharing the weights, the scratch arena and the
  /// threads: the calls of one Executor run one at a time.
  static Expected<std::unique_ptr<Executor>>
  create(const CompiledModelInfo &info, std::vector<const void *> weights,
         int64_t capacity, int threads, int sequences = 1);

  /// Evaluates tokens[0..count) at positions start.. and writes logits
  /// [count][vocab], or with `lastOnly` just the last position's [vocab]
  /// (the LM head then runs once); prompts longer than the memory plan's
  /// max_tokens are evaluated in chunks.
  Error prefill(const int32_t *tokens, size_t count, int64_t start,
                float *logits, bool lastOnly = false);
  Error prefill(const std::vector<int32_t> &tokens, int64_t start,
                float *logits, bool lastOnly = false) {
    return prefill(tokens.data(), tokens.size(), start, logits, lastOnly);
  }
  /// One token at `position`; logits [vocab].
  Error decode(int32_t token, int64_t position, float *logits) {
    return decodeSequence(0, token, position, logits);
  }

  /// prefill and decode for sequence `sequence` in [0, getSequences()).
  Error prefillSequence(int sequence, const int32_t *tokens, size_t count,
                        int64_t start, float *logits, bool lastOnly = false);
  Error decodeSequence(int sequence, int32_t token, int64_t position,
                       float *logits);

  /// One step of continuous batching: the next token of each of n distinct
  /// sequences, with the weights read once for all of them (the rows go
  /// through the prompt kernels; attention reads each row's own cache).
  /// Writes logits [n][vocab]. Each row's logits are the bits its sequence
  /// alone would get from decodeSequence, unless the model was compiled
  /// with --prompt-lut (then a row's lookup-table arithmetic depends on
  /// nothing but its own activations, but differs from the decode path's).
  Error decodeBatch(const DecodeRow *rows, size_t n, float *logits);

  /// Every logit from the LM head's exact table (TRIT_EXEC_EXACT_LOGITS),
  /// also where the compiled head leaves estimates for rows that cannot be
  /// the best (a reranking head): for perplexity. Off by default.
  void setExactLogits(bool exact) {
    context.flags = exact ? context.flags | TRIT_EXEC_EXACT_LOGITS
                          : context.flags & ~uint32_t(TRIT_EXEC_EXACT_LOGITS);
  }

  int getSequences() const { return static_cast<int>(kvCaches.size()); }
  int64_t getCapacity() const { return context.kv_capacity; }
  const CompiledModelInfo &getInfo() const { return info; }

private:
  Executor(const CompiledModelInfo &info, int threads) : info(info), pool(threads) {}
  Error check(int32_t status, int64_t start, int64_t n);
  Error checkSequence(int sequence) const;

  CompiledModelInfo info;
  ThreadPool pool;
  std::vector<const void *> weights;
  std::vector<std::vector<uint16_t>> kvCaches; // [sequence]
  std::vector<trit_batch_row> batchRows;
  std::unique_ptr<uint8_t, void (*)(void *)> arena{nullptr, nullptr};
  std::vector<float> ropeCos, ropeSin;
  trit_exec_context context{};
};

/// Loads compiled code (an ELF shared object, in memory) through an
/// anonymous memory file and fills info.prefill / info.decode. Returns the
/// library handle (dlclose it when done); errors say what failed.
Expected<void *> loadCompiledCode(const uint8_t *code, size_t size,
                                  CompiledModelInfo &info);

/// ggml's RoPE tables: for position p and pair i < dim/2,
/// theta = p * (base^(-2/dim))^i, multiplied up iteratively in float; with
/// a YaRN factor (> 0), ggml's rope_yarn mix of interpolated and
/// extrapolated angles and magnitude scale, as llama.cpp runs it for
/// rope.scaling.type = yarn (ext_factor 1, beta_fast 32, beta_slow 1).
void computeRopeTables(double base, int64_t dim, int64_t positions,
                       std::vector<float> &cos, std::vector<float> &sin,
                       double yarnFactor = 0,
                       int64_t yarnOriginalContext = 0);

} // namespace trit

#endif // TRIT_RUNTIME_EXECUTOR_H
