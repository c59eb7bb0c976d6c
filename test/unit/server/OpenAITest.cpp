//===- OpenAITest.cpp - the OpenAI API's requests and responses -----------===//

#include "trit/Server/OpenAI.h"

#include "../ByteLevelSpec.h"

#include <gtest/gtest.h>

using namespace trit;
using namespace trit::server;

namespace {

/// A byte-level tokenizer (one token per byte) with BitNet b1.58 2B4T's
/// chat format.
std::unique_ptr<Tokenizer> makeTokenizer() {
  TokenizerSpec spec;
  test::appendByteAlphabet(spec);
  test::appendLlama3Specials(spec);
  auto tokenizer = Tokenizer::create(spec);
  EXPECT_TRUE(bool(tokenizer));
  return std::move(*tokenizer);
}

class OpenAITest : public ::testing::Test {
protected:
  std::unique_ptr<Tokenizer> tokenizer = makeTokenizer();

  std::optional<ApiError> parse(const char *body, Endpoint endpoint,
                                CompletionRequest &out) {
    return parseCompletionRequest(json::parse(body), endpoint, *tokenizer,
                                  /*contextSize=*/4096, out);
  }
  /// The 400's param for a chat body, or "(accepted)".
  std::string chatError(const char *body) {
    CompletionRequest request;
    auto e = parse(body, Endpoint::ChatCompletions, request);
    if (!e)
      return "(accepted)";
    EXPECT_EQ(e->status, 400);
    EXPECT_EQ(e->type, "invalid_request_error");
    EXPECT_FALSE(e->message.empty());
    return e->param;
  }
  std::string promptText(const char *body) {
    CompletionRequest request;
    auto e = parse(body, Endpoint::ChatCompletions, request);
    EXPECT_FALSE(e) << (e ? e->message : "");
    return tokenizer->decode(request.generation.prompt, /*showSpecial=*/true);
  }
};

TEST_F(OpenAITest, ContentPartsAreJoinedWithNewlines) {
  EXPECT_EQ(promptText(R"({"messages": [{"role": "user", "content": [
                 {"type": "text", "text": "Tell me"},
                 {"type": "text", "text": "a joke"}]}]})"),
            "<|begin_of_text|>User: Tell me\na joke<|eot_id|>Assistant: ");
  EXPECT_EQ(promptText(R"({"messages": [
                 {"role": "developer", "content": "Be brief."},
                 {"role": "assistant", "content": null},
                 {"role": "user", "content": []}]})"),
            "<|begin_of_text|>System: Be brief.<|eot_id|>Assistant: "
            "<|eot_id|>User: <|eot_id|>Assistant: ");
}

TEST_F(OpenAITest, MessagesThatCannotBeRead) {
  EXPECT_EQ(chatError(R"({"messages": [{"role": "user"}]})"),
            "messages[0].content");
  EXPECT_EQ(chatError(R"({"messages": [{"role": "user", "content": null}]})"),
            "messages[0].content");
  EXPECT_EQ(chatError(R"({"messages": [{"role": "system", "content": "x"},
                                        {"role": "assistant"}]})"),
            "messages[1].content");
  EXPECT_EQ(chatError(R"({"messages": [{"role": "user", "content": {}}]})"),
            "messages[0].content");
  EXPECT_EQ(chatError(R"({"messages": [{"role": "user", "content": [
                {"type": "text", "text": "a"},
                {"type": "image_url", "image_url": {"url": "x"}}]}]})"),
            "messages[0].content[1]");
  EXPECT_EQ(chatError(R"({"messages": [{"role": "user", "content": [
                {"type": "text"}]}]})"),
            "messages[0].content[0]");
  EXPECT_EQ(chatError(R"({"messages": [{"role": "user", "content": ["a"]}]})"),
            "messages[0].content[0]");
  EXPECT_EQ(chatError(R"({"messages": [{"role": "tool", "content": "1",
                                        "tool_call_id": "c"}]})"),
            "messages[0].role");
  EXPECT_EQ(
      chatError(R"({"messages": [{"role": "function", "content": "1"}]})"),
      "messages[0].role");
  EXPECT_EQ(chatError(R"({"messages": [{"role": "wizard", "content": "1"}]})"),
            "messages[0].role");
  EXPECT_EQ(chatError(R"({"messages": [{"role": 3, "content": "1"}]})"),
            "messages[0].role");
  EXPECT_EQ(chatError(R"({"messages": [{"role": "assistant", "content": null,
                "tool_calls": [{"id": "c", "type": "function"}]}]})"),
            "messages[0].tool_calls");
  EXPECT_EQ(chatError(R"({"messages": []})"), "messages");
  EXPECT_EQ(chatError(R"({})"), "messages");
  // An empty tool_calls array, and fields the server does not use, are fine.
  EXPECT_EQ(chatError(R"({"messages": [{"role": "user", "content": "a",
                "name": "bob", "tool_calls": []}], "user": "u"})"),
            "(accepted)");
}

