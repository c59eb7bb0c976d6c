//===- Engine.cpp - continuous batching over a model's sequences ----------===//

#include "trit/Server/Engine.h"
#include "trit/Server/TextStream.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

using namespace trit;
using namespace trit::server;

namespace {
/// Prompt tokens a sequence evaluates per step: a long prompt takes several
/// steps, and the other sequences get a token in each.
constexpr size_t kPrefillChunk = 64;

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}
} // namespace

bool Stream::next(StreamEvent &event, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex);
  if (!ready.wait_for(lock, timeout, [&] { return !events.empty(); }))
    return false;
  event = std::move(events.front());
  events.pop_front();
  return true;
}

void Stream::push(StreamEvent event) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    events.push_back(std::move(event));
  }
  ready.notify_all();
}

struct Engine::Slot {
  bool busy = false;
  GenerationRequest request;
  std::shared_ptr<Stream> stream;
  std::optional<Sampler> sampler;
  std::optional<TextStream> text;
  std::vector<int32_t> history;
  size_t evaluated = 0; // prompt tokens in the KV cache
  std::vector<float> logits;
  bool haveLogits = false;
  int64_t generated = 0;
  std::vector<TokenLogprob> pendingLogprobs;
};

Engine::Engine(Executor &executor, const Tokenizer &tokenizer,
               size_t queueLimit)
    : executor(executor), tokenizer(tokenizer), queueLimit(queueLimit),
      vocab(executor.getInfo().vocab) {
  for (int i = 0; i < executor.getSequences(); ++i)
    slots.push_back(std::make_unique<Slot>());
  metrics.slots = slots.size();
  thread = std::thread([this] { run(); });
}

Engine::~Engine() {
  stopAccepting(/*cancel=*/true);
  shutdown();
}

std::shared_ptr<Stream> Engine::submit(GenerationRequest request,
                                       Admission &admission) {
  auto stream = std::make_shared<Stream>();
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!accepting) {
      admission = Admission::ShuttingDown;
      ++metrics.requestsRejected;
      return nullptr;
    }
    // Free slots take requests at once; only those beyond them wait.
    size_t free = metrics.slots - metrics.activeSlots;
    if (queue.size() >= queueLimit + free) {
      admission = Admission::QueueFull;
      ++metrics.requestsRejected;
      return nullptr;
    }
    queue.emplace_back(std::move(request), stream);
    metrics.queued = queue.size();
  }
  admission = Admission::Accepted;
  wake.notify_all();
  return stream;
}

void Engine::stopAccepting(bool cancel) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    accepting = false;
    cancelAll = cancelAll || cancel;
  }
  wake.notify_all();
}

void Engine::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    accepting = false;
    quit = true;
  }
  wake.notify_all();
  if (thread.joinable())
    thread.join();
}

EngineMetrics Engine::getMetrics() const {
  std::lock_guard<std::mutex> lock(mutex);
  return metrics;
}

void Engine::run() {
  for (;;) {
    bool busy = std::any_of(slots.begin(), slots.end(),
                            [](const auto &s) { return s->busy; });
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return busy || quit || !queue.empty(); });
      if (quit && !busy && queue.empty())
        return;
    }
    admit();
    step();
  }
}

void Engine::admit() {
  std::lock_guard<std::mutex> lock(mutex);
  // Requests whose clients left while they waited end here, without taking
  // a slot from those behind them.
  auto cancelled = [&](const GenerationRequest &request,
                       const std::shared_ptr<Stream> &stream) {
    if (!cancelAll && !stream->isCancelled())
      return false;
    StreamEvent event;
    event.done = true;
    event.finish = FinishReason::Cancelled;
    event.promptTokens = request.prompt.size();
    stream->push(std::move(event));
    ++metrics.requestsCancelled;
    return true;
  };
  queue.erase(std::remove_if(queue.begin(), queue.end(),
                             [&](auto &entry) {
                               return cancelled(entry.first, entry.second);
                             }),
              queue.end());
  for (auto &slot : slots) {
    if (queue.empty())
      break;
    if (slot->busy)
      continue;
    Slot &s = *slot;
    s.request = std::move(queue.front().first);
    s.stream = std::move(queue.front().second);
    queue.pop_front();
    s.busy = true;
    s.sampler.emplace(s.request.sampling);
    s.text.emplace(s.request.stop);
    s.history.clear();
    s.evaluated = 0;
    s.logits.assign(vocab, 0.0f);
    s.haveLogits = false;
    s.generated = 0;
    s.pendingLogprobs.clear();
  }
  metrics.queued = queue.size();
  metrics.activeSlots = std::count_if(slots.begin(), slots.end(),
                                      [](const auto &s) { return s->busy; });
}

void Engine::finish(Slot &slot, FinishReason reason, const std::string &error) {
  StreamEvent event;
  event.done = true;
  event.finish = reason;
  event.error = error;
  if (reason != FinishReason::Cancelled && slot.text)
    event.text = slot.text->flush();
  event.logprobs = std::move(slot.pendingLogprobs);
  event.promptTokens = slot.request.prompt.size();
  event.completionTokens = slot.generated;
  slot.stream->push(std::move(event));
  slot.stream.reset();
  slot.busy = false;
  slot.pendingLogprobs.clear();
  std::lock_guard<std::mutex> lock(mutex);
  if (reason == FinishReason::Cancelled)
    ++metrics.requestsCancelled;
  else
    ++metrics.requestsFinished;
  if (metrics.activeSlots)
    --metrics.activeSlots;
}

