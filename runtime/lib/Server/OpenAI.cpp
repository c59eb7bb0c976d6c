//===- OpenAI.cpp - the OpenAI API's requests and responses ---------------===//

#include "trit/Server/OpenAI.h"

#include <chrono>
#include <cmath>
#include <random>

using namespace trit;
using namespace trit::server;

json trit::server::errorBody(const ApiError &error) {
  auto orNull = [](const std::string &s) { return s.empty() ? json() : json(s); };
  return {{"error",
           {{"message", error.message},
            {"type", error.type},
            {"param", orNull(error.param)},
            {"code", orNull(error.code)}}}};
}

std::string trit::server::dumpJson(const json &value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

const char *trit::server::finishReasonName(FinishReason reason) {
  switch (reason) {
  case FinishReason::Stop:
    return "stop";
  case FinishReason::Length:
    return "length";
  case FinishReason::Cancelled:
    return "cancelled";
  case FinishReason::Error:
    return "error";
  }
  return "stop";
}

namespace {

ApiError invalid(const std::string &param, const std::string &message) {
  ApiError e;
  e.message = message;
  e.param = param;
  return e;
}

/// The body's field `name`, or null when absent or null.
const json *field(const json &body, const char *name) {
  auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

/// Reads an optional number into `out`, within [low, high].
std::optional<ApiError> readNumber(const json &body, const char *name,
                                   double low, double high, float &out) {
  const json *v = field(body, name);
  if (!v)
    return std::nullopt;
  if (!v->is_number())
    return invalid(name, std::string("'") + name + "' must be a number");
  double d = v->get<double>();
  if (!(d >= low && d <= high))
    return invalid(name, std::string("'") + name + "' must be between " +
                             json(low).dump() + " and " + json(high).dump());
  out = float(d);
  return std::nullopt;
}

/// Reads an optional integer into `out`, within [low, high].
std::optional<ApiError> readInteger(const json &body, const char *name,
                                    int64_t low, int64_t high, int64_t &out) {
  const json *v = field(body, name);
  if (!v)
    return std::nullopt;
  bool integral = v->is_number_integer() ||
                  (v->is_number_float() && std::isfinite(v->get<double>()) &&
                   std::floor(v->get<double>()) == v->get<double>() &&
                   std::fabs(v->get<double>()) < 9e18);
  if (!integral)
    return invalid(name, std::string("'") + name + "' must be an integer");
  int64_t n = v->is_number_unsigned()
                  ? (v->get<uint64_t>() > uint64_t(INT64_MAX)
                         ? INT64_MAX
                         : int64_t(v->get<uint64_t>()))
              : v->is_number_integer() ? v->get<int64_t>()
                                       : int64_t(v->get<double>());
  if (n < low || n > high)
    return invalid(name, std::string("'") + name + "' must be between " +
                             std::to_string(low) + " and " +
                             std::to_string(high));
  out = n;
  return std::nullopt;
}

std::optional<ApiError> readBool(const json &body, const char *name,
                                 bool &out) {
  const json *v = field(body, name);
  if (!v)
    return std::nullopt;
  if (!v->is_boolean())
    return invalid(name, std::string("'") + name + "' must be a boolean");
  out = v->get<bool>();
  return std::nullopt;
}

/// A message's content: a string, or an array of text parts, which are
/// joined with newlines (as llama-server and vLLM join them for templates
/// that take a string). Only an assistant's may be null (empty).
std::optional<ApiError> readContent(const json &message, size_t index,
                                    const std::string &role, std::string &out) {
  std::string param = "messages[" + std::to_string(index) + "].content";
  auto content = message.find("content");
  if (content == message.end() || (content->is_null() && role != "assistant"))
    return invalid(param, "'" + param +
                              "' is required (a string or an array "
                              "of text parts)");
  if (content->is_null())
    return std::nullopt;
  if (content->is_string()) {
    out = content->get<std::string>();
    return std::nullopt;
  }
  if (!content->is_array())
    return invalid(param, "'" + param + "' must be a string or an array of "
                                        "text parts");
  for (size_t i = 0; i < content->size(); ++i) {
    const json &part = (*content)[i];
    std::string partParam = param + "[" + std::to_string(i) + "]";
    const json *type = part.is_object() ? field(part, "type") : nullptr;
    const json *text = part.is_object() ? field(part, "text") : nullptr;
    if (type && type->is_string() && *type != "text")
      return invalid(partParam, "'" + partParam + "': parts of type '" +
                                    type->get<std::string>() +
                                    "' are not supported; only text parts");
    if (!type || !type->is_string() || !text || !text->is_string())
      return invalid(partParam, "'" + partParam +
                                    "' must be a text part: "
                                    "{\"type\": \"text\", "
                                    "\"text\": \"...\"}");
    if (i)
      out += '\n';
    out += text->get<std::string>();
  }
  return std::nullopt;
}

/// How a chat request asks for thinking: the server's settings, which
/// chat_template_kwargs.enable_thinking (as llama-server reads it, for
/// Qwen3's template) and reasoning_format override.
std::optional<ApiError> readThinking(const json &body,
                                     const ReasoningSettings &settings,
                                     ChatOptions &options, bool &split) {
  options.enableThinking = settings.enableThinking;
  split = settings.splitReasoning;
  if (const json *kwargs = field(body, "chat_template_kwargs")) {
    if (!kwargs->is_object())
      return invalid("chat_template_kwargs",
                     "'chat_template_kwargs' must be an object");
    // The other arguments mean nothing to the templates this server knows.
    if (auto e = readBool(*kwargs, "enable_thinking", options.enableThinking)) {
      e->param = "chat_template_kwargs.enable_thinking";
      e->message = "'chat_template_kwargs.enable_thinking' must be a boolean";
      return e;
    }
  }
  if (const json *format = field(body, "reasoning_format")) {
    if (!format->is_string() ||
        (*format != "none" && *format != "auto" && *format != "deepseek"))
      return invalid("reasoning_format",
                     "'reasoning_format' must be \"none\" (the reasoning "
                     "stays in the content), \"auto\" or \"deepseek\" (it "
                     "comes apart as reasoning_content)");
    split = *format != "none";
  }
  return std::nullopt;
}

/// The chat's messages in the model's template, as one text.
std::optional<ApiError> formatMessages(const json &body,
                                       const Tokenizer &tokenizer,
                                       const ChatOptions &options,
                                       std::string &out) {
  const json *messages = field(body, "messages");
  if (!messages)
    return invalid("messages", "'messages' is required");
  if (!messages->is_array() || messages->empty())
    return invalid("messages", "'messages' must be a non-empty array");
  const TokenizerSpec &spec = tokenizer.getSpec();
  if (spec.chatTemplate.empty())
    return invalid("messages", "the model has no chat template; use "
                               "/v1/completions with a prompt");
  std::vector<ChatMessage> chat;
  for (size_t i = 0; i < messages->size(); ++i) {
    const json &m = (*messages)[i];
    std::string param = "messages[" + std::to_string(i) + "]";
    if (!m.is_object())
      return invalid(param, "'" + param + "' must be an object");
    const json *role = field(m, "role");
    if (!role || !role->is_string())
      return invalid(param + ".role", "'" + param + ".role' is required");
    std::string name = role->get<std::string>();
    if (name == "developer") // OpenAI's newer name for system
      name = "system";
    if (name == "tool" || name == "function")
      return invalid(param + ".role",
                     "'" + param + ".role': " + name +
                         " messages are not supported (this server does not "
                         "call tools)");
    if (name != "system" && name != "user" && name != "assistant")
      return invalid(param + ".role",
                     "'" + param + ".role' must be system, developer, user "
                                   "or assistant, not '" + name + "'");
    if (const json *calls = field(m, "tool_calls");
        calls && !(calls->is_array() && calls->empty()))
      return invalid(param + ".tool_calls",
                     "'" + param +
                         ".tool_calls': tool calls are not "
                         "supported");
    ChatMessage message{name, "", std::nullopt};
    if (auto e = readContent(m, i, name, message.content))
      return e;
    // An earlier answer's reasoning, given back apart (Qwen3's template
    // reads it; a string or null).
    if (const json *reasoning = field(m, "reasoning_content");
        reasoning && name == "assistant") {
      if (!reasoning->is_string())
        return invalid(param + ".reasoning_content",
                       "'" + param + ".reasoning_content' must be a string");
      message.reasoning = reasoning->get<std::string>();
    }
    chat.push_back(std::move(message));
  }
  auto text = formatChat(spec, chat, options);
  if (!text) {
    ApiError e;
    e.status = 500;
    e.type = "server_error";
    e.message = toString(text.takeError());
    return e;
  }
  out = std::move(*text);
  return std::nullopt;
}

/// The prompt of /v1/completions: a string, token ids, or one of either in
/// an array.
std::optional<ApiError> readPrompt(const json &body, const Tokenizer &tokenizer,
                                   std::vector<int32_t> &out) {
  const json *prompt = field(body, "prompt");
  if (!prompt)
    return invalid("prompt", "'prompt' is required");
  const json *one = prompt;
  if (prompt->is_array() && !prompt->empty() &&
      ((*prompt)[0].is_string() || (*prompt)[0].is_array())) {
    if (prompt->size() != 1)
      return invalid("prompt", "only one prompt per request is supported");
    one = &(*prompt)[0];
  }
  if (one->is_string()) {
    out = tokenizer.encode(one->get<std::string>(),
                           tokenizer.getSpec().addBos, /*parseSpecial=*/true);
    return std::nullopt;
  }
  if (one->is_array()) {
    for (const json &id : *one) {
      if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
          id.get<int64_t>() >= tokenizer.getVocabSize())
        return invalid("prompt", "'prompt': token ids must be integers in "
                                 "[0, " +
                                     std::to_string(tokenizer.getVocabSize()) +
                                     ")");
      out.push_back(int32_t(id.get<int64_t>()));
    }
    return std::nullopt;
  }
  return invalid("prompt", "'prompt' must be a string, an array of token ids "
                           "or an array of one of either");
}

} // namespace

std::optional<ApiError> trit::server::parseCompletionRequest(
    const json &body, Endpoint endpoint, const Tokenizer &tokenizer,
    int64_t contextSize, CompletionRequest &out,
    const ReasoningSettings &reasoning) {
  if (!body.is_object())
    return invalid("", "the request body must be a JSON object");
  bool chat = endpoint == Endpoint::ChatCompletions;
  out.endpoint = endpoint;
  GenerationRequest &g = out.generation;
  if (const json *model = field(body, "model"); model && !model->is_string())
    return invalid("model", "'model' must be a string");

  // What this server does not do, refused rather than ignored.
  int64_t n = 1;
  if (auto e = readInteger(body, "n", 1, 128, n))
    return e;
  if (n != 1)
    return invalid("n", "only n = 1 is supported");
  if (const json *tools = field(body, "tools");
      tools && !(tools->is_array() && tools->empty()))
    return invalid("tools", "tools are not supported");
  if (const json *format = field(body, "response_format")) {
    const json *type = format->is_object() ? field(*format, "type") : nullptr;
    if (!type || *type != "text")
      return invalid("response_format",
                     "only the response format {\"type\": \"text\"} is "
                     "supported");
  }
  bool echo = false;
  if (auto e = readBool(body, "echo", echo))
    return e;
  if (echo)
    return invalid("echo", "echo is not supported");

  // The prompt.
  if (chat) {
    ChatOptions options;
    bool split;
    if (auto e = readThinking(body, reasoning, options, split))
      return e;
    std::string text;
    if (auto e = formatMessages(body, tokenizer, options, text))
      return e;
    g.prompt = tokenizer.encode(text, /*addBos=*/false, /*parseSpecial=*/true);
    out.splitReasoning = split && chatTemplateThinks(tokenizer.getSpec());
  } else if (auto e = readPrompt(body, tokenizer, g.prompt)) {
    return e;
  }
  if (g.prompt.empty())
    return invalid(chat ? "messages" : "prompt", "the prompt is empty");
  if (int64_t(g.prompt.size()) >= contextSize) {
    ApiError e = invalid(chat ? "messages" : "prompt",
                         "the prompt has " + std::to_string(g.prompt.size()) +
                             " tokens; the context holds " +
                             std::to_string(contextSize) +
                             " (and one more is needed to generate)");
    e.code = "context_length_exceeded";
    return e;
  }

  // Limits and sampling.
  const char *maxName =
      chat && field(body, "max_completion_tokens") ? "max_completion_tokens"
                                                   : "max_tokens";
  if (auto e = readInteger(body, maxName, 1, INT64_MAX, g.maxTokens))
    return e;
  SamplerOptions &s = g.sampling;
  // llama-server's defaults.
  s.temperature = 0.8f;
  s.topK = 40;
  s.topP = 0.95f;
  if (auto e = readNumber(body, "temperature", 0, 2, s.temperature))
    return e;
  if (auto e = readNumber(body, "top_p", 0, 1, s.topP))
    return e;
  if (field(body, "top_p") && s.topP <= 0)
    return invalid("top_p", "'top_p' must be above 0");
  int64_t topK = s.topK;
  if (auto e = readInteger(body, "top_k", 0, INT32_MAX, topK))
    return e;
  s.topK = int(topK);
  if (auto e = readNumber(body, "presence_penalty", -2, 2, s.presencePenalty))
    return e;
  if (auto e = readNumber(body, "frequency_penalty", -2, 2, s.frequencyPenalty))
    return e;
  if (auto e = readNumber(body, "repeat_penalty", 0, 100, s.repeatPenalty))
    return e;
  if (s.repeatPenalty <= 0)
    return invalid("repeat_penalty", "'repeat_penalty' must be above 0");
  int64_t seed = -1;
  if (auto e = readInteger(body, "seed", INT64_MIN, INT64_MAX, seed))
    return e;
  s.seed = field(body, "seed") ? uint64_t(seed) : std::random_device()();
  if (auto e = readBool(body, "ignore_eos", g.ignoreEos))
    return e;

  // Stop strings.
  if (const json *stop = field(body, "stop")) {
    if (stop->is_string()) {
      g.stop.push_back(stop->get<std::string>());
    } else if (stop->is_array() && stop->size() <= 16) {
      for (const json &s : *stop) {
        if (!s.is_string())
          return invalid("stop", "'stop' must be a string or an array of "
                                 "strings");
        g.stop.push_back(s.get<std::string>());
      }
    } else {
      return invalid("stop", "'stop' must be a string or an array of up to "
                             "16 strings");
    }
  }

  // Log-probabilities: chat takes logprobs (bool) and top_logprobs,
  // completions logprobs (how many alternatives).
  if (chat) {
    bool logprobs = false;
    if (auto e = readBool(body, "logprobs", logprobs))
      return e;
    int64_t top = 0;
    if (auto e = readInteger(body, "top_logprobs", 0, 20, top))
      return e;
    if (field(body, "top_logprobs") && !logprobs)
      return invalid("top_logprobs",
                     "'top_logprobs' needs 'logprobs' to be true");
    g.logprobs = logprobs ? int(top) : -1;
  } else {
    int64_t top = -1;
    if (auto e = readInteger(body, "logprobs", 0, 20, top))
      return e;
    g.logprobs = int(top);
  }

  // Streaming.
  if (auto e = readBool(body, "stream", out.stream))
    return e;
  if (const json *options = field(body, "stream_options")) {
    if (!options->is_object())
      return invalid("stream_options", "'stream_options' must be an object");
    if (!out.stream)
      return invalid("stream_options",
                     "'stream_options' is only allowed with 'stream': true");
    if (auto e = readBool(*options, "include_usage", out.includeUsage)) {
      e->param = "stream_options.include_usage";
      return e;
    }
  }
  return std::nullopt;
}

std::optional<ApiError>
trit::server::applyChatTemplate(const json &body, const Tokenizer &tokenizer,
                                const ReasoningSettings &reasoning,
                                std::string &prompt) {
  if (!body.is_object())
    return invalid("", "the request body must be a JSON object");
  ChatOptions options;
  bool split;
  if (auto e = readThinking(body, reasoning, options, split))
    return e;
  return formatMessages(body, tokenizer, options, prompt);
}

ResponseWriter::ResponseWriter(const CompletionRequest &request,
                               const Tokenizer &tokenizer, std::string model)
    : request(request), tokenizer(tokenizer), model(std::move(model)) {
  static std::atomic<uint64_t> counter{0};
  std::random_device random;
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%08x%08x%06llx", unsigned(random()),
                unsigned(random()),
                static_cast<unsigned long long>(++counter & 0xFFFFFF));
  bool chat = request.endpoint == Endpoint::ChatCompletions;
  id = std::string(chat ? "chatcmpl-" : "cmpl-") + buffer;
  if (chat && request.splitReasoning)
    splitter.emplace();
  created = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
}

