//===- Tokenizer.cpp - text to token ids and back -------------------------===//
//
// BPE keeps a piece's symbols in a linked list and the pairs that can merge
// in a priority queue (lowest merge rank or highest score first, leftmost of
// equal ones), as llama.cpp's llm_tokenizer_bpe/spm do: O(n log n) in the
// piece, with exactly the result of merging the best pair again and again.
//
// Invalid UTF-8 (Unicode's definition, byte by byte): each invalid byte
// becomes a byte token of its own that merges with nothing; the text around
// it tokenizes as usual. As in llama.cpp the regex sees U+FFFD for each
// invalid byte (a stand-in of the same classes here). llama.cpp then
// encodes the U+FFFD (so the byte is lost), reads overlong forms and
// surrogates as code points, and cuts SentencePiece characters by their
// first byte alone; we keep every byte (docs/trit-run.md).
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/Tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <tuple>

using namespace trit;

namespace {

// Llama 3's pre-tokenizer (tokenizer.json spelling, which PCRE2 reads as
// is with PCRE2_UTF | PCRE2_UCP).
const char *kLlama3Pattern =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

// Qwen2 and Qwen3 (tokenizer.ggml.pre "qwen2"): Llama 3's with the
// contractions spelled case by case and single digits instead of runs of
// up to three.
const char *kQwen2Pattern =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|"
    "[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

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

/// Length of the well-formed UTF-8 sequence at s[i], or 0 for an invalid
/// byte there (Unicode's table 3-7: no overlong forms, surrogates, code
/// points above U+10FFFF or cut sequences).
size_t validUtf8Length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = byte(0);
  if (c < 0x80)
    return 1;
  size_t n;
  unsigned char low = 0x80, high = 0xBF; // the second byte's range
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    low = c == 0xE0 ? 0xA0 : 0x80;
    high = c == 0xED ? 0x9F : 0xBF;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    low = c == 0xF0 ? 0x90 : 0x80;
    high = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (s.size() - i < n || byte(1) < low || byte(1) > high)
    return 0;
  for (size_t k = 2; k < n; ++k)
    if ((byte(k) & 0xC0) != 0x80)
      return 0;
  return n;
}

/// Decodes one UTF-8 sequence; an invalid byte decodes as itself.
uint32_t decodeUtf8(std::string_view s, size_t &i) {
  size_t n = validUtf8Length(s, i);
  unsigned char c = s[i];
  if (n <= 1) {
    ++i;
    return c;
  }
  uint32_t cp = n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += n;
  return cp;
}

uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  return x ^ (x >> 33);
}

/// A hash of short texts, eight bytes at a time.
uint64_t hashText(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ull * (s.size() + 1);
  const char *p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    h = mix64(h ^ word);
  }
  if (n) {
    uint64_t word = 0;
    memcpy(&word, p, n);
    h = mix64(h ^ word);
  }
  return h;
}

/// Slots for `n` keys: a power of two, at most two thirds full (so that a
/// probe always ends at an empty slot, after two or three on average).
size_t tableSize(size_t n) {
  size_t size = 16;
  while (size < n + n / 2)
    size *= 2;
  return size;
}

// llama.cpp hands the regex U+FFFD for each invalid UTF-8 byte. This byte
// (ASCII SUB) stands in for it in our copy of the text: like U+FFFD it is
// no letter, number, space, line break or apostrophe, so the Llama 3 regex
// cuts the same pieces, and one byte for one keeps the offsets.
const char kInvalidStandIn = '\x1A';

} // namespace

/// What encoding one text reuses from piece to piece: the symbols of the
/// piece being merged and the queue of the pairs that can merge.
struct Tokenizer::Scratch {
  static constexpr int32_t kUnresolved = -2;

