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
#include <optional>
#include <string>
#include <string_view>
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
  /// (`<|eot_id|>`) becomes those tokens. Each byte that is not valid UTF-8
  /// becomes a byte token of its own; the text around it encodes as usual.
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
  struct Scratch;

  explicit Tokenizer(TokenizerSpec spec) : spec(std::move(spec)) {}
  /// The id of the token spelled `text` (the first of equal spellings), or
  /// -1.
  int32_t findId(std::string_view text) const;
  int32_t findId(std::string_view text, uint64_t hash) const;
  /// findId of `count` (at most kLookupBatch) texts at once.
  static constexpr size_t kLookupBatch = 32;
  void findIds(const std::string_view *texts, size_t count, int32_t *ids) const;
  /// The rank of the merge that makes token `made` from a left side of
  /// `leftSize` bytes, or -1.
  int32_t findMerge(int32_t made, size_t leftSize) const;
  /// The rank of a merge kept by spelling (oddMerges), or -1.
  int32_t findOddMerge(std::string_view left, std::string_view right) const;
  void encodeBytePairWord(std::string_view word, const uint8_t *invalid,
                          Scratch &scratch, std::vector<int32_t> &out) const;
  void encodeSentencePiece(std::string_view text, Scratch &scratch,
                           std::vector<int32_t> &out) const;

  TokenizerSpec spec;
  // Open addressing (a power of two of slots, at most two thirds full):
  // token ids by spelling, with hash bits so that most probes compare no
  // text.
  struct IdSlot {
    uint32_t hash;
    int32_t id; // -1: empty
  };
  std::vector<IdSlot> idSlots;
  // Merges by the token they make: a merge "left right" is that token and
  // where it splits, so the merges of token t are
  // mergeEntries[mergeStarts[t], mergeStarts[t + 1]), in rank order, each
  // the length of its left side << kRankBits | its rank.
  static constexpr unsigned kRankBits = 22;
  std::vector<uint32_t> mergeStarts;
  std::vector<uint32_t> mergeEntries;
  // The merges that do not fit there (the joined text is no token, the
  // left side is 1024 bytes or more, or the rank 2^22 or more), sorted by
  // their sides' spellings, then rank. A sound vocabulary has none.
  struct OddMerge {
    std::string_view left, right;
    int32_t rank;
  };
  std::vector<OddMerge> oddMerges;
  std::vector<int32_t> specialIds; // longest text first
  bool specialFirstBytes[256] = {};
  std::string byteToChar[256];
  int32_t byteCharIds[256];  // ids of byteToChar's tokens
  int16_t charToByte[0x144]; // code point -> byte, or -1
  int32_t byteTokens[256];   // SentencePiece <0xXX>
  void *regex = nullptr;     // pcre2_code_8
};

/// The chat formats trit-run knows: BitNet b1.58 2B4T's
/// ("<|begin_of_text|>User: ...<|eot_id|>Assistant: "), Llama 3's and
/// ChatML's ("<|im_start|>user\n...<|im_end|>\n"). Returns the text of
/// one turn (with the BOS text on the first) and, with `addAssistant`, the
/// generation prompt. One turn alone knows nothing of thinking: formatChat
/// renders a conversation as Qwen3's template does.
Expected<std::string> formatChatTurn(const TokenizerSpec &spec,
                                     std::string_view role,
                                     std::string_view content, bool first,
                                     bool addAssistant);

/// One message of a conversation: its role ("system", "user" or
/// "assistant") and text. `reasoning` is an assistant's reasoning_content
/// when one was given apart; then `content` is taken as it is, not searched
/// for a think block (as Qwen3's template reads a message).
struct ChatMessage {
  std::string role;
  std::string content;
  std::optional<std::string> reasoning;
};

struct ChatOptions {
  /// End with the assistant's turn opened, for the model to answer.
  bool addGenerationPrompt = true;
  /// Qwen3's enable_thinking. When false, a thinking template's generation
  /// prompt is followed by an empty think block, "<think>\n\n</think>\n\n",
  /// so that the model answers at once. Other templates ignore it.
  bool enableThinking = true;
};

/// Whether the model's chat template is a thinking one as Qwen3's: ChatML
/// whose template spells both <think> and </think>.
bool chatTemplateThinks(const TokenizerSpec &spec);

/// A whole conversation in the model's chat format (see formatChatTurn),
/// and the generation prompt. With a thinking template (Qwen3's), an
/// assistant message before the last user message loses its think block:
/// only what follows its last </think> (without leading newlines) is kept.
/// An assistant message after the last user message keeps it, spelled
/// "<think>\nREASONING\n</think>\n\nCONTENT", when it is the last message or
/// has reasoning. A user message that is a whole <tool_response>...
/// </tool_response> is not a user query there.
Expected<std::string> formatChat(const TokenizerSpec &spec,
                                 const std::vector<ChatMessage> &messages,
                                 const ChatOptions &options = {});

} // namespace trit

#endif // TRIT_RUNTIME_TOKENIZER_H
