//===- TokenizerFuzzer.cpp - libFuzzer target for the tokenizer -----------===//
//
// Arbitrary bytes (invalid UTF-8, NUL, special-token text, long runs) into
// Tokenizer::encode with both vocabulary kinds. Checks that every id is in
// the vocabulary and that text decodes back byte for byte: always for
// byte-level BPE (special tokens shown: "<|" is a control token here, and a
// piece spelled so is that token even when special tokens are not parsed,
// as in llama.cpp), and for SentencePiece without special tokens (after
// one, the text gets a leading space) and without a U+2581 of its own
// (which decodes as a space).
//
// The first byte chooses:
//   bit 0: parse special tokens;
//   bit 1: SentencePiece instead of byte-level BPE (with bit 2: Qwen2's
//          pre-tokenizer instead of Llama 3's);
//   bit 2: byte-level BPE with merges from the input: the text up to the
//          first 0x01 is merges, one per line, whose joined sides become
//          tokens unless the line starts with '!' (merges that make no
//          token, malformed lines and duplicates included);
//   bits 2-7 all set instead: runs: the rest is (count, byte) pairs, each
//          byte repeated (count + 1)^2 times, up to kMaxRuns bytes in all,
//          so that short inputs make long pieces. One mode value in 64: a
//          run costs as much as a hundred short inputs under the sanitizers
//          (a quadratic tokenizer takes seconds on one; the unit tests time
//          100,000-byte inputs).
//
//===----------------------------------------------------------------------===//

#include "../unit/ByteLevelSpec.h"
#include "CpuTimeLimit.h"
#include "trit/Runtime/Tokenizer.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

/// Adds merge "left right" and (unless `noToken`) the token it makes.
void addMerge(trit::TokenizerSpec &spec, const std::string &line,
              bool noToken) {
  spec.merges.push_back(line);
  size_t space = line.find(' ');
  if (noToken || space == std::string::npos)
    return;
  spec.tokens.push_back(line.substr(0, space) + line.substr(space + 1));
  spec.tokenTypes.push_back(1);
}