json ResponseWriter::baseObject(bool chunk) const {
  bool chat = request.endpoint == Endpoint::ChatCompletions;
  return {{"id", id},
          {"object", chat ? (chunk ? "chat.completion.chunk" : "chat.completion")
                          : "text_completion"},
          {"created", created},
          {"model", model},
          {"system_fingerprint", "trit"}};
}

json ResponseWriter::usage(const StreamEvent &last) const {
  return {{"prompt_tokens", last.promptTokens},
          {"completion_tokens", last.completionTokens},
          {"total_tokens", last.promptTokens + last.completionTokens}};
}

json ResponseWriter::logprobs(const std::vector<TokenLogprob> &lp,
                              size_t offset) const {
  if (request.generation.logprobs < 0)
    return nullptr;
  auto bytesOf = [](const std::string &s) {
    json bytes = json::array();
    for (unsigned char c : s)
      bytes.push_back(int(c));
    return bytes;
  };
  if (request.endpoint == Endpoint::ChatCompletions) {
    json content = json::array();
    for (const TokenLogprob &t : lp) {
      std::string text = tokenizer.decode(t.token, /*showSpecial=*/true);
      json top = json::array();
      for (auto [id, logprob] : t.top) {
        std::string alt = tokenizer.decode(id, true);
        top.push_back(
            {{"token", alt}, {"logprob", logprob}, {"bytes", bytesOf(alt)}});
      }
      content.push_back({{"token", text},
                         {"logprob", t.logprob},
                         {"bytes", bytesOf(text)},
                         {"top_logprobs", top}});
    }
    return {{"content", content}, {"refusal", nullptr}};
  }
  // The legacy object of /v1/completions.
  json tokens = json::array(), logprobs = json::array(), top = json::array(),
       offsets = json::array();
  for (const TokenLogprob &t : lp) {
    std::string text = tokenizer.decode(t.token, true);
    tokens.push_back(text);
    logprobs.push_back(t.logprob);
    json alternatives = json::object();
    for (auto [id, logprob] : t.top)
      alternatives[tokenizer.decode(id, true)] = logprob;
    top.push_back(alternatives);
    offsets.push_back(offset);
    offset += text.size();
  }
  return {{"tokens", tokens},
          {"token_logprobs", logprobs},
          {"top_logprobs", top},
          {"text_offset", offsets}};
}