TEST_F(OpenAITest, LimitsStopsAndN) {
  CompletionRequest request;
  ASSERT_FALSE(parse(R"({"messages": [{"role": "user", "content": "a"}],
                         "max_completion_tokens": 7, "stop": "x"})",
                     Endpoint::ChatCompletions, request));
  EXPECT_EQ(request.generation.maxTokens, 7);
  EXPECT_EQ(request.generation.stop, std::vector<std::string>{"x"});
  request = {};
  ASSERT_FALSE(parse(R"({"prompt": "a", "max_tokens": 3,
                         "stop": ["x", "yz"]})",
                     Endpoint::Completions, request));
  EXPECT_EQ(request.generation.maxTokens, 3);
  EXPECT_EQ(request.generation.stop, (std::vector<std::string>{"x", "yz"}));
  for (const char *body :
       {R"({"prompt": "a", "n": 2})", R"({"prompt": "a", "stop": [1]})",
        R"({"prompt": "a", "stop": 5})", R"({"prompt": "a", "max_tokens": 0})",
        R"({"prompt": "a", "stream_options": {"include_usage": true}})"}) {
    request = {};
    EXPECT_TRUE(parse(body, Endpoint::Completions, request)) << body;
  }
}

TEST_F(OpenAITest, ChatChunks) {
  CompletionRequest request;
  ASSERT_FALSE(parse(R"({"messages": [{"role": "user", "content": "a"}],
                         "stream": true})",
                     Endpoint::ChatCompletions, request));
  ResponseWriter writer(request, *tokenizer, "m");
  json first = writer.chunk("", {});
  json second = writer.chunk("hi", {});
  StreamEvent last;
  last.done = true;
  last.finish = FinishReason::Length;
  last.promptTokens = 3;
  last.completionTokens = 2;
  json final = writer.finalChunk(last);
  for (const json *c : {&first, &second, &final}) {
    EXPECT_EQ((*c)["object"], "chat.completion.chunk");
    EXPECT_EQ((*c)["id"], first["id"]);
    EXPECT_EQ((*c)["created"], first["created"]);
    EXPECT_EQ((*c)["model"], "m");
    EXPECT_FALSE(c->contains("usage")) << *c; // no include_usage
  }
  EXPECT_EQ(first["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  EXPECT_FALSE(second["choices"][0]["delta"].contains("role"));
  EXPECT_EQ(second["choices"][0]["delta"]["content"], "hi");
  EXPECT_EQ(final["choices"][0]["delta"], json::object());
  EXPECT_EQ(final["choices"][0]["finish_reason"], "length");

  // With include_usage: usage null in every chunk, then a usage chunk.
  request = {};
  ASSERT_FALSE(parse(R"({"messages": [{"role": "user", "content": "a"}],
                         "stream": true,
                         "stream_options": {"include_usage": true}})",
                     Endpoint::ChatCompletions, request));
  ResponseWriter withUsage(request, *tokenizer, "m");
  EXPECT_TRUE(withUsage.chunk("x", {})["usage"].is_null());
  EXPECT_TRUE(withUsage.chunk("x", {}).contains("usage"));
  EXPECT_TRUE(withUsage.finalChunk(last)["usage"].is_null());
  json usage = withUsage.usageChunk(last);
  EXPECT_EQ(usage["choices"], json::array());
  EXPECT_EQ(usage["usage"], (json{{"prompt_tokens", 3},
                                  {"completion_tokens", 2},
                                  {"total_tokens", 5}}));
}

