//===- TokenizerTest.cpp - text to token ids and back ---------------------===//

#include "ByteLevelSpec.h"
#include "trit/Runtime/Tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <unordered_set>

namespace {

/// A byte-level vocabulary: the 256 byte characters, a few merges, and the
/// Llama 3 specials.
trit::TokenizerSpec byteLevelSpec() {
  trit::TokenizerSpec spec;
  trit::test::appendByteAlphabet(spec);
  // "Ġ" is the space's character (U+0120).
  for (const char *merge : {"h e", "he l", "hel l", "hell o", "Ġ w", "Ġw o",
                            "Ġwo r", "Ġwor l", "Ġworl d"}) {
    spec.merges.push_back(merge);
    std::string joined = merge;
    joined.erase(joined.find(' '), 1);
    spec.tokens.push_back(joined);
    spec.tokenTypes.push_back(1);
  }
  trit::test::appendLlama3Specials(spec);
  return spec;
}

int32_t idOf(const trit::TokenizerSpec &spec, const std::string &text) {
  for (size_t i = 0; i < spec.tokens.size(); ++i)
    if (spec.tokens[i] == text)
      return int32_t(i);
  return -1;
}

/// GPT-2's character for byte `b` (UTF-8).
std::string byteChar(int b) {
  trit::TokenizerSpec spec = byteLevelSpec();
  return spec.tokens[b];
}

/// A byte-level vocabulary whose merges make long runs of 'a' and 'b'
/// (two merges make "aaa" and two "aaab", at different ranks), and merge
/// the characters of U+65E5 (bytes E6 97 A5) into one token.
trit::TokenizerSpec runSpec() {
  trit::TokenizerSpec spec = byteLevelSpec();
  spec.merges.clear();
  std::string a64(64, 'a'), a32(32, 'a'), a16(16, 'a');
  std::string e6 = byteChar(0xE6), x97 = byteChar(0x97), a5 = byteChar(0xA5);
  for (const std::string &merge :
       {std::string("a a"), std::string("aa aa"), std::string("a b"),
        std::string("aa ab"), std::string("aaaa aaaa"), std::string("a aa"),
        std::string("aaab aaab"), std::string("aaaaaaaa aaaaaaaa"),
        a16 + " " + a16, a32 + " " + a32, a64 + " " + a64,
        std::string("b b"), std::string("aaa b"), std::string("aa a"),
        e6 + " " + x97, e6 + x97 + " " + a5}) {
    spec.merges.push_back(merge);
    std::string joined = merge;
    joined.erase(joined.find(' '), 1);
    if (idOf(spec, joined) < 0) {
      spec.tokens.push_back(joined);
      spec.tokenTypes.push_back(1);
    }
  }
  return spec;
}

/// Token texts as runs: {count, text} for each run of equal tokens.
std::vector<std::pair<int, std::string>>
runs(const trit::TokenizerSpec &spec, const std::vector<int32_t> &ids) {
  std::vector<std::pair<int, std::string>> out;
  for (int32_t id : ids) {
    if (!out.empty() && out.back().second == spec.tokens[id])
      ++out.back().first;
    else
      out.emplace_back(1, spec.tokens[id]);
  }
  return out;
}

/// BPE as it is defined (and as the tokenizer did it before its priority
/// queue): merge the best adjacent pair, the leftmost of equal ones, until
/// none merges. Quadratic, for pieces of a few thousand symbols.
std::vector<std::string> mergeByDefinition(
    std::vector<std::string> symbols,
    const std::function<std::optional<double>(const std::string &,
                                              const std::string &)> &priority) {
  while (symbols.size() > 1) {
    std::optional<double> best;
    size_t at = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      std::optional<double> p = priority(symbols[i], symbols[i + 1]);
      if (p && (!best || *p > *best)) {
        best = p;
        at = i;
      }
    }
    if (!best)
      break;
    symbols[at] += symbols[at + 1];
    symbols.erase(symbols.begin() + at + 1);
  }
  return symbols;
}

