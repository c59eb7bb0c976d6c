//===- Sampler.cpp - choose the next token from logits --------------------===//

#include "trit/Runtime/Sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

using namespace trit;

int32_t Sampler::sample(const float *logits, int64_t vocab,
                        const std::vector<int32_t> &history) {
  candidates.resize(vocab);
  for (int64_t i = 0; i < vocab; ++i)
    candidates[i] = {logits[i], int32_t(i)};
  if (options.repeatPenalty != 1.0f || options.presencePenalty != 0.0f ||
      options.frequencyPenalty != 0.0f) {
    std::unordered_map<int32_t, int> recent;
    size_t from = history.size() > size_t(options.repeatWindow)
                      ? history.size() - options.repeatWindow
                      : 0;
    for (size_t i = from; i < history.size(); ++i)
      ++recent[history[i]];
    for (auto [t, count] : recent)
      if (t >= 0 && t < vocab) {
        float &l = candidates[t].first;
        l = l > 0 ? l / options.repeatPenalty : l * options.repeatPenalty;
        l -= options.presencePenalty + options.frequencyPenalty * count;
      }
  }
  auto byLogit = [](const auto &a, const auto &b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  if (options.temperature <= 0.0f)
    return std::min_element(candidates.begin(), candidates.end(), byLogit)
        ->second;
  size_t keep = candidates.size();
  if (options.topK > 0 && size_t(options.topK) < keep)
    keep = options.topK;
  std::partial_sort(candidates.begin(), candidates.begin() + keep,
                    candidates.end(), byLogit);
  candidates.resize(keep);
  // Softmax with the temperature, then the smallest prefix with mass top-p.
  float max = candidates.front().first;
  double total = 0;
  for (auto &c : candidates) {
    c.first = std::exp((c.first - max) / options.temperature);
    total += c.first;
  }
  if (options.topP < 1.0f) {
    double mass = 0;
    size_t n = 0;
    while (n < candidates.size() && mass < options.topP * total)
      mass += candidates[n++].first;
    candidates.resize(std::max<size_t>(n, 1));
    total = mass > 0 ? mass : candidates.front().first;
  }
  std::uniform_real_distribution<double> draw(0.0, total);
  double r = draw(rng), acc = 0;
  for (const auto &c : candidates) {
    acc += c.first;
    if (r < acc)
      return c.second;
  }
  return candidates.back().second;
}