  /// A span of `text` that merges grow, linked to its neighbours.
  struct Symbol {
    size_t start, size; // size 0: merged into its left neighbour
    int32_t prev, next; // -1 at the ends
    int32_t id;         // the token spelled so, -1, or kUnresolved (not
                        // looked up yet)
    bool fixed;         // an invalid UTF-8 byte: merges with nothing
  };
  /// Two adjacent symbols that can merge. `size` (their bytes when queued)
  /// tells stale entries: symbols only grow, so once the left one is gone
  /// or is followed by another, or the right one grew, the pair is no
  /// longer there.
  struct Candidate {
    double key; // lowest first: the merge rank, or minus the merged score
    int32_t left, right;
    size_t size;
    int32_t id; // the token the merge makes, or -1
  };

  std::string text; // the mapped word, or the normalized SentencePiece text
  std::vector<Symbol> symbols;
  std::vector<Candidate> heap;

  void add(size_t start, size_t size, int32_t id, bool fixed) {
    int32_t index = int32_t(symbols.size());
    symbols.push_back({start, size, index - 1, -1, id, fixed});
    if (index > 0)
      symbols[index - 1].next = index;
  }

  std::string_view spelling(const Symbol &symbol) const {
    return std::string_view(text).substr(symbol.start, symbol.size);
  }

  /// Merges the symbols pair by pair, the pair with the lowest key first and
  /// the leftmost of equal keys (symbols keep their order, so the left
  /// index orders them as their positions do), until no pair merges: what
  /// rescanning all pairs after each merge gives, in O(n log n).
  /// `candidate(left, right, c)` says whether a pair merges and fills its
  /// key and merged id.
  template <typename CandidateFn> void merge(CandidateFn candidate) {
    auto later = [](const Candidate &a, const Candidate &b) {
      return a.key > b.key || (a.key == b.key && a.left > b.left);
    };
    auto queue = [&](int32_t left, int32_t right) {
      if (left < 0 || right < 0)
        return false;
      Candidate c;
      if (!candidate(symbols[left], symbols[right], c))
        return false;
      c.left = left;
      c.right = right;
      c.size = symbols[left].size + symbols[right].size;
      heap.push_back(c);
      return true;
    };
    heap.clear();
    heap.reserve(symbols.size());
    for (size_t i = 1; i < symbols.size(); ++i)
      queue(int32_t(i - 1), int32_t(i));
    std::make_heap(heap.begin(), heap.end(), later);
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), later);
      Candidate c = heap.back();
      heap.pop_back();
      Symbol &left = symbols[c.left];
      if (left.size == 0 || left.next != c.right ||
          left.size + symbols[c.right].size != c.size)
        continue;
      Symbol &right = symbols[c.right];
      left.size += right.size;
      left.id = c.id;
      right.size = 0;
      left.next = right.next;
      if (right.next >= 0)
        symbols[right.next].prev = c.left;
      if (queue(left.prev, c.left))
        std::push_heap(heap.begin(), heap.end(), later);
      if (queue(c.left, left.next))
        std::push_heap(heap.begin(), heap.end(), later);
    }
  }
};

Tokenizer::~Tokenizer() {
  if (regex)
    pcre2_code_free(static_cast<pcre2_code *>(regex));
}

int32_t Tokenizer::findId(std::string_view text) const {
  return findId(text, hashText(text));
}

int32_t Tokenizer::findId(std::string_view text, uint64_t hash) const {
  size_t mask = idSlots.size() - 1;
  for (size_t k = hash & mask;; k = (k + 1) & mask) {
    const IdSlot &slot = idSlots[k];
    if (slot.id < 0)
      return -1;
    if (slot.hash == uint32_t(hash >> 32) && spec.tokens[slot.id] == text)
      return slot.id;
  }
}

void Tokenizer::findIds(const std::string_view *texts, size_t count,
                        int32_t *ids) const {
  assert(count <= kLookupBatch);
  uint64_t hashes[kLookupBatch];
  size_t mask = idSlots.size() - 1;
  auto first = [&](size_t k) { return idSlots[hashes[k] & mask].id; };
  // Each stage starts the next one's loads for all texts: their first
  // slots, then those slots' tokens, then the tokens' texts.
  for (size_t k = 0; k < count; ++k) {
    hashes[k] = hashText(texts[k]);
    __builtin_prefetch(&idSlots[hashes[k] & mask]);
  }
  for (size_t k = 0; k < count; ++k)
    if (first(k) >= 0)
      __builtin_prefetch(&spec.tokens[first(k)]);
  for (size_t k = 0; k < count; ++k)
    if (first(k) >= 0)
      __builtin_prefetch(spec.tokens[first(k)].data());
  for (size_t k = 0; k < count; ++k)
    ids[k] = findId(texts[k], hashes[k]);
}