TEST(Tokenizer, MergesByRankAndKeepsSpecialTokens) {
  auto t = trit::Tokenizer::create(byteLevelSpec());
  ASSERT_TRUE(bool(t)) << trit::toString(t.takeError());
  const trit::TokenizerSpec &spec = (*t)->getSpec();
  std::vector<int32_t> ids = (*t)->encode("hello world<|eot_id|>!", true, true);
  std::vector<int32_t> expected = {int32_t(spec.bosId), idOf(spec, "hello"),
                                   idOf(spec, "Ġworld"), int32_t(spec.eotId),
                                   idOf(spec, "!")};
  EXPECT_EQ(ids, expected);
  // Without special parsing, the marker is plain text.
  std::vector<int32_t> plain = (*t)->encode("<|eot_id|>", false, false);
  EXPECT_GT(plain.size(), 1u);
  EXPECT_EQ((*t)->decode(plain), "<|eot_id|>");
  // Control tokens decode to nothing unless asked.
  EXPECT_EQ((*t)->decode(ids), "hello world!");
  EXPECT_EQ((*t)->decode(ids, true), "<|begin_of_text|>hello world<|eot_id|>!");
  EXPECT_TRUE((*t)->isEndOfGeneration(int32_t(spec.eotId)));
}

// NUL bytes and invalid UTF-8.
const char kInvalid[] = "\0\x01\xff\xfe invalid \xc3 utf-8";

TEST(Tokenizer, RoundTripsAnyBytes) {
  auto t = trit::Tokenizer::create(byteLevelSpec());
  ASSERT_TRUE(bool(t));
  std::mt19937 rng(5);
  std::vector<std::string> texts = {
      "", " ", "  leading and trailing  ", "tabs\tnew\nlines\r\n",
      "héllo wörld — 日本語 🙂", "1234567890", "it's DON'T we'll",
      std::string(kInvalid, sizeof(kInvalid) - 1)};
  for (int i = 0; i < 200; ++i) {
    std::string s;
    for (int k = rng() % 40; k > 0; --k)
      s += char(rng() % 256);
    texts.push_back(s);
  }
  for (const std::string &text : texts)
    EXPECT_EQ((*t)->decode((*t)->encode(text, false, false)), text);
}

const std::string kSpace = "\xE2\x96\x81"; // U+2581

/// A SentencePiece vocabulary: <unk>, <s>, </s>, the byte tokens, then
/// `pieces` with their scores.
trit::TokenizerSpec
sentencePieceSpec(const std::vector<std::pair<std::string, float>> &pieces) {
  trit::TokenizerSpec spec;
  spec.model = "llama";
  auto add = [&](const std::string &text, float score, int32_t type) {
    spec.tokens.push_back(text);
    spec.scores.push_back(score);
    spec.tokenTypes.push_back(type);
  };
  add("<unk>", 0, 2);
  add("<s>", 0, 3);
  add("</s>", 0, 3);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    snprintf(name, sizeof(name), "<0x%02X>", b);
    add(name, 0, 6);
  }
  for (const auto &[piece, score] : pieces)
    add(piece, score, 1);
  spec.bosId = 1;
  spec.eosId = 2;
  return spec;
}

TEST(Tokenizer, SentencePieceWithByteFallback) {
  const std::string sp = kSpace;
  std::vector<std::pair<std::string, float>> pieces;
  for (const std::string &piece : {sp, std::string("h"), std::string("i"),
                                   sp + "h", sp + "hi", std::string("t"),
                                   std::string("e"), std::string("r"),
                                   std::string("he"), std::string("ther"),
                                   std::string("th"), std::string("the"),
                                   sp + "t", sp + "the", sp + "ther",
                                   sp + "there"})
    pieces.emplace_back(piece, -float(piece.size()));
  trit::TokenizerSpec spec = sentencePieceSpec(pieces);
  auto t = trit::Tokenizer::create(spec);
  ASSERT_TRUE(bool(t)) << trit::toString(t.takeError());
  std::vector<int32_t> ids = (*t)->encode("hi there", true, false);
  std::vector<int32_t> expected = {1, idOf(spec, sp + "hi"),
                                   idOf(spec, sp + "there")};
  EXPECT_EQ(ids, expected);
  // "é" has no piece: its two bytes.
  std::vector<int32_t> bytes = (*t)->encode("é", false, false);
  ASSERT_EQ(bytes.size(), 3u);
  EXPECT_EQ(bytes[1], idOf(spec, "<0xC3>"));
  EXPECT_EQ(bytes[2], idOf(spec, "<0xA9>"));
  EXPECT_EQ((*t)->decode((*t)->encode("hi there é", true, false)),
            "hi there é");
}