TEST_F(OpenAITest, CompletionObjects) {
  CompletionRequest request;
  ASSERT_FALSE(parse(R"({"prompt": "a"})", Endpoint::Completions, request));
  ResponseWriter writer(request, *tokenizer, "m");
  StreamEvent last;
  last.done = true;
  last.finish = FinishReason::Stop;
  json answer = writer.complete("text", {}, last);
  EXPECT_EQ(answer["object"], "text_completion");
  EXPECT_EQ(answer["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  EXPECT_EQ(answer["choices"][0]["text"], "text");
  EXPECT_EQ(answer["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(answer["choices"][0]["logprobs"].is_null());
  EXPECT_TRUE(answer.contains("system_fingerprint"));
  EXPECT_EQ(writer.chunk("t", {})["object"], "text_completion");
}

/// A byte-level tokenizer with Qwen3's ChatML and thinking tags.
std::unique_ptr<Tokenizer> makeQwen3Tokenizer() {
  TokenizerSpec spec;
  test::appendByteAlphabet(spec);
  spec.pre = "qwen2";
  for (const char *special : {"<|im_start|>", "<|im_end|>"}) {
    spec.tokens.push_back(special);
    spec.tokenTypes.push_back(3);
  }
  for (const char *tag : {"<think>", "</think>"}) {
    spec.tokens.push_back(tag);
    spec.tokenTypes.push_back(4); // user-defined: decoded as text
  }
  spec.eosId = 257;
  spec.addBos = false;
  spec.chatTemplate = "...<|im_start|>assistant\n{%- if enable_thinking is "
                      "defined and enable_thinking is false %}<think>\n\n"
                      "</think>\n\n{%- endif %}";
  auto tokenizer = Tokenizer::create(spec);
  EXPECT_TRUE(bool(tokenizer));
  return std::move(*tokenizer);
}

class OpenAIThinkingTest : public ::testing::Test {
protected:
  std::unique_ptr<Tokenizer> tokenizer = makeQwen3Tokenizer();
  ReasoningSettings settings;

  std::optional<ApiError> parse(const std::string &body,
                                CompletionRequest &out) {
    return parseCompletionRequest(json::parse(body), Endpoint::ChatCompletions,
                                  *tokenizer, 4096, out, settings);
  }
  std::string promptText(const std::string &body) {
    CompletionRequest request;
    auto e = parse(body, request);
    EXPECT_FALSE(e) << (e ? e->message : "");
    return tokenizer->decode(request.generation.prompt, /*showSpecial=*/true);
  }
  std::string errorParam(const std::string &body) {
    CompletionRequest request;
    auto e = parse(body, request);
    if (!e)
      return "(accepted)";
    EXPECT_EQ(e->status, 400);
    EXPECT_FALSE(e->message.empty());
    return e->param;
  }
};

const std::string kHi = R"("messages": [{"role": "user", "content": "Hi"}])";
const std::string kHiPrompt =
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n";
const std::string kEmptyThink = "<think>\n\n</think>\n\n";

TEST_F(OpenAIThinkingTest, EnableThinkingFromTheServerAndTheRequest) {
  EXPECT_EQ(promptText("{" + kHi + "}"), kHiPrompt);
  EXPECT_EQ(promptText("{" + kHi +
                       R"(, "chat_template_kwargs": {"enable_thinking": false,
                             "other": [1]}})"),
            kHiPrompt + kEmptyThink);
  // --reasoning-budget 0, and a request that turns thinking back on.
  settings.enableThinking = false;
  EXPECT_EQ(promptText("{" + kHi + "}"), kHiPrompt + kEmptyThink);
  EXPECT_EQ(
      promptText("{" + kHi +
                 R"(, "chat_template_kwargs": {"enable_thinking": true}})"),
      kHiPrompt);
  EXPECT_EQ(promptText("{" + kHi + R"(, "chat_template_kwargs": {}})"),
            kHiPrompt + kEmptyThink);

  EXPECT_EQ(errorParam("{" + kHi + R"(, "chat_template_kwargs": 5})"),
            "chat_template_kwargs");
  EXPECT_EQ(
      errorParam("{" + kHi +
                 R"(, "chat_template_kwargs": {"enable_thinking": "false"}})"),
      "chat_template_kwargs.enable_thinking");
}

TEST_F(OpenAIThinkingTest, HistoryLosesItsThinking) {
  EXPECT_EQ(promptText(R"({"messages": [
                 {"role": "user", "content": "Hi"},
                 {"role": "assistant",
                  "content": "<think>\nA greeting.\n</think>\n\nHello!"},
                 {"role": "assistant", "content": "Again.",
                  "reasoning_content": "dropped"},
                 {"role": "user", "content": "Bye"}]})"),
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello!<|im_end|>\n"
            "<|im_start|>assistant\nAgain.<|im_end|>\n"
            "<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(errorParam(R"({"messages": [
                 {"role": "user", "content": "Hi"},
                 {"role": "assistant", "content": "x", "reasoning_content": 5},
                 {"role": "user", "content": "Bye"}]})"),
            "messages[1].reasoning_content");
  EXPECT_EQ(errorParam(R"({"messages": [
                 {"role": "assistant", "content": "x",
                  "reasoning_content": null}]})"),
            "(accepted)");
}

