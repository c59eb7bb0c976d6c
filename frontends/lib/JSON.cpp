//===- JSON.cpp - JSON parsing for untrusted model files ------------------===//

#include "JSON.h"

using namespace llvm;

namespace trit {

/// Deeper than tokenizer.json or config.json ever nest (they use about 6).
static constexpr int kMaxDepth = 64;

Expected<json::Value> parseUntrustedJSON(StringRef text, const Twine &prefix) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i; // skip the escaped character
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth)
        return createStringError(inconvertibleErrorCode(),
                                 prefix + " nests deeper than " +
                                     Twine(kMaxDepth) + " levels at byte " +
                                     Twine(i));
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  Expected<json::Value> value = json::parse(text);
  if (!value)
    return createStringError(inconvertibleErrorCode(),
                             prefix + " " + toString(value.takeError()));
  return value;
}

} // namespace trit