TEST(Tokenizer, RejectsWhatItCannotRun) {
  trit::TokenizerSpec spec = byteLevelSpec();
  spec.model = "wordpiece";
  auto bad = trit::Tokenizer::create(spec);
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(trit::toString(bad.takeError()),
            "tokenizer model 'wordpiece' is not supported (gpt2 byte-level "
            "BPE or llama SentencePiece)");
  spec = byteLevelSpec();
  spec.pre = "deepseek-llm";
  bad = trit::Tokenizer::create(spec);
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(trit::toString(bad.takeError()),
            "pre-tokenizer 'deepseek-llm' is not supported (llama-bpe, qwen2)");
  spec = byteLevelSpec();
  spec.eotId = 1 << 20;
  bad = trit::Tokenizer::create(spec);
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(trit::toString(bad.takeError()).find("outside the vocabulary"),
            std::string::npos);
}

TEST(Tokenizer, FormatsBitNetChatTurns) {
  trit::TokenizerSpec spec = byteLevelSpec();
  auto first = trit::formatChatTurn(spec, "user", "  Hi there \n", true, true);
  ASSERT_TRUE(bool(first));
  EXPECT_EQ(*first, "<|begin_of_text|>User: Hi there<|eot_id|>Assistant: ");
  auto next = trit::formatChatTurn(spec, "system", "Be brief.", false, false);
  ASSERT_TRUE(bool(next));
  EXPECT_EQ(*next, "System: Be brief.<|eot_id|>");
  spec.chatTemplate = "{% for m in messages %}{{ m.content }}{% endfor %}";
  auto unknown = trit::formatChatTurn(spec, "user", "x", true, true);
  ASSERT_FALSE(bool(unknown));
  trit::consumeError(unknown.takeError());
}

TEST(Tokenizer, Qwen2SplitsNumbersIntoDigits) {
  // Merges that join "2026" and "'S": Llama 3's pre-tokenizer keeps runs of
  // up to three digits together ("202" "6"), Qwen2's splits every digit;
  // both take "'S" as a contraction.
  trit::TokenizerSpec spec = byteLevelSpec();
  for (const char *merge : {"2 0", "20 2", "202 6", "' S"}) {
    spec.merges.push_back(merge);
    std::string joined = merge;
    joined.erase(joined.find(' '), 1);
    spec.tokens.push_back(joined);
    spec.tokenTypes.push_back(1);
  }
  auto texts = [](const trit::Tokenizer &t, const std::string &text) {
    std::vector<std::string> out;
    for (int32_t id : t.encode(text, false, false))
      out.push_back(t.getSpec().tokens[id]);
    return out;
  };
  auto llama = trit::Tokenizer::create(spec);
  ASSERT_TRUE(bool(llama)) << trit::toString(llama.takeError());
  EXPECT_EQ(texts(**llama, "2026'S"),
            (std::vector<std::string>{"202", "6", "'S"}));
  spec.pre = "qwen2";
  auto qwen = trit::Tokenizer::create(spec);
  ASSERT_TRUE(bool(qwen)) << trit::toString(qwen.takeError());
  EXPECT_EQ(texts(**qwen, "2026'S"),
            (std::vector<std::string>{"2", "0", "2", "6", "'S"}));
}

TEST(Tokenizer, FormatsChatMLTurns) {
  trit::TokenizerSpec spec = byteLevelSpec();
  spec.chatTemplate = "{% for message in messages %}<|im_start|>"
                      "{{ message.role }}\n{{ message.content }}<|im_end|>\n"
                      "{% endfor %}";
  auto first = trit::formatChatTurn(spec, "user", " Hi\n", true, true);
  ASSERT_TRUE(bool(first));
  EXPECT_EQ(*first, "<|im_start|>user\n Hi\n<|im_end|>\n"
                    "<|im_start|>assistant\n");
  auto system = trit::formatChatTurn(spec, "system", "Be brief.", true, false);
  ASSERT_TRUE(bool(system));
  EXPECT_EQ(*system, "<|im_start|>system\nBe brief.<|im_end|>\n");
}

/// Qwen3's template in brief: what formatChat looks for in it.
trit::TokenizerSpec qwen3Spec() {
  trit::TokenizerSpec spec = byteLevelSpec();
  spec.bosId = -1;
  spec.chatTemplate =
      "{%- for message in messages %}<|im_start|>{{ message.role }}..."
      "{%- set content = content.split('</think>')[-1] %}...'<think>\\n' + "
      "reasoning_content + '\\n</think>\\n\\n'...{%- endfor %}"
      "{%- if add_generation_prompt %}<|im_start|>assistant\\n"
      "{%- if enable_thinking is defined and enable_thinking is false %}"
      "<think>\\n\\n</think>\\n\\n{%- endif %}{%- endif %}";
  return spec;
}

