//===- ReasoningTest.cpp - reasoning apart from the answer ----------------===//

#include "trit/Server/Reasoning.h"

#include <gtest/gtest.h>

#include <vector>

using namespace trit::server;

namespace {

/// The pieces `parts` give pushed one by one, then finish(), each call's
/// output as one entry ("R:" reasoning, "C:" content; empty calls left out).
std::vector<std::string> stream(const std::vector<std::string> &parts) {
  ReasoningSplitter splitter;
  std::vector<std::string> out;
  auto add = [&](const ReasoningPieces &p) {
    if (!p.reasoning.empty())
      out.push_back("R:" + p.reasoning);
    if (!p.content.empty())
      out.push_back("C:" + p.content);
  };
  for (const std::string &part : parts)
    add(splitter.push(part));
  add(splitter.finish());
  return out;
}

using Lines = std::vector<std::string>;

TEST(Reasoning, SplitsAWholeAnswer) {
  ReasoningPieces p = ReasoningSplitter::split(
      "<think>\nThe user greets me.\n\nI greet back.\n</think>\n\nHello!");
  EXPECT_EQ(p.reasoning, "The user greets me.\n\nI greet back.");
  EXPECT_EQ(p.content, "Hello!");
  // An empty think block (as --reasoning-budget 0 pre-fills, when the
  // model writes one anyway), and whitespace before <think>.
  p = ReasoningSplitter::split("\n <think>\n\n</think>\n\n Hi \n");
  EXPECT_EQ(p.reasoning, "");
  EXPECT_EQ(p.content, "Hi \n");
  // Only the first </think> ends the reasoning; a later one is content.
  p = ReasoningSplitter::split("<think>a</think>b</think><think>c");
  EXPECT_EQ(p.reasoning, "a");
  EXPECT_EQ(p.content, "b</think><think>c");
}

TEST(Reasoning, AnswerThatNeverThinksIsAllContent) {
  for (const char *text : {"Hello <think>x</think>", "  \nHello", "</think>Hi",
                           "<thing>", "<", "\n", "", "x<think>y"}) {
    ReasoningPieces p = ReasoningSplitter::split(text);
    EXPECT_EQ(p.reasoning, "") << text;
    EXPECT_EQ(p.content, text) << text;
  }
}

TEST(Reasoning, CutInsideTheReasoningIsAllReasoning) {
  // max_tokens ended it before </think>: no content at all.
  ReasoningPieces p = ReasoningSplitter::split("<think>\nLet me see, 2 + 2\n");
  EXPECT_EQ(p.reasoning, "Let me see, 2 + 2");
  EXPECT_EQ(p.content, "");
  p = ReasoningSplitter::split("<think>\nabc\n</thi");
  EXPECT_EQ(p.reasoning, "abc\n</thi");
  EXPECT_EQ(p.content, "");
  p = ReasoningSplitter::split("<think>");
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(stream({"<think>", "\n", "Hmm", ",", " so", "\n", "\n"}),
            (Lines{"R:Hmm", "R:,", "R: so"}));
  // Cut right after </think>: all reasoning, empty content.
  EXPECT_EQ(stream({"<think>", "\nr\n", "</think>", "\n\n"}), (Lines{"R:r"}));
}

TEST(Reasoning, StreamsReasoningUntilTheCloseThenContent) {
  // Token by token as Qwen3 writes it: <think> and </think> are tokens of
  // their own. Reasoning goes out as it comes, whitespace that may end it
  // waits for what follows; nothing of the tags is shown.
  EXPECT_EQ(stream({"<think>", "\n", "Okay", ",", " the", " user", "\n\n",
                    "says", " hi", ".\n", "</think>", "\n\n", "Hello", "!"}),
            (Lines{"R:Okay", "R:,", "R: the", "R: user", "R:\n\nsays", "R: hi",
                   "R:.", "C:Hello", "C:!"}));
  // Without thinking every piece goes out at once, whitespace first too.
  EXPECT_EQ(stream({"\n", "Hello", " <think>", "!"}),
            (Lines{"C:\nHello", "C: <think>", "C:!"}));
}

TEST(Reasoning, TagsSplitAcrossPieces) {
  EXPECT_EQ(stream({"<", "thi", "nk", ">", "r", "</", "th", "ink", ">", "c"}),
            (Lines{"R:r", "C:c"}));
  EXPECT_EQ(stream({"<th", "ing>"}), (Lines{"C:<thing>"}));
  EXPECT_EQ(stream({"<think>a <", "/b>"}), (Lines{"R:a", "R: </b>"}));
  EXPECT_EQ(stream({"<thi"}), (Lines{"C:<thi"}));
  EXPECT_EQ(stream({"<think>x\n</", "think"}), (Lines{"R:x", "R:\n</think"}));
}

TEST(Reasoning, EveryWayOfCuttingGivesTheWholeSplit) {
  // Each text cut at every one or two places: the pieces streamed add up
  // to the split of the whole, and no reasoning comes after content.
  for (std::string text :
       {"<think>\nfirst, then\n\nsecond \n</think>\n\n Answer </think>.",
        " \n<think></think>x", "<think>\n\ncut </thin", "plain <think>text",
        "<think>a</think>", "<thin"}) {
    ReasoningPieces whole = ReasoningSplitter::split(text);
    for (size_t i = 0; i <= text.size(); ++i)
      for (size_t j = i; j <= text.size(); ++j) {
        ReasoningSplitter splitter;
        ReasoningPieces sum;
        bool sawContent = false;
        for (std::string_view part : {std::string_view(text).substr(0, i),
                                      std::string_view(text).substr(i, j - i),
                                      std::string_view(text).substr(j)}) {
          ReasoningPieces p = splitter.push(part);
          EXPECT_FALSE(sawContent && !p.reasoning.empty()) << text;
          sawContent |= !p.content.empty();
          sum.reasoning += p.reasoning;
          sum.content += p.content;
        }
        ReasoningPieces rest = splitter.finish();
        sum.reasoning += rest.reasoning;
        sum.content += rest.content;
        EXPECT_EQ(sum.reasoning, whole.reasoning)
            << text << " at " << i << ", " << j;
        EXPECT_EQ(sum.content, whole.content)
            << text << " at " << i << ", " << j;
      }
  }
}

} // namespace
