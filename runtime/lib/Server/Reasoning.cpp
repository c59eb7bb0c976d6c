//===- Reasoning.cpp - reasoning apart from the answer --------------------===//

#include "trit/Server/Reasoning.h"

#include <algorithm>

using namespace trit::server;

namespace {

constexpr std::string_view kOpen = "<think>", kClose = "</think>";

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
         c == '\r';
}

size_t leadingSpaces(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && isSpace(s[n]))
    ++n;
  return n;
}

std::string_view trimEnd(std::string_view s) {
  while (!s.empty() && isSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

/// The length of the longest tail of `s` that begins `tag` but is not all
/// of it.
size_t tagPrefixTail(std::string_view s, std::string_view tag) {
  for (size_t k = std::min(s.size(), tag.size() - 1); k > 0; --k)
    if (s.substr(s.size() - k) == tag.substr(0, k))
      return k;
  return 0;
}

} // namespace

ReasoningPieces ReasoningSplitter::push(std::string_view text) {
  ReasoningPieces out;
  pending.append(text);
  for (;;) {
    switch (state) {
    case State::Start: {
      std::string_view rest =
          std::string_view(pending).substr(leadingSpaces(pending));
      if (rest.substr(0, kOpen.size()) == kOpen) {
        pending.erase(0, pending.size() - rest.size() + kOpen.size());
        state = State::Reasoning;
        continue;
      }
      if (kOpen.substr(0, rest.size()) == rest)
        return out; // whitespace, or the start of <think>: wait and see
      // No thinking: all of it is content, as it is.
      state = State::Content;
      begun = true;
      continue;
    }
    case State::Reasoning: {
      if (!begun) {
        pending.erase(0, leadingSpaces(pending));
        if (pending.empty())
          return out;
        begun = true;
      }
      size_t close = pending.find(kClose);
      if (close != std::string::npos) {
        out.reasoning += trimEnd(std::string_view(pending).substr(0, close));
        pending.erase(0, close + kClose.size());
        state = State::Content;
        begun = false;
        continue;
      }
      // Hold back what may begin </think>, and the whitespace before it
      // (stripped if </think> follows).
      size_t hold = tagPrefixTail(pending, kClose);
      while (hold < pending.size() &&
             isSpace(pending[pending.size() - hold - 1]))
        ++hold;
      out.reasoning.append(pending, 0, pending.size() - hold);
      pending.erase(0, pending.size() - hold);
      return out;
    }
    case State::Content:
      if (!begun) {
        pending.erase(0, leadingSpaces(pending));
        if (pending.empty())
          return out;
        begun = true;
      }
      out.content += pending;
      pending.clear();
      return out;
    }
  }
}

ReasoningPieces ReasoningSplitter::finish() {
  ReasoningPieces out;
  switch (state) {
  case State::Start:
    // Whitespace, or the start of a <think> that never came.
    out.content = pending;
    break;
  case State::Reasoning:
    // Cut inside the reasoning: a partial </think> is reasoning too.
    out.reasoning = trimEnd(pending);
    break;
  case State::Content:
    break; // only whitespace after </think> can be held
  }
  pending.clear();
  return out;
}

ReasoningPieces ReasoningSplitter::split(std::string_view text) {
  ReasoningSplitter splitter;
  ReasoningPieces out = splitter.push(text);
  ReasoningPieces rest = splitter.finish();
  out.reasoning += rest.reasoning;
  out.content += rest.content;
  return out;
}