std::string chat(const trit::TokenizerSpec &spec,
                 const std::vector<trit::ChatMessage> &messages,
                 bool enableThinking = true, bool addGenerationPrompt = true) {
  trit::ChatOptions options;
  options.enableThinking = enableThinking;
  options.addGenerationPrompt = addGenerationPrompt;
  auto text = trit::formatChat(spec, messages, options);
  EXPECT_TRUE(bool(text));
  return text ? *text : trit::toString(text.takeError());
}

TEST(Tokenizer, Qwen3ThinkingIsOnUnlessDisabled) {
  trit::TokenizerSpec spec = qwen3Spec();
  EXPECT_TRUE(trit::chatTemplateThinks(spec));
  std::vector<trit::ChatMessage> hi = {{"system", "Be brief.", {}},
                                       {"user", "Hi", {}}};
  const std::string prompt = "<|im_start|>system\nBe brief.<|im_end|>\n"
                             "<|im_start|>user\nHi<|im_end|>\n"
                             "<|im_start|>assistant\n";
  EXPECT_EQ(chat(spec, hi), prompt);
  EXPECT_EQ(chat(spec, hi, /*enableThinking=*/false),
            prompt + "<think>\n\n</think>\n\n");
  // No generation prompt: nothing to pre-fill.
  EXPECT_EQ(chat(spec, hi, false, /*addGenerationPrompt=*/false),
            prompt.substr(0, prompt.size() - 22));
}

TEST(Tokenizer, Qwen3HistoryLosesItsThinking) {
  trit::TokenizerSpec spec = qwen3Spec();
  std::vector<trit::ChatMessage> turns = {
      {"user", "Hi", {}},
      {"assistant", "<think>\nA greeting.\n</think>\n\nHello!", {}},
      {"user", "Again", {}},
      {"assistant", "\n\n<think>\n\n</think>\n\n\nHello again.", {}},
      {"user", "Bye", {}}};
  const std::string expected = "<|im_start|>user\nHi<|im_end|>\n"
                               "<|im_start|>assistant\nHello!<|im_end|>\n"
                               "<|im_start|>user\nAgain<|im_end|>\n"
                               "<|im_start|>assistant\nHello again.<|im_end|>\n"
                               "<|im_start|>user\nBye<|im_end|>\n"
                               "<|im_start|>assistant\n";
  EXPECT_EQ(chat(spec, turns), expected);
  EXPECT_EQ(chat(spec, turns, false), expected + "<think>\n\n</think>\n\n");

  // The content after the last </think>; an unclosed think block, and a
  // reply without one, stay as they are.
  EXPECT_EQ(chat(spec, {{"user", "a", {}},
                        {"assistant", "<think>x</think>y</think>\nz", {}},
                        {"assistant", "<think>never closed", {}},
                        {"assistant", " plain\n", {}},
                        {"user", "b", {}}},
                 true, false),
            "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\nz<|im_end|>\n"
            "<|im_start|>assistant\n<think>never closed<|im_end|>\n"
            "<|im_start|>assistant\n plain\n<|im_end|>\n"
            "<|im_start|>user\nb<|im_end|>\n");
  // reasoning_content given apart: the content is taken as it is.
  EXPECT_EQ(chat(spec, {{"user", "a", {}},
                        {"assistant", "<think>kept</think>c", "r"},
                        {"user", "b", {}}},
                 true, false),
            "<|im_start|>user\na<|im_end|>\n"
            "<|im_start|>assistant\n<think>kept</think>c<|im_end|>\n"
            "<|im_start|>user\nb<|im_end|>\n");
}