json ResponseWriter::complete(const std::string &text,
                              const std::vector<TokenLogprob> &lp,
                              const StreamEvent &last) const {
  json out = baseObject(false);
  json choice = {{"index", 0},
                 {"logprobs", logprobs(lp, 0)},
                 {"finish_reason", finishReasonName(last.finish)}};
  if (request.endpoint == Endpoint::ChatCompletions) {
    choice["message"] = {
        {"role", "assistant"}, {"content", text}, {"refusal", nullptr}};
    if (splitter) {
      // As llama-server: reasoning_content only when there is some.
      ReasoningPieces pieces = ReasoningSplitter::split(text);
      choice["message"]["content"] = pieces.content;
      if (!pieces.reasoning.empty())
        choice["message"]["reasoning_content"] = pieces.reasoning;
    }
  } else
    choice["text"] = text;
  out["choices"] = json::array({choice});
  out["usage"] = usage(last);
  return out;
}

json ResponseWriter::splitChunk(const ReasoningPieces &pieces, bool always) {
  if (pieces.empty() && sentRole && !always)
    return nullptr;
  json out = baseObject(true);
  json delta = json::object();
  if (!sentRole)
    delta["role"] = "assistant";
  sentRole = true;
  if (!pieces.reasoning.empty())
    delta["reasoning_content"] = pieces.reasoning;
  if (!pieces.content.empty() || pieces.reasoning.empty())
    delta["content"] = pieces.content;
  json choice = {{"index", 0},
                 {"logprobs", heldLogprobs.empty()
                                  ? json()
                                  : logprobs(heldLogprobs, textOffset)},
                 {"delta", delta},
                 {"finish_reason", nullptr}};
  heldLogprobs.clear();
  out["choices"] = json::array({choice});
  if (request.includeUsage)
    out["usage"] = nullptr;
  return out;
}

