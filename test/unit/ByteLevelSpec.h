//===- ByteLevelSpec.h - byte-level tokenizer specs for tests -----*- C++ -*-===//
//
// The pieces of a GPT-2-style byte-level vocabulary that the tokenizer's
// and the server's tests and the tokenizer fuzzer build their specs from.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TEST_UNIT_BYTELEVELSPEC_H
#define TRIT_TEST_UNIT_BYTELEVELSPEC_H

#include "trit/Runtime/Tokenizer.h"

#include <string>
#include <vector>

namespace trit::test {

/// GPT-2's character for each byte, in byte order (UTF-8): printable
/// bytes stand for themselves, the others for U+0100 onwards.
inline std::vector<std::string> gpt2ByteChars() {
  std::vector<std::string> chars;
  uint32_t extra = 256;
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
    chars.push_back(s);
  }
  return chars;
}

/// Appends GPT-2's 256 byte characters as normal tokens (ids 0-255 of an
/// empty spec), and makes the spec byte-level BPE with the Llama 3
/// pre-tokenizer.
inline void appendByteAlphabet(TokenizerSpec &spec) {
  spec.model = "gpt2";
  spec.pre = "llama-bpe";
  for (std::string &c : gpt2ByteChars()) {
    spec.tokens.push_back(std::move(c));
    spec.tokenTypes.push_back(1);
  }
}

/// Appends Llama 3's BOS, EOS and EOT as control tokens and BitNet b1.58
/// 2B4T's chat format.
inline void appendLlama3Specials(TokenizerSpec &spec) {
  for (const char *special :
       {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"}) {
    spec.tokens.push_back(special);
    spec.tokenTypes.push_back(3);
  }
  spec.bosId = spec.tokens.size() - 3;
  spec.eosId = spec.tokens.size() - 2;
  spec.eotId = spec.tokens.size() - 1;
  spec.chatTemplate = "{{ bos_token }}...Assistant: ...<|eot_id|>";
}

} // namespace trit::test

#endif // TRIT_TEST_UNIT_BYTELEVELSPEC_H