/// The log-softmax of `logits` at `token` and the `top` most likely tokens.
static TokenLogprob computeLogprob(const float *logits, int64_t vocab,
                                   int32_t token, int top) {
  float max = *std::max_element(logits, logits + vocab);
  double sum = 0;
  for (int64_t i = 0; i < vocab; ++i)
    sum += std::exp(double(logits[i]) - max);
  float lse = max + float(std::log(sum));
  TokenLogprob result;
  result.token = token;
  result.logprob = logits[token] - lse;
  if (top > 0) {
    std::vector<int32_t> ids(vocab);
    std::iota(ids.begin(), ids.end(), 0);
    size_t n = std::min<size_t>(top, vocab);
    std::partial_sort(ids.begin(), ids.begin() + n, ids.end(),
                      [&](int32_t a, int32_t b) {
                        return logits[a] > logits[b] ||
                               (logits[a] == logits[b] && a < b);
                      });
    for (size_t i = 0; i < n; ++i)
      result.top.emplace_back(ids[i], logits[ids[i]] - lse);
  }
  return result;
}

void Engine::sampleAndEmit(Slot &slot, int index,
                           std::vector<DecodeRow> &rows) {
  slot.haveLogits = false;
  int64_t capacity = executor.getCapacity();
  if (int64_t(slot.history.size()) >= capacity)
    return finish(slot, FinishReason::Length);
  int32_t token = slot.sampler->sample(slot.logits.data(), vocab, slot.history);
  if (slot.request.logprobs >= 0)
    slot.pendingLogprobs.push_back(computeLogprob(
        slot.logits.data(), vocab, token, slot.request.logprobs));
  slot.history.push_back(token);
  ++slot.generated;
  {
    std::lock_guard<std::mutex> lock(mutex);
    ++metrics.generatedTokens;
  }
  bool endOfGeneration =
      !slot.request.ignoreEos && tokenizer.isEndOfGeneration(token);
  bool stopped = false;
  std::string text;
  if (!endOfGeneration)
    text = slot.text->push(tokenizer.decode(token), stopped);
  if (!text.empty()) {
    StreamEvent event;
    event.text = std::move(text);
    event.logprobs = std::move(slot.pendingLogprobs);
    event.promptTokens = slot.request.prompt.size();
    event.completionTokens = slot.generated;
    slot.pendingLogprobs.clear();
    slot.stream->push(std::move(event));
  }
  if (endOfGeneration || stopped)
    return finish(slot, FinishReason::Stop);
  if (slot.generated == slot.request.maxTokens ||
      int64_t(slot.history.size()) >= capacity)
    return finish(slot, FinishReason::Length);
  rows.push_back({index, token, int64_t(slot.history.size()) - 1});
}

bool Engine::step() {
  bool cancel;
  {
    std::lock_guard<std::mutex> lock(mutex);
    cancel = cancelAll;
  }
  for (auto &slot : slots)
    if (slot->busy && (cancel || slot->stream->isCancelled()))
      finish(*slot, FinishReason::Cancelled);

  // Prompts, a chunk per sequence.
  auto t0 = std::chrono::steady_clock::now();
  size_t promptTokens = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    Slot &s = *slots[i];
    const std::vector<int32_t> &prompt = s.request.prompt;
    if (!s.busy || s.evaluated == prompt.size())
      continue;
    size_t n = std::min(kPrefillChunk, prompt.size() - s.evaluated);
    if (Error e = executor.prefillSequence(int(i), prompt.data() + s.evaluated,
                                           n, s.evaluated, s.logits.data(),
                                           /*lastOnly=*/true)) {
      finish(s, FinishReason::Error, e.message());
      continue;
    }
    s.evaluated += n;
    promptTokens += n;
    if (s.evaluated == prompt.size()) {
      s.history = prompt;
      s.haveLogits = true;
    }
  }
  if (promptTokens) {
    std::lock_guard<std::mutex> lock(mutex);
    metrics.promptTokens += promptTokens;
    metrics.promptSeconds += since(t0);
  }

  // The next token of every sequence with logits, then one batch.
  auto t1 = std::chrono::steady_clock::now();
  std::vector<DecodeRow> rows;
  for (size_t i = 0; i < slots.size(); ++i)
    if (slots[i]->busy && slots[i]->haveLogits)
      sampleAndEmit(*slots[i], int(i), rows);
  if (!rows.empty()) {
    batchLogits.resize(rows.size() * vocab);
    if (Error e = executor.decodeBatch(rows.data(), rows.size(),
                                       batchLogits.data())) {
      for (const DecodeRow &row : rows)
        finish(*slots[row.sequence], FinishReason::Error, e.message());
    } else {
      for (size_t r = 0; r < rows.size(); ++r) {
        Slot &s = *slots[rows[r].sequence];
        std::copy_n(&batchLogits[r * vocab], vocab, s.logits.data());
        s.haveLogits = true;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mutex);
  if (!rows.empty()) {
    metrics.generationSeconds += since(t1);
    ++metrics.decodeSteps;
    metrics.decodeRows += rows.size();
  }
  return true;
}