int32_t Tokenizer::findMerge(int32_t made, size_t leftSize) const {
  for (uint32_t e = mergeStarts[made]; e < mergeStarts[made + 1]; ++e)
    if (mergeEntries[e] >> kRankBits == leftSize)
      return int32_t(mergeEntries[e] & ((1u << kRankBits) - 1));
  return -1;
}

int32_t Tokenizer::findOddMerge(std::string_view left,
                                std::string_view right) const {
  auto it = std::lower_bound(
      oddMerges.begin(), oddMerges.end(), std::make_pair(left, right),
      [](const OddMerge &m,
         const std::pair<std::string_view, std::string_view> &key) {
        return std::make_pair(m.left, m.right) < key;
      });
  if (it == oddMerges.end() || it->left != left || it->right != right)
    return -1;
  return it->rank;
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
  if (n >= size_t(INT32_MAX) || spec.merges.size() >= size_t(INT32_MAX))
    return makeError("the tokenizer has too many tokens or merges for 32-bit "
                     "ids");
  std::unique_ptr<Tokenizer> t(new Tokenizer(std::move(spec)));
  const TokenizerSpec &s = t->spec;

  // Ids by spelling, the first of equal spellings kept. A large
  // vocabulary's tables outgrow the caches, so insertions and lookups go
  // in batches whose slots are fetched ahead: their cache misses overlap
  // instead of following one another.
  t->idSlots.assign(tableSize(n), {0, -1});
  size_t idMask = t->idSlots.size() - 1;
  for (size_t begin = 0; begin < n; begin += kLookupBatch) {
    size_t end = std::min(n, begin + kLookupBatch);
    uint64_t hashes[kLookupBatch];
    for (size_t i = begin; i < end; ++i) {
      hashes[i - begin] = hashText(s.tokens[i]);
      __builtin_prefetch(&t->idSlots[hashes[i - begin] & idMask]);
    }
    for (size_t i = begin; i < end; ++i) {
      uint64_t h = hashes[i - begin];
      for (size_t k = h & idMask;; k = (k + 1) & idMask) {
        IdSlot &slot = t->idSlots[k];
        if (slot.id < 0) {
          slot = {uint32_t(h >> 32), int32_t(i)};
          break;
        }
        if (slot.hash == uint32_t(h >> 32) && s.tokens[slot.id] == s.tokens[i])
          break;
      }
    }
  }

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

  std::fill(std::begin(t->byteCharIds), std::end(t->byteCharIds), -1);
  std::fill(std::begin(t->charToByte), std::end(t->charToByte), -1);
  std::fill(std::begin(t->byteTokens), std::end(t->byteTokens), -1);
  if (s.model == "llama") {
    for (int b = 0; b < 256; ++b) {
      char name[8];
      snprintf(name, sizeof(name), "<0x%02X>", b);
      t->byteTokens[b] = t->findId(name);
    }
    return t;
  }

  const char *pattern = kLlama3Pattern;
  if (s.pre == "qwen2")
    pattern = kQwen2Pattern;
  else if (!s.pre.empty() && s.pre != "llama-bpe" && s.pre != "llama3")
    return makeError("pre-tokenizer '" + s.pre +
                     "' is not supported (llama-bpe, qwen2)");
  // GPT-2's map: printable bytes stand for themselves, the others for
  // U+0100 onwards in byte order.
  uint32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) ||
                     (b >= 174 && b <= 255);
    uint32_t cp = printable ? uint32_t(b) : next++;
    appendUtf8(cp, t->byteToChar[b]);
    t->charToByte[cp] = int16_t(b);
    t->byteCharIds[b] = t->findId(t->byteToChar[b]);
  }

  // Merges by the token they make, the first of equal merges kept (by
  // stopping at the lowest rank). One lookup per merge, of the joined
  // sides, in batches as above; then a counting sort by token. Symbols
  // never hold a space (the byte map turns it into U+0120), so only "left
  // right" with one space and two sides can ever apply.
  size_t m = s.merges.size();
  std::vector<int32_t> made(m, -1);
  t->mergeStarts.assign(n + 2, 0);
  std::string joined;
  for (size_t begin = 0; begin < m; begin += kLookupBatch) {
    size_t end = std::min(m, begin + kLookupBatch);
    size_t count = 0, rank[kLookupBatch], at[kLookupBatch + 1] = {0};
    joined.clear();
    for (size_t i = begin; i < end; ++i) {
      std::string_view merge = s.merges[i];
      size_t space = merge.find(' ');
      if (space == std::string_view::npos || space == 0 ||
          space + 1 == merge.size() ||
          merge.find(' ', space + 1) != std::string_view::npos)
        continue;
      joined.append(merge.substr(0, space));
      joined.append(merge.substr(space + 1));
      rank[count] = i;
      at[++count] = joined.size();
    }
    std::string_view texts[kLookupBatch];
    int32_t ids[kLookupBatch];
    for (size_t k = 0; k < count; ++k)
      texts[k] = std::string_view(joined).substr(at[k], at[k + 1] - at[k]);
    t->findIds(texts, count, ids);
    for (size_t k = 0; k < count; ++k) {
      std::string_view merge = s.merges[rank[k]];
      size_t leftSize = merge.find(' ');
      if (ids[k] < 0 || leftSize >= 1024 || rank[k] >= 1u << kRankBits) {
        t->oddMerges.push_back({merge.substr(0, leftSize),
                                merge.substr(leftSize + 1), int32_t(rank[k])});
        continue;
      }
      made[rank[k]] = ids[k];
      ++t->mergeStarts[ids[k] + 2];
    }
  }
  // mergeStarts[t + 2] counted token t's merges; after the sums, filling
  // moves each start up by one place.
  for (size_t i = 2; i < n + 2; ++i)
    t->mergeStarts[i] += t->mergeStarts[i - 1];
  t->mergeEntries.resize(t->mergeStarts[n + 1]);
  for (size_t i = 0; i < m; ++i)
    if (made[i] >= 0)
      t->mergeEntries[t->mergeStarts[made[i] + 1]++] =
          uint32_t(s.merges[i].find(' ')) << kRankBits | uint32_t(i);
  t->mergeStarts.pop_back();
  std::sort(t->oddMerges.begin(), t->oddMerges.end(),
            [](const OddMerge &a, const OddMerge &b) {
              return std::tie(a.left, a.right, a.rank) <
                     std::tie(b.left, b.right, b.rank);
            });

  int error;
  PCRE2_SIZE offset;
  t->regex = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern),
                           PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                           &error, &offset, nullptr);
  if (!t->regex)
    return makeError("internal error: the pre-tokenizer regex does not "
                     "compile");
  return t;
}

