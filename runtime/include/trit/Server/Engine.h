//===- Engine.h - continuous batching over a model's sequences --*- C++ -*-===//
//
// One thread owns the Executor and runs requests in slots, one KV cache
// (Executor sequence) each. Every step it admits queued requests into free
// slots, feeds pending prompts in chunks (so that a long prompt does not
// stall the others), samples the next token of every generating slot, and
// evaluates those tokens in one Executor::decodeBatch, which reads the
// weights once for all of them. Requests join and leave between steps; a
// request's events (text, token log-probabilities, the end) go to its
// Stream, which the HTTP thread that serves it reads.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_SERVER_ENGINE_H
#define TRIT_SERVER_ENGINE_H

#include "trit/Runtime/Executor.h"
#include "trit/Runtime/Sampler.h"
#include "trit/Runtime/Tokenizer.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace trit::server {

/// What one request asks the engine for (already validated).
struct GenerationRequest {
  std::vector<int32_t> prompt;
  /// Tokens to generate at most; -1: until the context is full.
  int64_t maxTokens = -1;
  SamplerOptions sampling;
  std::vector<std::string> stop;
  bool ignoreEos = false;
  /// -1: no log-probabilities; else the count of top alternatives (0-20)
  /// given with each token's.
  int logprobs = -1;
};

/// A token's log-probability under the model (log-softmax of its logits),
/// and the most likely alternatives.
struct TokenLogprob {
  int32_t token = 0;
  float logprob = 0;
  std::vector<std::pair<int32_t, float>> top;
};

enum class FinishReason { Stop, Length, Cancelled, Error };

/// One step's output of a request; the last has `done` set. The token
/// counts are those so far.
struct StreamEvent {
  std::string text;
  std::vector<TokenLogprob> logprobs;
  bool done = false;
  FinishReason finish = FinishReason::Stop;
  int64_t promptTokens = 0, completionTokens = 0;
  std::string error;
};

/// The channel from the engine to the thread serving one request.
class Stream {
public:
  /// The next event, waiting at most `timeout`; false if none came.
  bool next(StreamEvent &event, std::chrono::milliseconds timeout);
  /// The client went away: the engine frees the slot before its next step.
  void cancel() { cancelled = true; }
  bool isCancelled() const { return cancelled; }

private:
  friend class Engine;
  void push(StreamEvent event);

  std::mutex mutex;
  std::condition_variable ready;
  std::deque<StreamEvent> events;
  std::atomic<bool> cancelled{false};
};

/// Counters for /metrics.
struct EngineMetrics {
  uint64_t requestsFinished = 0, requestsCancelled = 0, requestsRejected = 0;
  uint64_t promptTokens = 0, generatedTokens = 0;
  double promptSeconds = 0, generationSeconds = 0;
  uint64_t decodeSteps = 0, decodeRows = 0;
  size_t queued = 0, activeSlots = 0, slots = 0;
};

class Engine {
public:
  /// Runs on `executor` (one sequence per slot) and `tokenizer`; at most
  /// `queueLimit` requests wait for a slot.
  Engine(Executor &executor, const Tokenizer &tokenizer, size_t queueLimit);
  ~Engine();
  Engine(const Engine &) = delete;
  Engine &operator=(const Engine &) = delete;

  enum class Admission { Accepted, QueueFull, ShuttingDown };
  /// Queues `request`; its events come on the returned stream (null unless
  /// Accepted).
  std::shared_ptr<Stream> submit(GenerationRequest request,
                                 Admission &admission);
  /// Refuses new requests from now on; with `cancel`, also ends the queued
  /// and running ones (finish reason Cancelled) instead of finishing them.
  void stopAccepting(bool cancel);
  /// Waits until nothing is queued or running, then ends the thread.
  void shutdown();

  EngineMetrics getMetrics() const;
  int64_t getContextSize() const { return executor.getCapacity(); }

private:
  struct Slot;
  void run();
  void admit();
  bool step();
  void finish(Slot &slot, FinishReason reason, const std::string &error = "");
  void sampleAndEmit(Slot &slot, int index, std::vector<DecodeRow> &rows);

  Executor &executor;
  const Tokenizer &tokenizer;
  size_t queueLimit;
  int64_t vocab;

  mutable std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::pair<GenerationRequest, std::shared_ptr<Stream>>> queue;
  bool accepting = true, cancelAll = false, quit = false;
  EngineMetrics metrics;

  std::vector<std::unique_ptr<Slot>> slots; // only the engine thread's
  std::vector<float> batchLogits;
  std::thread thread;
};

} // namespace trit::server

#endif // TRIT_SERVER_ENGINE_H