json ResponseWriter::flushChunk() {
  if (!splitter)
    return nullptr;
  return splitChunk(splitter->finish(), /*always=*/!heldLogprobs.empty());
}

json ResponseWriter::chunk(const std::string &text,
                           const std::vector<TokenLogprob> &lp) {
  if (splitter) {
    heldLogprobs.insert(heldLogprobs.end(), lp.begin(), lp.end());
    return splitChunk(splitter->push(text), /*always=*/false);
  }
  json out = baseObject(true);
  json choice = {{"index", 0},
                 {"logprobs", lp.empty() ? json() : logprobs(lp, textOffset)},
                 {"finish_reason", nullptr}};
  for (const TokenLogprob &t : lp)
    textOffset += tokenizer.decode(t.token, true).size();
  if (request.endpoint == Endpoint::ChatCompletions) {
    json delta = {{"content", text}};
    if (!sentRole)
      delta["role"] = "assistant";
    sentRole = true;
    choice["delta"] = delta;
  } else {
    choice["text"] = text;
  }
  out["choices"] = json::array({choice});
  if (request.includeUsage)
    out["usage"] = nullptr;
  return out;
}

json ResponseWriter::finalChunk(const StreamEvent &last) {
  json out = baseObject(true);
  json choice = {{"index", 0},
                 {"logprobs", nullptr},
                 {"finish_reason", finishReasonName(last.finish)}};
  if (request.endpoint == Endpoint::ChatCompletions)
    choice["delta"] = json::object();
  else
    choice["text"] = "";
  out["choices"] = json::array({choice});
  if (request.includeUsage)
    out["usage"] = nullptr;
  return out;
}

json ResponseWriter::usageChunk(const StreamEvent &last) const {
  json out = baseObject(true);
  out["choices"] = json::array();
  out["usage"] = usage(last);
  return out;
}