void Tokenizer::encodeBytePairWord(std::string_view word,
                                   const uint8_t *invalid, Scratch &scratch,
                                   std::vector<int32_t> &out) const {
  using Symbol = Scratch::Symbol;
  std::string &mapped = scratch.text;
  mapped.clear();
  for (unsigned char c : word)
    mapped += byteToChar[c];
  bool anyInvalid = invalid && std::find(invalid, invalid + word.size(), 1) !=
                                   invalid + word.size();
  // Llama 3 ignores merges for words that are tokens already (not with
  // invalid bytes, which stay byte tokens).
  if (!anyInvalid) {
    int32_t whole = findId(mapped);
    if (whole >= 0) {
      out.push_back(whole);
      return;
    }
  }
  // One symbol per byte's character.
  scratch.symbols.clear();
  scratch.symbols.reserve(word.size());
  size_t at = 0;
  for (size_t i = 0; i < word.size(); ++i) {
    unsigned char c = word[i];
    scratch.add(at, byteToChar[c].size(), byteCharIds[c],
                anyInvalid && invalid[i]);
    at += byteToChar[c].size();
  }
  // Lowest merge rank first. The joined symbols are one span of `mapped`:
  // the token it spells and where it splits give the merge.
  scratch.merge([&](Symbol &left, Symbol &right, Scratch::Candidate &c) {
    if (left.fixed || right.fixed)
      return false;
    int32_t made = findId(
        std::string_view(mapped).substr(left.start, left.size + right.size));
    int32_t rank = made >= 0 ? findMerge(made, left.size) : -1;
    if (!oddMerges.empty()) {
      int32_t odd =
          findOddMerge(scratch.spelling(left), scratch.spelling(right));
      if (odd >= 0 && (rank < 0 || odd < rank))
        rank = odd;
    }
    if (rank < 0)
      return false;
    c.key = rank;
    c.id = made;
    return true;
  });
  // Symbol i starts at byte i of the word.
  for (int32_t i = 0; i >= 0; i = scratch.symbols[i].next) {
    const Symbol &symbol = scratch.symbols[i];
    if (symbol.id >= 0) {
      out.push_back(symbol.id);
      continue;
    }
    // Not in the vocabulary: its bytes' characters one by one (each is a
    // token in a byte-level vocabulary).
    size_t end = symbol.next < 0 ? word.size() : size_t(symbol.next);
    for (size_t k = i; k < end; ++k)
      if (byteCharIds[static_cast<unsigned char>(word[k])] >= 0)
        out.push_back(byteCharIds[static_cast<unsigned char>(word[k])]);
  }
}

