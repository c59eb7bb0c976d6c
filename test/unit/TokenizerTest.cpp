//===- TokenizerTest.cpp - text to token ids and back ---------------------===//

#include "trit/Runtime/Tokenizer.h"

#include <gtest/gtest.h>

#include <random>

namespace {

/// A byte-level vocabulary: the 256 byte characters, a few merges, and the
/// Llama 3 specials.
trit::TokenizerSpec byteLevelSpec() {
  trit::TokenizerSpec spec;
  spec.model = "gpt2";
  spec.pre = "llama-bpe";
  // GPT-2's byte characters, in byte order.
  int extra = 256;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) ||
                     (b >= 174 && b <= 255);
    uint32_t cp = printable ? b : extra++;
    std::string s;
    if (cp < 0x80) {
      s += char(cp);
    } else {
      s += char(0xC0 | (cp >> 6));
      s += char(0x80 | (cp & 0x3F));
    }
    spec.tokens.push_back(s);
    spec.tokenTypes.push_back(1);
  }
  // "Ġ" is the space's character (U+0120).
  for (const char *merge : {"h e", "he l", "hel l", "hell o", "Ġ w", "Ġw o",
                            "Ġwo r", "Ġwor l", "Ġworl d"}) {
    spec.merges.push_back(merge);
    std::string joined = merge;
    joined.erase(joined.find(' '), 1);
    spec.tokens.push_back(joined);
    spec.tokenTypes.push_back(1);
  }
  for (const char *special : {"<|begin_of_text|>", "<|end_of_text|>",
                              "<|eot_id|>"}) {
    spec.tokens.push_back(special);
    spec.tokenTypes.push_back(3);
  }
  spec.bosId = spec.tokens.size() - 3;
  spec.eosId = spec.tokens.size() - 2;
  spec.eotId = spec.tokens.size() - 1;
  spec.chatTemplate = "{{ bos_token }}...Assistant: ...<|eot_id|>";
  return spec;
}

int32_t idOf(const trit::TokenizerSpec &spec, const std::string &text) {
  for (size_t i = 0; i < spec.tokens.size(); ++i)
    if (spec.tokens[i] == text)
      return int32_t(i);
  return -1;
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

TEST(Tokenizer, SentencePieceWithByteFallback) {
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
  const std::string sp = "\xE2\x96\x81";
  for (const std::string &piece : {sp, std::string("h"), std::string("i"),
                                   sp + "h", sp + "hi", std::string("t"),
                                   std::string("e"), std::string("r"),
                                   std::string("he"), std::string("ther"),
                                   std::string("th"), std::string("the"),
                                   sp + "t", sp + "the", sp + "ther",
                                   sp + "there"})
    add(piece, -float(piece.size()), 1);
  spec.bosId = 1;
  spec.eosId = 2;
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
  spec.pre = "qwen2";
  bad = trit::Tokenizer::create(spec);
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(trit::toString(bad.takeError()),
            "pre-tokenizer 'qwen2' is not supported (llama-bpe)");
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

} // namespace