TEST_F(OpenAIThinkingTest, ReasoningFormat) {
  CompletionRequest request;
  ASSERT_FALSE(parse("{" + kHi + "}", request));
  EXPECT_TRUE(request.splitReasoning);
  for (const char *format : {"auto", "deepseek"}) {
    request = {};
    ASSERT_FALSE(parse(
        "{" + kHi + R"(, "reasoning_format": ")" + format + R"("})", request));
    EXPECT_TRUE(request.splitReasoning) << format;
  }
  request = {};
  ASSERT_FALSE(parse("{" + kHi + R"(, "reasoning_format": "none"})", request));
  EXPECT_FALSE(request.splitReasoning);
  // --reasoning-format none, and a request that asks for the split.
  settings.splitReasoning = false;
  request = {};
  ASSERT_FALSE(parse("{" + kHi + "}", request));
  EXPECT_FALSE(request.splitReasoning);
  request = {};
  ASSERT_FALSE(parse("{" + kHi + R"(, "reasoning_format": "auto"})", request));
  EXPECT_TRUE(request.splitReasoning);
  EXPECT_EQ(
      errorParam("{" + kHi + R"(, "reasoning_format": "deepseek-legacy"})"),
      "reasoning_format");
  EXPECT_EQ(errorParam("{" + kHi + R"(, "reasoning_format": true})"),
            "reasoning_format");

  // /v1/completions never splits.
  request = {};
  ASSERT_FALSE(parseCompletionRequest(json::parse(R"({"prompt": "a"})"),
                                      Endpoint::Completions, *tokenizer, 4096,
                                      request, settings));
  EXPECT_FALSE(request.splitReasoning);
}