void Tokenizer::encodeSentencePiece(std::string_view text, Scratch &scratch,
                                    std::vector<int32_t> &out) const {
  using Symbol = Scratch::Symbol;
  std::string &normalized = scratch.text;
  normalized = kSentencePieceSpace;
  for (char c : text) {
    if (c == ' ')
      normalized += kSentencePieceSpace;
    else
      normalized += c;
  }
  // One symbol per character; an invalid UTF-8 byte is one that stays a
  // byte token.
  scratch.symbols.clear();
  scratch.symbols.reserve(normalized.size());
  for (size_t i = 0; i < normalized.size();) {
    size_t n = validUtf8Length(normalized, i);
    scratch.add(i, std::max<size_t>(n, 1), Scratch::kUnresolved, n == 0);
    i += std::max<size_t>(n, 1);
  }
  // Highest score of the merged piece first; a NaN score ranks last.
  scratch.merge([&](Symbol &left, Symbol &right, Scratch::Candidate &c) {
    if (left.fixed || right.fixed)
      return false;
    int32_t id = findId(std::string_view(normalized)
                            .substr(left.start, left.size + right.size));
    if (id < 0)
      return false;
    float score = spec.scores.empty() ? 0.0f : spec.scores[id];
    c.key = std::isnan(score) ? HUGE_VAL : -double(score);
    c.id = id;
    return true;
  });
  for (int32_t i = 0; i >= 0; i = scratch.symbols[i].next) {
    Symbol &symbol = scratch.symbols[i];
    if (symbol.id == Scratch::kUnresolved)
      symbol.id = findId(scratch.spelling(symbol));
    if (symbol.id >= 0) {
      out.push_back(symbol.id);
      continue;
    }
    for (unsigned char c : scratch.spelling(symbol))
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

  Scratch scratch;
  auto *code = static_cast<pcre2_code *>(regex);
  pcre2_match_data *match =
      code ? pcre2_match_data_create_from_pattern(code, nullptr) : nullptr;
  // Each of the pattern's alternatives matches in linear time, but PCRE2's
  // default limit of 10 million steps stops one at a run of ~10 MB of
  // whitespace: no limit.
  pcre2_match_context *context = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(context, UINT32_MAX);
  pcre2_set_depth_limit(context, UINT32_MAX);
  std::string standIn;          // the segment, invalid bytes replaced
  std::vector<uint8_t> invalid; // per byte of the segment, when any
  for (const auto &[plain, special] : segments) {
    std::string_view segment = plain; // C++17 lambdas cannot capture it
    if (special >= 0) {
      out.push_back(special);
      continue;
    }
    if (spec.model == "llama") {
      encodeSentencePiece(segment, scratch, out);
      continue;
    }
    // PCRE2 would check the UTF-8 from the start offset to the end on every
    // call, quadratic in the segment: check it once here, and let the regex
    // see kInvalidStandIn for each invalid byte.
    invalid.clear();
    for (size_t i = 0; i < segment.size();) {
      if (size_t n = validUtf8Length(segment, i)) {
        i += n;
        continue;
      }
      if (invalid.empty()) {
        invalid.assign(segment.size(), 0);
        standIn.assign(segment);
      }
      invalid[i] = 1;
      standIn[i++] = kInvalidStandIn;
    }
    std::string_view subject = invalid.empty() ? segment : standIn;
    auto encodeWord = [&](size_t begin, size_t end) {
      encodeBytePairWord(segment.substr(begin, end - begin),
                         invalid.empty() ? nullptr : invalid.data() + begin,
                         scratch, out);
    };
    size_t at = 0;
    while (at < segment.size()) {
      int rc =
          pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()),
                      subject.size(), at, PCRE2_NO_UTF_CHECK, match, context);
      if (rc < 0) {
        // No match (or a PCRE2 limit): the rest byte by byte.
        for (; at < segment.size(); ++at)
          encodeWord(at, at + 1);
        break;
      }
      PCRE2_SIZE *range = pcre2_get_ovector_pointer(match);
      if (range[0] > at) // characters no alternative matched
        encodeWord(at, range[0]);
      if (range[1] == range[0]) { // an empty match: step one character
        size_t n = std::max<size_t>(validUtf8Length(subject, range[0]), 1);
        encodeWord(range[0], range[0] + n);
        at = range[0] + n;
        continue;
      }
      encodeWord(range[0], range[1]);
      at = range[1];
    }
  }
  pcre2_match_data_free(match);
  pcre2_match_context_free(context);
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
      if (cp < std::size(charToByte) && charToByte[cp] >= 0)
        out += char(charToByte[cp]);
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