void addSpecials(trit::TokenizerSpec &spec) {
  for (const char *special :
       {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|"}) {
    spec.tokens.push_back(special);
    spec.tokenTypes.push_back(3);
  }
  spec.tokens.push_back("<tool>"); // user-defined: always shown
  spec.tokenTypes.push_back(4);
}

trit::TokenizerSpec byteLevelBase() {
  trit::TokenizerSpec spec;
  spec.model = "gpt2";
  spec.pre = "llama-bpe";
  spec.tokens = trit::test::gpt2ByteChars();
  spec.tokenTypes.assign(256, 1);
  return spec;
}

/// Byte-level BPE: words, runs of letters, digits and spaces, U+65E5's
/// bytes, and a merge of the byte 0xFF (never valid UTF-8).
std::unique_ptr<trit::Tokenizer> byteLevel() {
  trit::TokenizerSpec spec = byteLevelBase();
  std::vector<std::string> chars = trit::test::gpt2ByteChars();
  for (const char *merge :
       {"h e", "he l", "hel l", "hell o", "a a", "aa aa", "a b", "aa a", "a aa",
        "aaaa aaaa", "aaaaaaaa aaaaaaaa", "b b", "1 2", "12 3", "0 0", "' s",
        "! !"})
    addMerge(spec, merge, false);
  // "Ġ" and "Ċ" (space, new line), U+65E5's bytes, and 0xFF.
  const std::string G = chars[' '], C = chars['\n'];
  const std::string E6 = chars[0xE6], X97 = chars[0x97], A5 = chars[0xA5];
  for (const std::string &merge :
       {G + " w", G + "w o", G + "wo r", G + "wor l", G + "worl d", G + " a",
        G + "a a", G + " " + G, G + G + " " + G + G, C + " " + C,
        E6 + " " + X97, E6 + X97 + " " + A5, chars[0xFF] + " " + chars[0xFF]})
    addMerge(spec, merge, false);
  addMerge(spec, "x y", true); // makes no token
  spec.tokens.push_back("he"); // a second spelling of a token
  spec.tokenTypes.push_back(1);
  addSpecials(spec);
  spec.bosId = int64_t(spec.tokens.size()) - 5;
  spec.eosId = spec.bosId + 1;
  spec.eotId = spec.bosId + 2;
  auto t = trit::Tokenizer::create(std::move(spec));
  if (!t) {
    fprintf(stderr, "%s\n", trit::toString(t.takeError()).c_str());
    abort();
  }
  return std::move(*t);
}

std::unique_ptr<trit::Tokenizer> sentencePiece() {
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
  std::vector<std::string> pieces = {
      sp, sp + "a", sp + "aa", sp + "hello", sp + sp, std::string(8, 'a')};
  for (const char *piece : {"a", "b", "aa", "ab", "aaaa", "h", "e", "l", "o",
                            "he", "ll", "hell", "hello", "\xE6\x97\xA5"})
    pieces.push_back(piece);
  for (const std::string &piece : pieces)
    add(piece, -float(piece.size() % 3), 1);
  add("<tool>", 0, 4);
  spec.bosId = 1;
  spec.eosId = 2;
  auto t = trit::Tokenizer::create(std::move(spec));
  if (!t) {
    fprintf(stderr, "%s\n", trit::toString(t.takeError()).c_str());
    abort();
  }
  return std::move(*t);
}

void check(const trit::Tokenizer &t, const std::string &text,
           bool parseSpecial) {
  std::vector<int32_t> ids = t.encode(text, false, parseSpecial);
  for (int32_t id : ids)
    if (id < 0 || id >= t.getVocabSize()) {
      fprintf(stderr, "id %d is outside the vocabulary\n", id);
      abort();
    }
  bool byteLevel = t.getSpec().model == "gpt2";
  if (!byteLevel &&
      (parseSpecial || text.find("\xE2\x96\x81") != std::string::npos))
    return;
  if (t.decode(ids, /*showSpecial=*/true) != text) {
    fprintf(stderr, "decode(encode(text)) differs from the text\n");
    abort();
  }
}

constexpr size_t kMaxRuns = 4 << 10;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static std::unique_ptr<trit::Tokenizer> bpe = byteLevel();
  static std::unique_ptr<trit::Tokenizer> spm = sentencePiece();
  trit::fuzz::CpuTimeLimit limit; // TRIT_FUZZ_CPU_LIMIT_MS
  if (size == 0)
    return 0;
  uint8_t flags = data[0];
  std::string input(reinterpret_cast<const char *>(data) + 1, size - 1);

  bool runs = (flags & 0xFC) == 0xFC;
  std::unique_ptr<trit::Tokenizer> custom;
  if ((flags & 4) && !runs) {
    size_t end = input.find('\x01');
    std::string merges = input.substr(0, end);
    input = end == std::string::npos ? "" : input.substr(end + 1);
    trit::TokenizerSpec spec = byteLevelBase();
    if (flags & 2)
      spec.pre = "qwen2";
    for (size_t at = 0; at <= merges.size();) {
      size_t line = std::min(merges.find('\n', at), merges.size());
      std::string merge = merges.substr(at, line - at);
      bool noToken = !merge.empty() && merge[0] == '!';
      addMerge(spec, noToken ? merge.substr(1) : merge, noToken);
      at = line + 1;
    }
    addSpecials(spec);
    auto t = trit::Tokenizer::create(std::move(spec));
    if (!t) {
      fprintf(stderr, "%s\n", trit::toString(t.takeError()).c_str());
      abort();
    }
    custom = std::move(*t);
  }

  std::string text;
  if (runs) {
    for (size_t i = 0; i + 1 < input.size(); i += 2) {
      size_t count =
          (size_t(uint8_t(input[i])) + 1) * (size_t(uint8_t(input[i])) + 1);
      text.append(std::min(count, kMaxRuns - text.size()), input[i + 1]);
    }
  } else {
    text = input;
  }

  const trit::Tokenizer &t = custom ? *custom : (flags & 2) ? *spm : *bpe;
  check(t, text, flags & 1);
  return 0;
}
