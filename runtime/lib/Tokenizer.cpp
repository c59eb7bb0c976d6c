//===- Tokenizer.cpp - text to token ids and back -------------------------===//

#include "trit/Runtime/Tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdio>
#include <optional>

using namespace trit;

namespace {

// Llama 3's pre-tokenizer (tokenizer.json spelling, which PCRE2 reads as
// is with PCRE2_UTF | PCRE2_UCP).
const char *kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const char *kSentencePieceSpace = "\xE2\x96\x81"; // U+2581

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

/// `s` without leading and trailing whitespace (as llvm::StringRef::trim).
std::string_view trim(std::string_view s) {
  const char *space = " \t\n\v\f\r";
  size_t begin = s.find_first_not_of(space);
  if (begin == std::string_view::npos)
    return {};
  return s.substr(begin, s.find_last_not_of(space) - begin + 1);
}

void appendUtf8(uint32_t cp, std::string &out) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

/// Length of the UTF-8 sequence starting at s[i] (1 for invalid bytes, so
/// that any input splits into units).
size_t utf8Length(std::string_view s, size_t i) {
  unsigned char c = s[i];
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                                    : (c >> 3) == 30            ? 4
                                                                : 1;
  if (i + n > s.size())
    return 1;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
      return 1;
  return n;
}

/// Decodes one UTF-8 sequence; invalid bytes decode as themselves.
uint32_t decodeUtf8(std::string_view s, size_t &i) {
  size_t n = utf8Length(s, i);
  unsigned char c = s[i];
  uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += n;
  return cp;
}

std::vector<std::string> splitUtf8(std::string_view s) {
  std::vector<std::string> units;
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8Length(s, i);
    units.emplace_back(s.substr(i, n));
    i += n;
  }
  return units;
}

/// BPE: repeatedly merges the adjacent pair with the highest priority
/// (`priority` returns none for pairs that do not merge), leftmost first.
template <typename Priority>
std::vector<std::string> mergeSymbols(std::vector<std::string> symbols,
                                      Priority priority) {
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

} // namespace

Tokenizer::~Tokenizer() {
  if (regex)
    pcre2_code_free(static_cast<pcre2_code *>(regex));
}

Expected<std::unique_ptr<Tokenizer>>
Tokenizer::create(TokenizerSpec spec) {
  if (spec.model != "gpt2" && spec.model != "llama")
    return makeError("tokenizer model '" + spec.model +
                     "' is not supported (gpt2 byte-level BPE or llama "
                     "SentencePiece)");
  if (spec.tokens.empty())
    return makeError("the tokenizer has no tokens");
  size_t n = spec.tokens.size();
  if ((!spec.tokenTypes.empty() && spec.tokenTypes.size() != n) ||
      (!spec.scores.empty() && spec.scores.size() != n))
    return makeError("the tokenizer's token types or scores do not match its "
                     + std::to_string(n) + " tokens");
  for (int64_t id : {spec.bosId, spec.eosId, spec.eotId})
    if (id < -1 || id >= int64_t(n))
      return makeError("special token id " + std::to_string(id) +
                       " is outside the vocabulary of " + std::to_string(n));
  std::unique_ptr<Tokenizer> t(new Tokenizer(std::move(spec)));
  const TokenizerSpec &s = t->spec;
  for (size_t i = 0; i < n; ++i)
    t->ids.try_emplace(s.tokens[i], int32_t(i));
  for (size_t i = 0; i < s.merges.size(); ++i)
    t->mergeRanks.try_emplace(s.merges[i], int32_t(i));
  for (size_t i = 0; i < n; ++i) {
    int32_t type = s.tokenTypes.empty() ? 1 : s.tokenTypes[i];
    if ((type == 3 || type == 4) && !s.tokens[i].empty())
      t->specialIds.push_back(int32_t(i));
  }
  for (int32_t id : t->specialIds)
    t->specialFirstBytes[static_cast<unsigned char>(s.tokens[id][0])] = true;
  // Longest first, so that a special token is never cut by a shorter one.
  std::sort(t->specialIds.begin(), t->specialIds.end(),
            [&](int32_t a, int32_t b) {
              if (s.tokens[a].size() != s.tokens[b].size())
                return s.tokens[a].size() > s.tokens[b].size();
              return a < b;
            });

  if (s.model == "gpt2") {
    if (!s.pre.empty() && s.pre != "llama-bpe" && s.pre != "llama3")
      return makeError("pre-tokenizer '" + s.pre +
                       "' is not supported (llama-bpe)");
    // GPT-2's map: printable bytes stand for themselves, the others for
    // U+0100 onwards in byte order.
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) ||
                       (b >= 174 && b <= 255);
      uint32_t cp = printable ? uint32_t(b) : next++;
      appendUtf8(cp, t->byteToChar[b]);
      t->charToByte[cp] = uint8_t(b);
    }
    int error;
    PCRE2_SIZE offset;
    t->regex = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kLlama3Pattern),
                             PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                             &error, &offset, nullptr);
    if (!t->regex)
      return makeError("internal error: the pre-tokenizer regex does not "
                       "compile");
  } else {
    for (int b = 0; b < 256; ++b) {
      char name[8];
      snprintf(name, sizeof(name), "<0x%02X>", b);
      auto it = t->ids.find(name);
      t->byteTokens[b] = it == t->ids.end() ? -1 : it->second;
    }
  }
  return t;
}