namespace {

enum class ChatFormat { BitNet, Llama3, ChatML, Unknown };

ChatFormat chatFormatOf(const TokenizerSpec &spec) {
  auto contains = [&](const char *s) {
    return spec.chatTemplate.find(s) != std::string::npos;
  };
  if (contains("Assistant: ") && contains("<|eot_id|>"))
    return ChatFormat::BitNet;
  if (contains("<|start_header_id|>"))
    return ChatFormat::Llama3;
  if (contains("<|im_start|>"))
    return ChatFormat::ChatML;
  return ChatFormat::Unknown;
}

Error unknownChatFormat() {
  return makeError("the model's chat template is not one trit-run knows "
                   "(BitNet b1.58 2B4T's, Llama 3's or ChatML)");
}

/// One turn in `format` (not Unknown), without the generation prompt.
std::string formatTurn(ChatFormat format, const TokenizerSpec &spec,
                       std::string_view role, std::string_view content,
                       bool first) {
  std::string bos = first && spec.bosId >= 0 ? spec.tokens[spec.bosId] : "";
  switch (format) {
  case ChatFormat::BitNet: {
    // BitNet b1.58 2B4T: "Role: content<|eot_id|>", no newlines.
    std::string name(role);
    if (!name.empty())
      name[0] = char(toupper(name[0]));
    return bos + name + ": " + std::string(trim(content)) + "<|eot_id|>";
  }
  case ChatFormat::Llama3:
    return bos + "<|start_header_id|>" + std::string(role) +
           "<|end_header_id|>\n\n" + std::string(trim(content)) + "<|eot_id|>";
  default:
    // ChatML (Qwen2, Qwen3): the content as it is; no BOS.
    return "<|im_start|>" + std::string(role) + "\n" + std::string(content) +
           "<|im_end|>\n";
  }
}

const char *generationPrompt(ChatFormat format) {
  switch (format) {
  case ChatFormat::BitNet:
    return "Assistant: ";
  case ChatFormat::Llama3:
    return "<|start_header_id|>assistant<|end_header_id|>\n\n";
  default:
    return "<|im_start|>assistant\n";
  }
}

/// Python's str.lstrip('\n'), rstrip('\n') and strip('\n').
std::string_view lstripNewlines(std::string_view s) {
  size_t begin = s.find_first_not_of('\n');
  return begin == std::string_view::npos ? std::string_view() : s.substr(begin);
}
std::string_view rstripNewlines(std::string_view s) {
  size_t end = s.find_last_not_of('\n');
  return end == std::string_view::npos ? std::string_view()
                                       : s.substr(0, end + 1);
}

/// An assistant message as Qwen3's template renders it: `keepThinking`
/// for one after the last user query.
std::string formatQwen3Assistant(const ChatMessage &m, bool keepThinking,
                                 bool last) {
  std::string_view content = m.content, reasoning;
  if (m.reasoning) {
    reasoning = *m.reasoning;
  } else if (size_t close = content.find("</think>");
             close != std::string_view::npos) {
    // The reasoning: from the last <think> before the first </think> to it;
    // the content: what follows the last </think>.
    std::string_view before = rstripNewlines(content.substr(0, close));
    size_t open = before.rfind("<think>");
    reasoning = lstripNewlines(open == std::string_view::npos
                                   ? before
                                   : before.substr(open + 7));
    content = lstripNewlines(content.substr(content.rfind("</think>") + 8));
  }
  std::string out = "<|im_start|>assistant\n";
  if (keepThinking && (last || !reasoning.empty()))
    out += "<think>\n" +
           std::string(rstripNewlines(lstripNewlines(reasoning))) +
           "\n</think>\n\n" + std::string(lstripNewlines(content));
  else
    out += content;
  return out + "<|im_end|>\n";
}

} // namespace