TEST_F(OpenAITest, TemplatesThatDoNotThinkAreUnchanged) {
  // BitNet's template: enable_thinking means nothing, nothing is split.
  CompletionRequest request;
  ASSERT_FALSE(parse(R"({"messages": [{"role": "user", "content": "Hi"},
                           {"role": "assistant", "content": "<think>x</think>y"},
                           {"role": "user", "content": "Bye"}],
                         "chat_template_kwargs": {"enable_thinking": false}})",
                     Endpoint::ChatCompletions, request));
  EXPECT_FALSE(request.splitReasoning);
  EXPECT_EQ(tokenizer->decode(request.generation.prompt, true),
            "<|begin_of_text|>User: Hi<|eot_id|>Assistant: <think>x</think>y"
            "<|eot_id|>User: Bye<|eot_id|>Assistant: ");
  ResponseWriter writer(request, *tokenizer, "m");
  StreamEvent last;
  last.done = true;
  json message =
      writer.complete("<think>r</think>c", {}, last)["choices"][0]["message"];
  EXPECT_EQ(message["content"], "<think>r</think>c");
  EXPECT_FALSE(message.contains("reasoning_content"));
}

TEST_F(OpenAIThinkingTest, AnswerSplitIntoReasoningAndContent) {
  CompletionRequest request;
  ASSERT_FALSE(parse("{" + kHi + "}", request));
  ResponseWriter writer(request, *tokenizer, "m");
  StreamEvent last;
  last.done = true;
  last.finish = FinishReason::Stop;
  last.promptTokens = 9;
  last.completionTokens = 7;
  json answer =
      writer.complete("<think>\nA greeting.\n</think>\n\nHello!", {}, last);
  json message = answer["choices"][0]["message"];
  EXPECT_EQ(message["role"], "assistant");
  EXPECT_EQ(message["reasoning_content"], "A greeting.");
  EXPECT_EQ(message["content"], "Hello!");
  EXPECT_EQ(answer["usage"]["completion_tokens"], 7); // all tokens count
  // Cut by max_tokens inside the thinking: all reasoning, empty content.
  last.finish = FinishReason::Length;
  answer = writer.complete("<think>\nStill thinking", {}, last);
  EXPECT_EQ(answer["choices"][0]["message"]["reasoning_content"],
            "Still thinking");
  EXPECT_EQ(answer["choices"][0]["message"]["content"], "");
  EXPECT_EQ(answer["choices"][0]["finish_reason"], "length");
  // A model that does not think: all content, no reasoning_content.
  message = writer.complete("Hello!", {}, last)["choices"][0]["message"];
  EXPECT_EQ(message["content"], "Hello!");
  EXPECT_FALSE(message.contains("reasoning_content"));

  // reasoning_format none: as generated.
  request = {};
  ASSERT_FALSE(parse("{" + kHi + R"(, "reasoning_format": "none"})", request));
  ResponseWriter none(request, *tokenizer, "m");
  message = none.complete("<think>\nr\n</think>\n\nc", {},
                          last)["choices"][0]["message"];
  EXPECT_EQ(message["content"], "<think>\nr\n</think>\n\nc");
  EXPECT_FALSE(message.contains("reasoning_content"));
}