void Tokenizer::encodeBytePairWord(std::string_view word,
                                   std::vector<int32_t> &out) const {
  std::string mapped;
  for (unsigned char c : word)
    mapped += byteToChar[c];
  // Llama 3 ignores merges for words that are tokens already.
  auto whole = ids.find(mapped);
  if (whole != ids.end()) {
    out.push_back(whole->second);
    return;
  }
  // Lowest merge rank first (leftmost on ties).
  std::vector<std::string> symbols =
      mergeSymbols(splitUtf8(mapped), [&](const std::string &left,
                                          const std::string &right) {
        auto it = mergeRanks.find(left + " " + right);
        return it == mergeRanks.end() ? std::optional<double>()
                                      : std::optional<double>(-it->second);
      });
  for (const std::string &symbol : symbols) {
    auto it = ids.find(symbol);
    if (it != ids.end()) {
      out.push_back(it->second);
      continue;
    }
    // Not in the vocabulary: its characters one by one (every byte's
    // character is a token in a byte-level vocabulary).
    for (const std::string &unit : splitUtf8(symbol)) {
      auto u = ids.find(unit);
      if (u != ids.end())
        out.push_back(u->second);
    }
  }
}

void Tokenizer::encodeSentencePiece(std::string_view text,
                                    std::vector<int32_t> &out) const {
  std::string normalized = kSentencePieceSpace;
  for (char c : text)
    normalized += c == ' ' ? std::string(kSentencePieceSpace) : std::string(1, c);
  // Highest score of the merged piece first (leftmost on ties).
  std::vector<std::string> symbols =
      mergeSymbols(splitUtf8(normalized), [&](const std::string &left,
                                              const std::string &right) {
        auto it = ids.find(left + right);
        if (it == ids.end())
          return std::optional<double>();
        return std::optional<double>(
            spec.scores.empty() ? 0.0 : spec.scores[it->second]);
      });
  for (const std::string &symbol : symbols) {
    auto it = ids.find(symbol);
    if (it != ids.end()) {
      out.push_back(it->second);
      continue;
    }
    for (unsigned char c : symbol)
      if (byteTokens[c] >= 0)
        out.push_back(byteTokens[c]);
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool addBos,
                                       bool parseSpecial) const {
  std::vector<int32_t> out;
  if (addBos && spec.bosId >= 0)
    out.push_back(int32_t(spec.bosId));
  // Split around special tokens, then encode each plain segment.
  std::vector<std::pair<std::string_view, int32_t>> segments;
  size_t plainStart = 0;
  for (size_t i = 0; parseSpecial && i < text.size();) {
    int32_t found = -1;
    // Most positions start no special token: skip them on the first byte.
    if (!specialFirstBytes[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    for (int32_t id : specialIds)
      if (startsWith(text.substr(i), spec.tokens[id])) {
        found = id;
        break;
      }
    if (found < 0) {
      ++i;
      continue;
    }
    if (i > plainStart)
      segments.emplace_back(text.substr(plainStart, i - plainStart), -1);
    segments.emplace_back(std::string_view(), found);
    i += spec.tokens[found].size();
    plainStart = i;
  }
  if (plainStart < text.size())
    segments.emplace_back(text.substr(plainStart), -1);

  for (auto [segment, special] : segments) {
    if (special >= 0) {
      out.push_back(special);
      continue;
    }
    if (spec.model == "llama") {
      encodeSentencePiece(segment, out);
      continue;
    }
    auto *code = static_cast<pcre2_code *>(regex);
    pcre2_match_data *match = pcre2_match_data_create_from_pattern(code, nullptr);
    size_t at = 0;
    while (at < segment.size()) {
      int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(segment.data()),
                           segment.size(), at, 0, match, nullptr);
      if (rc < 0) {
        // No match (or invalid UTF-8): the rest byte by byte.
        for (; at < segment.size(); ++at)
          encodeBytePairWord(segment.substr(at, 1), out);
        break;
      }
      PCRE2_SIZE *range = pcre2_get_ovector_pointer(match);
      if (range[0] > at) // characters no alternative matched
        encodeBytePairWord(segment.substr(at, range[0] - at), out);
      if (range[1] == range[0]) { // an empty match: step one character
        size_t n = utf8Length(segment, range[0]);
        encodeBytePairWord(segment.substr(range[0], n), out);
        at = range[0] + n;
        continue;
      }
      encodeBytePairWord(segment.substr(range[0], range[1] - range[0]), out);
      at = range[1];
    }
    pcre2_match_data_free(match);
  }
  return out;
}

std::string Tokenizer::decode(int32_t id, bool showSpecial) const {
  if (id < 0 || id >= int32_t(spec.tokens.size()))
    return "";
  const std::string &text = spec.tokens[id];
  int32_t type = spec.tokenTypes.empty() ? 1 : spec.tokenTypes[id];
  if (type == 3)
    return showSpecial ? text : "";
  if (type == 4)
    return text;
  std::string out;
  if (spec.model == "gpt2") {
    for (size_t i = 0; i < text.size();) {
      size_t start = i;
      uint32_t cp = decodeUtf8(text, i);
      auto it = charToByte.find(cp);
      if (it != charToByte.end())
        out += char(it->second);
      else
        out.append(text, start, i - start);
    }
    return out;
  }
  // SentencePiece: byte tokens, and U+2581 for spaces.
  unsigned byte;
  if (type == 6 && text.size() == 6 &&
      sscanf(text.c_str(), "<0x%02X>", &byte) == 1)
    return std::string(1, char(byte));
  for (size_t i = 0; i < text.size();) {
    if (startsWith(std::string_view(text).substr(i), kSentencePieceSpace)) {
      out += ' ';
      i += 3;
    } else {
      out += text[i++];
    }
  }
  return out;
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids,
                              bool showSpecial) const {
  std::string out;
  for (int32_t id : ids)
    out += decode(id, showSpecial);
  if (spec.model == "llama" && !out.empty() && out[0] == ' ')
    out.erase(0, 1); // the leading space SentencePiece adds
  return out;
}

Expected<std::string> trit::formatChatTurn(const TokenizerSpec &spec,
                                           std::string_view role,
                                           std::string_view content,
                                           bool first, bool addAssistant) {
  std::string bos = first && spec.bosId >= 0 ? spec.tokens[spec.bosId] : "";
  auto contains = [&](const char *s) {
    return spec.chatTemplate.find(s) != std::string::npos;
  };
  if (contains("Assistant: ") && contains("<|eot_id|>")) {
    // BitNet b1.58 2B4T: "Role: content<|eot_id|>", no newlines.
    std::string name(role);
    if (!name.empty())
      name[0] = char(toupper(name[0]));
    return bos + name + ": " + std::string(trim(content)) + "<|eot_id|>" +
           (addAssistant ? "Assistant: " : "");
  }
  if (contains("<|start_header_id|>")) {
    // Llama 3 instruct.
    return bos + "<|start_header_id|>" + std::string(role) +
           "<|end_header_id|>\n\n" + std::string(trim(content)) + "<|eot_id|>" +
           (addAssistant ? "<|start_header_id|>assistant<|end_header_id|>\n\n"
                         : "");
  }
  return makeError("the model's chat template is not one trit-run knows "
                   "(BitNet b1.58 2B4T's or Llama 3's)");
}