TEST(Tokenizer, Qwen3KeepsThinkingAfterTheLastQuery) {
  trit::TokenizerSpec spec = qwen3Spec();
  // The last message, an assistant's: its think block, empty or not.
  EXPECT_EQ(chat(spec, {{"user", "Hi", {}}, {"assistant", "Hello", {}}}, true,
                 false),
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n<think>\n\n</think>\n\nHello<|im_end|>\n");
  EXPECT_EQ(chat(spec, {{"user", "Hi", {}},
                        {"assistant", "<think>\n\nhm\n</think>\n\nHello", {}}},
                 true, false),
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n<think>\nhm\n</think>\n\nHello<|im_end|>\n");
  // Before the last: only with reasoning. A tool's answer as a user
  // message is no query, so what precedes it keeps its thinking.
  EXPECT_EQ(chat(spec, {{"user", "Q", {}},
                        {"assistant", "\nA", "\nr\n\n"},
                        {"assistant", "B", {}},
                        {"user", "<tool_response>42</tool_response>", {}}},
                 true, false),
            "<|im_start|>user\nQ<|im_end|>\n"
            "<|im_start|>assistant\n<think>\nr\n</think>\n\nA<|im_end|>\n"
            "<|im_start|>assistant\nB<|im_end|>\n"
            "<|im_start|>user\n<tool_response>42</tool_response><|im_end|>\n");
}

TEST(Tokenizer, TemplatesThatDoNotThink) {
  // ChatML without thinking (Qwen2.5): messages as they are, and
  // enable_thinking changes nothing.
  trit::TokenizerSpec chatml = byteLevelSpec();
  chatml.bosId = -1;
  chatml.chatTemplate = "{% for message in messages %}<|im_start|>"
                        "{{ message.role }}\n{{ message.content }}<|im_end|>\n"
                        "{% endfor %}";
  EXPECT_FALSE(trit::chatTemplateThinks(chatml));
  std::vector<trit::ChatMessage> turns = {
      {"user", "Hi", {}}, {"assistant", "<think>x</think>Hello", {}}};
  const std::string expected =
      "<|im_start|>user\nHi<|im_end|>\n"
      "<|im_start|>assistant\n<think>x</think>Hello<|im_end|>\n"
      "<|im_start|>assistant\n";
  EXPECT_EQ(chat(chatml, turns), expected);
  EXPECT_EQ(chat(chatml, turns, false), expected);

  // BitNet b1.58 2B4T's: formatChatTurn's turns, the BOS once.
  trit::TokenizerSpec bitnet = byteLevelSpec();
  EXPECT_FALSE(trit::chatTemplateThinks(bitnet));
  EXPECT_EQ(chat(bitnet, {{"system", "Be brief.", {}},
                          {"user", " Hi ", {}},
                          {"assistant", "<think>x</think>Hello", {}},
                          {"user", "Bye", {}}},
                 false),
            "<|begin_of_text|>System: Be brief.<|eot_id|>User: Hi<|eot_id|>"
            "Assistant: <think>x</think>Hello<|eot_id|>User: Bye<|eot_id|>"
            "Assistant: ");

  bitnet.chatTemplate = "{% for m in messages %}{{ m.content }}{% endfor %}";
  auto unknown = trit::formatChat(bitnet, {{"user", "x", {}}});
  ASSERT_FALSE(bool(unknown));
  EXPECT_NE(trit::toString(unknown.takeError()).find("not one trit-run knows"),
            std::string::npos);
}

/// A SentencePiece vocabulary for runs of 'a' and 'b', with equal scores
/// where the leftmost pair must win.
trit::TokenizerSpec sentencePieceRunSpec() {
  const std::string sp = kSpace;
  return sentencePieceSpec(
      {{sp, -1}, {"a", -1}, {"b", -1}, {"aa", -2}, {"ab", -2}, {"bb", -2},
       {"ba", -2.5}, {"aaa", -3}, {"aaaa", -2}, {sp + "a", -1.5},
       {sp + "aa", -2}, {"bab", -3}, {"abab", -3}, {std::string(8, 'a'), -3},
       {std::string(16, 'a'), -3}, {sp + "b", -2}});
}

using Runs = std::vector<std::pair<int, std::string>>;

// Pieces of 20,000 characters give what merging pair by pair gives. The
// byte-level expectations are test/Inputs/reference-tokenizer.py's (`bpe`
// on runSpec's merges); the old quadratic tokenizer gave the same ids, and
// also the SentencePiece ones.
TEST(Tokenizer, LongPiecesMergeAsBefore) {
  auto t = trit::Tokenizer::create(runSpec());
  ASSERT_TRUE(bool(t)) << trit::toString(t.takeError());
  const trit::TokenizerSpec &spec = (*t)->getSpec();
  std::string a128(128, 'a'), a64(64, 'a'), a32(32, 'a'), a16(16, 'a');
  auto repeat = [](const std::string &s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
      out += s;
    return out;
  };
  std::vector<std::pair<std::string, Runs>> cases = {
      {std::string(20000, 'a'), {{156, a128}, {1, a32}}},
      {std::string(19999, 'a'),
       {{156, a128}, {1, a16}, {1, "aaaaaaaa"}, {1, "aaaa"}, {1, "aaa"}}},
      {repeat("aaab", 5000), {{2500, "aaabaaab"}}},
      {repeat("ba", 7000) + repeat("aaa", 2000),
       {{1, "b"}, {6999, "ab"}, {46, a128}, {1, a64}, {1, a32}, {1, a16},
        {1, "a"}}},
      {std::string(20001, 'b'), {{10000, "bb"}, {1, "b"}}},
  };
  for (const auto &[text, expected] : cases) {
    EXPECT_EQ(runs(spec, (*t)->encode(text, false, false)), expected)
        << text.substr(0, 16) << "... (" << text.size() << " bytes)";
  }

  auto sp = trit::Tokenizer::create(sentencePieceRunSpec());
  ASSERT_TRUE(bool(sp)) << trit::toString(sp.takeError());
  const trit::TokenizerSpec &spSpec = (*sp)->getSpec();
  EXPECT_EQ(runs(spSpec, (*sp)->encode(std::string(20000, 'a'), false,
                                       false)),
            (Runs{{1, kSpace + "aa"}, {1249, std::string(16, 'a')},
                  {1, "aaaaaaaa"}, {1, "aaaa"}, {1, "aa"}}));
}

// Random pieces against the definition, for both vocabulary kinds: the
// byte-level pieces are letters (one regex piece each), so the tokenizer
// must give exactly the merges by rank of their characters.
TEST(Tokenizer, MergesAsDefined) {
  trit::TokenizerSpec spec = runSpec();
  auto t = trit::Tokenizer::create(spec);
  ASSERT_TRUE(bool(t));
  std::map<std::string, int32_t> ids;
  for (size_t i = spec.tokens.size(); i-- > 0;)
    ids[spec.tokens[i]] = int32_t(i);
  std::map<std::string, int32_t> ranks;
  for (size_t i = spec.merges.size(); i-- > 0;)
    ranks[spec.merges[i]] = int32_t(i);
  auto rank = [&](const std::string &left, const std::string &right) {
    auto it = ranks.find(left + " " + right);
    return it == ranks.end() ? std::optional<double>()
                             : std::optional<double>(-it->second);
  };

  trit::TokenizerSpec spSpec = sentencePieceRunSpec();
  auto sp = trit::Tokenizer::create(spSpec);
  ASSERT_TRUE(bool(sp));
  std::map<std::string, int32_t> spIds;
  for (size_t i = spSpec.tokens.size(); i-- > 0;)
    spIds[spSpec.tokens[i]] = int32_t(i);
  auto score = [&](const std::string &left, const std::string &right) {
    auto it = spIds.find(left + right);
    return it == spIds.end()
               ? std::optional<double>()
               : std::optional<double>(spSpec.scores[it->second]);
  };

  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    size_t size = 1 + rng() % (round < 290 ? 60 : 1000);
    std::string text;
    for (size_t i = 0; i < size; ++i)
      text += "aab"[rng() % 3];
    std::vector<int32_t> expected;
    if (ids.count(text)) {
      expected.push_back(ids[text]);
    } else {
      std::vector<std::string> symbols;
      for (char c : text)
        symbols.push_back(std::string(1, c));
      for (const std::string &symbol : mergeByDefinition(symbols, rank))
        expected.push_back(ids.at(symbol));
    }
    EXPECT_EQ((*t)->encode(text, false, false), expected) << text;

    // SentencePiece: spaces too, which become U+2581 symbols.
    std::string spText;
    for (size_t i = 0; i < size; ++i)
      spText += "aab "[rng() % 4];
    std::vector<std::string> symbols = {kSpace};
    for (char c : spText)
      symbols.push_back(c == ' ' ? kSpace : std::string(1, c));
    std::vector<int32_t> spExpected;
    for (const std::string &symbol : mergeByDefinition(symbols, score))
      spExpected.push_back(spIds.at(symbol));
    EXPECT_EQ((*sp)->encode(spText, false, false), spExpected) << spText;
  }
}

// 100,000 characters in one piece (or in as many pieces as there are
// characters) take milliseconds; merging pair by pair took minutes. The
// bound is loose for sanitizers and busy machines but fails a quadratic
// tokenizer.
TEST(Tokenizer, LongInputsTakeLinearTime) {
  auto t = trit::Tokenizer::create(runSpec());
  ASSERT_TRUE(bool(t));
  auto sp = trit::Tokenizer::create(sentencePieceRunSpec());
  ASSERT_TRUE(bool(sp));
  std::mt19937 rng(3);
  auto random = [&](const std::string &alphabet) {
    std::string s;
    for (int i = 0; i < 100000; ++i)
      s += alphabet[rng() % alphabet.size()];
    return s;
  };
  std::string bytes;
  for (int i = 0; i < 100000; ++i)
    bytes += char(rng());
  std::vector<std::string> texts = {
      std::string(100000, 'a'),
      random("ab"),
      random("abcdefghijklmnopqrstuvwxyz"),
      random("0123456789"),
      std::string(100000, ' '),
      std::string(99999, ' ') + "a",
      std::string(100000, '\n'),
      random(" \t\r\n"),
      random("a !1\n"),
      std::string(100000, '!'),
      std::string(100000, '\''),
      random("<|eot_id>"),
      std::string(100000, '\xff'),
      std::string(100000, '\x80'),
      bytes,
  };
  std::string e = "\xC3\xA9", han = "\xE6\x97\xA5";
  std::string accents, hans;
  for (int i = 0; i < 50000; ++i)
    accents += e;
  for (int i = 0; i < 33333; ++i)
    hans += han;
  texts.push_back(accents);
  texts.push_back(hans);
  for (const std::string &text : texts) {
    for (const auto *tokenizer : {t->get(), sp->get()}) {
      auto start = std::chrono::steady_clock::now();
      std::vector<int32_t> ids = tokenizer->encode(text, true, true);
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - start)
                           .count();
      EXPECT_LT(seconds, 5.0)
          << tokenizer->getSpec().model << ": " << text.substr(0, 16)
          << "... (" << text.size() << " bytes)";
      EXPECT_EQ(tokenizer->decode(ids), text);
    }
  }
}