TEST_F(OpenAIThinkingTest, StreamedReasoningThenContent) {
  CompletionRequest request;
  ASSERT_FALSE(
      parse("{" + kHi + R"(, "stream": true, "logprobs": true})", request));
  ResponseWriter writer(request, *tokenizer, "m");
  auto token = [](int32_t id) {
    TokenLogprob t;
    t.token = id;
    t.logprob = -0.5f;
    return std::vector<TokenLogprob>{t};
  };
  json role = writer.chunk("", {});
  EXPECT_EQ(role["choices"][0]["delta"],
            (json{{"role", "assistant"}, {"content", ""}}));
  // The tags are held back (null: nothing to send); their tokens'
  // log-probabilities go out with the next text.
  EXPECT_TRUE(writer.chunk("<think>", token(258)).is_null());
  json r = writer.chunk("\nA", token('A'));
  EXPECT_EQ(r["choices"][0]["delta"], (json{{"reasoning_content", "A"}}));
  EXPECT_EQ(r["choices"][0]["logprobs"]["content"].size(), 2u);
  EXPECT_EQ(r["object"], "chat.completion.chunk");
  EXPECT_EQ(r["id"], role["id"]);
  EXPECT_TRUE(writer.chunk("\n", token('\n')).is_null());
  EXPECT_TRUE(writer.chunk("</", {}).is_null());
  EXPECT_TRUE(writer.chunk("think>\n", {}).is_null());
  json c = writer.chunk("\nHi", token('H'));
  EXPECT_EQ(c["choices"][0]["delta"], (json{{"content", "Hi"}}));
  EXPECT_EQ(c["choices"][0]["logprobs"]["content"].size(), 2u);
  EXPECT_TRUE(writer.flushChunk().is_null());
  StreamEvent last;
  last.done = true;
  EXPECT_EQ(writer.finalChunk(last)["choices"][0]["delta"], json::object());

  // Reasoning and content from one piece of text: one delta with both.
  ResponseWriter both(request, *tokenizer, "m");
  both.chunk("", {});
  EXPECT_EQ(both.chunk("<think>r</think>c", {})["choices"][0]["delta"],
            (json{{"reasoning_content", "r"}, {"content", "c"}}));

  // Cut inside the reasoning: the held whitespace is dropped, and the
  // held log-probabilities still go out, with an empty content.
  ResponseWriter cut(request, *tokenizer, "m");
  cut.chunk("", {});
  EXPECT_EQ(cut.chunk("<think>\nhm", {})["choices"][0]["delta"],
            (json{{"reasoning_content", "hm"}}));
  EXPECT_TRUE(cut.chunk("\n", token('\n')).is_null());
  json rest = cut.flushChunk();
  EXPECT_EQ(rest["choices"][0]["delta"], (json{{"content", ""}}));
  EXPECT_EQ(rest["choices"][0]["logprobs"]["content"].size(), 1u);

  // A prefix of <think> that turns out to be text: content, at the end.
  ResponseWriter never(request, *tokenizer, "m");
  never.chunk("", {});
  EXPECT_TRUE(never.chunk("<thi", {}).is_null());
  EXPECT_EQ(never.flushChunk()["choices"][0]["delta"],
            (json{{"content", "<thi"}}));
}

TEST_F(OpenAIThinkingTest, ApplyTemplate) {
  std::string prompt;
  ASSERT_FALSE(applyChatTemplate(
      json::parse("{" + kHi +
                  R"(, "chat_template_kwargs": {"enable_thinking": false}})"),
      *tokenizer, settings, prompt));
  EXPECT_EQ(prompt, kHiPrompt + kEmptyThink);
  auto e = applyChatTemplate(json::parse(R"({"messages": []})"), *tokenizer,
                             settings, prompt);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->param, "messages");
}

TEST(OpenAIErrors, Shape) {
  ApiError e{404, "no", "invalid_request_error", "model", "model_not_found"};
  EXPECT_EQ(errorBody(e), (json{{"error",
                                 {{"message", "no"},
                                  {"type", "invalid_request_error"},
                                  {"param", "model"},
                                  {"code", "model_not_found"}}}}));
  json nulls = errorBody({400, "bad", "invalid_request_error", "", ""});
  EXPECT_TRUE(nulls["error"]["param"].is_null());
  EXPECT_TRUE(nulls["error"]["code"].is_null());
}

TEST(OpenAIJson, InvalidUtf8IsReplacedOnOutput) {
  EXPECT_EQ(dumpJson(json{{"t", "a\xFF"
                                "b"}}),
            "{\"t\":\"a\xEF\xBF\xBD"
            "b\"}");
}

} // namespace
