//===- Tokenizer.h - text to token ids and back -----------------*- C++ -*-===//
//
// Two vocabularies, as in llama.cpp:
//  - "gpt2": byte-level BPE (Llama 3, BitNet 2B4T): special tokens first,
//    then the Llama 3 pre-tokenizer regex (PCRE2, Unicode properties), the
//    GPT-2 byte-to-character map, and merges by rank;
//  - "llama": SentencePiece BPE (older BitNet models): spaces as U+2581, a
//    leading space, merges by score, bytes as <0xXX> tokens when no piece
//    fits.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_TOKENIZER_H
#define TRIT_RUNTIME_TOKENIZER_H

#include "trit/Runtime/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace trit {

struct TokenizerSpec {
  std::string model; // "gpt2" or "llama"
  std::string pre;
  std::vector<std::string> tokens;
  std::vector<int32_t> tokenTypes; // 1 normal, 2 unknown, 3 control, 4 user, 6 byte
  std::vector<float> scores;
  std::vector<std::string> merges; // "left right", by priority
  int64_t bosId = -1, eosId = -1, eotId = -1;
  bool addBos = true;
  std::string chatTemplate;
};

class Tokenizer {
public:
  static Expected<std::unique_ptr<Tokenizer>>
  create(TokenizerSpec spec);
  ~Tokenizer();

  /// Token ids of `text`, with BOS first when `addBos`. With
  /// `parseSpecial`, the text of control and user-defined tokens
  /// (`<|eot_id|>`) becomes those tokens.
  std::vector<int32_t> encode(std::string_view text, bool addBos,
                              bool parseSpecial) const;
  /// The bytes token `id` stands for; control tokens give "" unless
  /// `showSpecial`.
  std::string decode(int32_t id, bool showSpecial = false) const;
  std::string decode(const std::vector<int32_t> &ids,
                     bool showSpecial = false) const;

  const TokenizerSpec &getSpec() const { return spec; }
  int64_t getVocabSize() const { return spec.tokens.size(); }
  bool isEndOfGeneration(int32_t id) const {
    return id == spec.eosId || id == spec.eotId;
  }

private:
  explicit Tokenizer(TokenizerSpec spec) : spec(std::move(spec)) {}
  void encodeBytePairWord(std::string_view word,
                          std::vector<int32_t> &out) const;
  void encodeSentencePiece(std::string_view text,
                           std::vector<int32_t> &out) const;

  TokenizerSpec spec;
  std::unordered_map<std::string, int32_t> ids;
  std::unordered_map<std::string, int32_t> mergeRanks; // "left right"
  std::vector<int32_t> specialIds; // longest text first
  bool specialFirstBytes[256] = {};
  std::string byteToChar[256];
  std::unordered_map<uint32_t, uint8_t> charToByte; // code point -> byte
  int32_t byteTokens[256];                          // SentencePiece <0xXX>
  void *regex = nullptr;                            // pcre2_code_8
};

/// The chat formats trit-run knows: BitNet b1.58 2B4T's
/// ("<|begin_of_text|>User: ...<|eot_id|>Assistant: "). Returns the text of
/// one user turn (with the BOS text on the first) and the generation prompt.
Expected<std::string> formatChatTurn(const TokenizerSpec &spec,
                                     std::string_view role,
                                     std::string_view content, bool first,
                                     bool addAssistant);

} // namespace trit

#endif // TRIT_RUNTIME_TOKENIZER_H