// Invalid UTF-8 (as llama.cpp, the pre-tokenizer sees U+FFFD for each
// invalid byte): only the invalid bytes become byte tokens, never merged;
// the text around them tokenizes as usual.
TEST(Tokenizer, InvalidUtf8BecomesByteTokens) {
  auto words = trit::Tokenizer::create(byteLevelSpec());
  ASSERT_TRUE(bool(words));
  // 0xFF, never in valid UTF-8, has a merge: invalid bytes must not use it.
  trit::TokenizerSpec withFF = runSpec();
  withFF.merges.push_back(byteChar(0xFF) + " " + byteChar(0xFF));
  withFF.tokens.push_back(byteChar(0xFF) + byteChar(0xFF));
  withFF.tokenTypes.push_back(1);
  auto t = trit::Tokenizer::create(withFF);
  ASSERT_TRUE(bool(t));
  const trit::TokenizerSpec &spec = (*t)->getSpec();
  auto id = [&](const std::string &text) { return idOf(spec, text); };
  auto byte = [&](int b) { return id(byteChar(b)); };
  std::string han = byteChar(0xE6) + byteChar(0x97) + byteChar(0xA5);
  struct Case {
    const trit::Tokenizer *tokenizer;
    std::string text;
    std::vector<int32_t> expected;
  };
  std::vector<Case> cases = {
      // Inside words: "hel" and "lo" stay words.
      {words->get(), "hel\xFFlo world",
       {id("hel"), byte(0xFF), id("l"), id("o"), id("Ġworld")}},
      {words->get(), "hello\xFF world",
       {id("hello"), byte(0xFF), id("Ġworld")}},
      {words->get(), "\xFFhello", {byte(0xFF), id("hello")}},
      // Lone continuation bytes.
      {words->get(), "\x80\x80hello", {byte(0x80), byte(0x80), id("hello")}},
      // A NUL byte is valid UTF-8, an ordinary character.
      {words->get(), std::string("a\0b", 3), {id("a"), byte(0), id("b")}},
      // U+65E5 merges into one token; cut short, its bytes do not, not
      // even through the whole-piece lookup ("æĹ" is a token).
      {t->get(), "\xE6\x97\xA5", {id(han)}},
      {t->get(), "\xE6\x97", {byte(0xE6), byte(0x97)}},
      {t->get(), "\xE6\x97x", {byte(0xE6), byte(0x97), id("x")}},
      {t->get(), "aa\xE6\x97\xA5\xE6\x97" "aa",
       {id("aa"), id(han), byte(0xE6), byte(0x97), id("aa")}},
      // Overlong forms, surrogates, code points above U+10FFFF, bytes that
      // start no sequence: every byte, and runs of them never merge.
      {t->get(), "\xC0\xAF", {byte(0xC0), byte(0xAF)}},
      {t->get(), "\xE0\x80\xAF", {byte(0xE0), byte(0x80), byte(0xAF)}},
      {t->get(), "\xED\xA0\x80", {byte(0xED), byte(0xA0), byte(0x80)}},
      {t->get(), "\xF4\x90\x80\x80",
       {byte(0xF4), byte(0x90), byte(0x80), byte(0x80)}},
      {t->get(), "\xFF\xFF", {byte(0xFF), byte(0xFF)}},
      {t->get(), "aaaa\xF8" "aaaa", {id("aaaa"), byte(0xF8), id("aaaa")}},
  };
  for (const Case &c : cases) {
    EXPECT_EQ(c.tokenizer->encode(c.text, false, false), c.expected)
        << c.text;
    EXPECT_EQ(c.tokenizer->decode(c.tokenizer->encode(c.text, false, false)),
              c.text);
  }

  // SentencePiece: the invalid byte is its byte token, "▁there" a piece.
  auto sp = trit::Tokenizer::create(sentencePieceSpec(
      {{kSpace, -1}, {"h", -1}, {"i", -1}, {kSpace + "there", -3},
       {"there", -2}, {"t", -1}, {"e", -1}, {"r", -1}, {"th", -2},
       {"the", -2}, {"ther", -2}, {"he", -2}, {"her", -2}, {"ere", -2},
       {kSpace + "t", -2}, {kSpace + "th", -2}, {kSpace + "the", -2},
       {kSpace + "ther", -2}}));
  ASSERT_TRUE(bool(sp));
  const trit::TokenizerSpec &spSpec = (*sp)->getSpec();
  std::vector<int32_t> expected = {
      idOf(spSpec, kSpace), idOf(spSpec, "<0xFF>"), idOf(spSpec, "h"),
      idOf(spSpec, "i"), idOf(spSpec, kSpace + "there")};
  EXPECT_EQ((*sp)->encode("\xFFhi there", false, false), expected);
  EXPECT_EQ((*sp)->decode((*sp)->encode("\xFFhi there", false, false)),
            "\xFFhi there");
}