Expected<std::string> trit::formatChatTurn(const TokenizerSpec &spec,
                                           std::string_view role,
                                           std::string_view content,
                                           bool first, bool addAssistant) {
  ChatFormat format = chatFormatOf(spec);
  if (format == ChatFormat::Unknown)
    return unknownChatFormat();
  return formatTurn(format, spec, role, content, first) +
         (addAssistant ? generationPrompt(format) : "");
}

bool trit::chatTemplateThinks(const TokenizerSpec &spec) {
  return chatFormatOf(spec) == ChatFormat::ChatML &&
         spec.chatTemplate.find("<think>") != std::string::npos &&
         spec.chatTemplate.find("</think>") != std::string::npos;
}

Expected<std::string> trit::formatChat(const TokenizerSpec &spec,
                                       const std::vector<ChatMessage> &messages,
                                       const ChatOptions &options) {
  ChatFormat format = chatFormatOf(spec);
  if (format == ChatFormat::Unknown)
    return unknownChatFormat();
  bool thinks = chatTemplateThinks(spec);
  // Qwen3's last query: the last user message that is not a tool's answer
  // (without one, the last message, so that nothing comes after it).
  size_t lastQuery = messages.empty() ? 0 : messages.size() - 1;
  for (size_t i = messages.size(); i-- > 0;) {
    std::string_view c = messages[i].content;
    bool toolResponse = startsWith(c, "<tool_response>") &&
                        c.size() >= 16 &&
                        c.substr(c.size() - 16) == "</tool_response>";
    if (messages[i].role == "user" && !toolResponse) {
      lastQuery = i;
      break;
    }
  }
  std::string out;
  for (size_t i = 0; i < messages.size(); ++i) {
    const ChatMessage &m = messages[i];
    if (thinks && m.role == "assistant")
      out += formatQwen3Assistant(m, /*keepThinking=*/i > lastQuery,
                                  /*last=*/i + 1 == messages.size());
    else
      out += formatTurn(format, spec, m.role, m.content, /*first=*/i == 0);
  }
  if (options.addGenerationPrompt) {
    out += generationPrompt(format);
    if (thinks && !options.enableThinking)
      out += "<think>\n\n</think>\n\n";
  }
  return out;
}
