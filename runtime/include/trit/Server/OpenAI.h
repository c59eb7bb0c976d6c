//===- OpenAI.h - the OpenAI API's requests and responses -------*- C++ -*-===//
//
// Reads /v1/completions and /v1/chat/completions bodies into generation
// requests (checking every field's type and range, as the API documents
// them) and writes the API's response, chunk and error objects. Nothing here
// knows about HTTP or the engine's thread.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_SERVER_OPENAI_H
#define TRIT_SERVER_OPENAI_H

#include "trit/Runtime/Tokenizer.h"
#include "trit/Server/Engine.h"
#include "trit/Server/Reasoning.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace trit::server {

using json = nlohmann::json;

/// An error as the API reports it: an HTTP status and
/// {"error": {"message", "type", "param", "code"}}.
struct ApiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::string param; // "": null
  std::string code;  // "": null
};

json errorBody(const ApiError &error);
/// JSON text; invalid UTF-8 in strings (generated text can hold any bytes)
/// becomes U+FFFD instead of failing.
std::string dumpJson(const json &value);

enum class Endpoint { Completions, ChatCompletions };

/// The server's defaults for a thinking model's chat (Qwen3): what
/// --reasoning-budget and --reasoning-format say, which a request's
/// chat_template_kwargs.enable_thinking and reasoning_format override.
struct ReasoningSettings {
  /// --reasoning-budget -1 (true) or 0 (false): enable_thinking.
  bool enableThinking = true;
  /// --reasoning-format deepseek or auto (true) or none (false): the
  /// answer's leading think block as reasoning_content.
  bool splitReasoning = true;
};

/// A request to one of the generation endpoints, checked.
struct CompletionRequest {
  Endpoint endpoint = Endpoint::Completions;
  GenerationRequest generation;
  bool stream = false;
  bool includeUsage = false;
  /// A chat with a thinking template whose reasoning is returned apart.
  bool splitReasoning = false;
};

/// Reads `body` for `endpoint`: the prompt (for chat, the messages in the
/// model's chat template) tokenized, the sampling options, the limits.
/// A prompt that leaves no room in a context of `contextSize` is an error;
/// max_tokens beyond the context is not (generation stops when it is full,
/// with finish_reason "length").
std::optional<ApiError>
parseCompletionRequest(const json &body, Endpoint endpoint,
                       const Tokenizer &tokenizer, int64_t contextSize,
                       CompletionRequest &out,
                       const ReasoningSettings &reasoning = {});

/// llama-server's /apply-template: the chat's messages (and
/// chat_template_kwargs) as the prompt text that /v1/chat/completions
/// would tokenize.
std::optional<ApiError> applyChatTemplate(const json &body,
                                          const Tokenizer &tokenizer,
                                          const ReasoningSettings &reasoning,
                                          std::string &prompt);

/// Builds the responses of one request: the whole answer, or its chunks.
class ResponseWriter {
public:
  ResponseWriter(const CompletionRequest &request, const Tokenizer &tokenizer,
                 std::string model);

  /// The non-streaming answer, from all of the request's events (a
  /// thinking chat's leading think block as message.reasoning_content).
  json complete(const std::string &text, const std::vector<TokenLogprob> &lp,
                const StreamEvent &last) const;
  /// A streamed chunk with `text` (the chat's first also has the role).
  /// When the reasoning is split, the delta has reasoning_content, content
  /// or both, and null comes back while the splitter holds the text (its
  /// log-probabilities go with the next chunk).
  json chunk(const std::string &text, const std::vector<TokenLogprob> &lp);
  /// At the end, before finalChunk: a chunk with what the splitter still
  /// holds, or null.
  json flushChunk();
  /// The chunk that ends the choice, with its finish reason.
  json finalChunk(const StreamEvent &last);
  /// The usage chunk of stream_options.include_usage (no choices).
  json usageChunk(const StreamEvent &last) const;

private:
  json usage(const StreamEvent &last) const;
  json logprobs(const std::vector<TokenLogprob> &lp, size_t textOffset) const;
  json baseObject(bool chunk) const;
  /// A chat chunk of a split answer's `pieces`, or null when it has none
  /// (unless `always`).
  json splitChunk(const ReasoningPieces &pieces, bool always);

  const CompletionRequest &request;
  const Tokenizer &tokenizer;
  std::string model, id;
  int64_t created;
  bool sentRole = false;
  size_t textOffset = 0;
  std::optional<ReasoningSplitter> splitter;
  std::vector<TokenLogprob> heldLogprobs;
};

const char *finishReasonName(FinishReason reason);

} // namespace trit::server

#endif // TRIT_SERVER_OPENAI_H