// Opening a Llama 3-sized vocabulary (128,256 tokens, 280,147 merges, as
// BitNet b1.58 2B4T's) takes milliseconds; a generous bound catches a
// construction that does far more work than one lookup per merge.
TEST(Tokenizer, OpensALargeVocabularyQuickly) {
  trit::TokenizerSpec spec = byteLevelSpec();
  spec.tokens.resize(256);
  spec.tokenTypes.resize(256);
  spec.merges.clear();
  // Every string of one to three letters and those after "Ġ", then four
  // letters; each splits into two tokens at every place.
  std::vector<std::string> words;
  for (int size = 1; size <= 4; ++size) {
    std::string word(size, 'a');
    while (true) {
      words.push_back(word);
      int i = size - 1;
      while (i >= 0 && word[i] == 'z')
        word[i--] = 'a';
      if (i < 0)
        break;
      ++word[i];
    }
  }
  std::unordered_set<std::string> known(spec.tokens.begin(),
                                        spec.tokens.end());
  for (const std::string &word : words) {
    for (const std::string &token : {word, "Ġ" + word}) {
      if (spec.tokens.size() == 128000)
        break;
      if (token.size() < 2 || known.count(token))
        continue;
      for (size_t k = 1; k < token.size(); ++k)
        if (known.count(token.substr(0, k)) && known.count(token.substr(k)) &&
            spec.merges.size() < 280147)
          spec.merges.push_back(token.substr(0, k) + " " + token.substr(k));
      spec.tokens.push_back(token);
      spec.tokenTypes.push_back(1);
      known.insert(token);
    }
  }
  for (int i = 0; spec.tokens.size() < 128256; ++i) {
    spec.tokens.push_back("<|reserved_special_token_" + std::to_string(i) +
                          "|>");
    spec.tokenTypes.push_back(3);
  }
  spec.bosId = 128000;
  spec.eosId = spec.eotId = 128001;
  ASSERT_EQ(spec.merges.size(), 280147u);

  auto start = std::chrono::steady_clock::now();
  auto t = trit::Tokenizer::create(spec);
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  ASSERT_TRUE(bool(t));
  RecordProperty("construction_ms", std::to_string(seconds * 1e3));
  EXPECT_LT(seconds, 1.0);
  EXPECT_EQ((*t)->encode(" abcd", false, false),
            (std::vector<int32_t>{idOf(spec, "Ġabcd")}));
  EXPECT_EQ((*t)->decode((*t)->encode(" zzzzzzzz", false, false)),
            " zzzzzzzz");
}

} // namespace
