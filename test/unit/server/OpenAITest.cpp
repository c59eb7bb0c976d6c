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
