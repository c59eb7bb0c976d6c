//===- Sampler.h - choose the next token from logits ------------*- C++ -*-===//
//
// llama.cpp's order: repetition, presence and frequency penalties over the
// recent tokens, then
// temperature <= 0 means greedy (argmax); otherwise top-k, softmax with the
// temperature, top-p, and a draw from a seeded generator, so a seed
// reproduces a run.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_SAMPLER_H
#define TRIT_RUNTIME_SAMPLER_H

#include <cstdint>
#include <random>
#include <vector>

namespace trit {

struct SamplerOptions {
  float temperature = 0.0f; // <= 0: greedy
  int topK = 40;            // <= 0: all
  float topP = 0.95f;       // >= 1: all
  float repeatPenalty = 1.0f;
  /// OpenAI's penalties over the same window: a token's logit less
  /// presencePenalty if it occurs there and frequencyPenalty per occurrence.
  float presencePenalty = 0.0f;
  float frequencyPenalty = 0.0f;
  int repeatWindow = 64;
  uint64_t seed = 0;
};

class Sampler {
public:
  explicit Sampler(const SamplerOptions &options)
      : options(options), rng(options.seed) {}
  /// The next token given the logits over the vocabulary and the tokens so
  /// far (the prompt and what was generated).
  int32_t sample(const float *logits, int64_t vocab,
                 const std::vector<int32_t> &history);

private:
  SamplerOptions options;
  std::mt19937_64 rng;
  std::vector<std::pair<float, int32_t>> candidates;
};

} // namespace trit

#endif // TRIT_RUNTIME_SAMPLER_H
