//===- Reasoning.h - reasoning apart from the answer ------------*- C++ -*-===//
//
// A thinking model (Qwen3) answers "<think>\nREASONING\n</think>\n\nANSWER".
// llama-server's default reasoning format (deepseek, or auto) returns the
// reasoning as reasoning_content and the answer as content, without the
// tags: the reasoning without surrounding whitespace, the answer without
// the whitespace that follows </think>. ReasoningSplitter makes that split
// on the text as it is generated, so that a stream sends reasoning_content
// pieces until </think>, then content pieces; it holds back only what
// could still be a tag or whitespace that may turn out to be stripped.
// Text that does not open with <think> (after whitespace) is all content,
// as it is; a generation that ends inside the reasoning is all reasoning.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_SERVER_REASONING_H
#define TRIT_SERVER_REASONING_H

#include <string>
#include <string_view>

namespace trit::server {

/// Text of a thinking model's answer, split: either may be empty.
struct ReasoningPieces {
  std::string reasoning, content;
  bool empty() const { return reasoning.empty() && content.empty(); }
};

class ReasoningSplitter {
public:
  /// Takes the next generated text (whole UTF-8 characters; TextStream
  /// holds back cut ones) and returns what can be sent now.
  ReasoningPieces push(std::string_view text);
  /// At the end of the generation: what is still held back.
  ReasoningPieces finish();
  /// A whole answer at once.
  static ReasoningPieces split(std::string_view text);

private:
  enum class State {
    Start,     // before <think>, or before text that shows there is none
    Reasoning, // after <think>
    Content,   // after </think>, or with no <think> at all
  };
  State state = State::Start;
  /// Text taken but not yet given back.
  std::string pending;
  /// Reasoning or content has begun: leading whitespace is no longer
  /// dropped (only the reasoning's, and the content's after </think>, are).
  bool begun = false;
};

} // namespace trit::server

#endif // TRIT_SERVER_REASONING_H
