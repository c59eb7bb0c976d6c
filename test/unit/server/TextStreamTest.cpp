//===- TextStreamTest.cpp - stop strings and UTF-8 across tokens ----------===//

#include "trit/Server/TextStream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using trit::server::incompleteUtf8Tail;
using trit::server::TextStream;

namespace {

/// What the client is sent when `tokens` come one by one: the pushes'
/// text, then the flush's unless a stop string ended it.
struct Sent {
  std::vector<std::string> pieces; // one per push
  std::string text;                // all of it, with the flush
  bool stopped = false;
  int stoppedAt = -1; // the push that saw the stop string
};

Sent run(std::vector<std::string> stops,
         const std::vector<std::string> &tokens) {
  TextStream stream(std::move(stops));
  Sent sent;
  for (size_t i = 0; i < tokens.size(); ++i) {
    bool stopped = false;
    std::string piece = stream.push(tokens[i], stopped);
    sent.pieces.push_back(piece);
    sent.text += piece;
    if (stopped && !sent.stopped) {
      sent.stopped = true;
      sent.stoppedAt = int(i);
    }
  }
  sent.text += stream.flush();
  return sent;
}

TEST(TextStream, NoStopsSendsEachTokenAtOnce) {
  Sent sent = run({}, {"Hello", ",", " world"});
  EXPECT_EQ(sent.pieces, (std::vector<std::string>{"Hello", ",", " world"}));
  EXPECT_EQ(sent.text, "Hello, world");
  EXPECT_FALSE(sent.stopped);
}

TEST(TextStream, EmptyStopStringsAreIgnored) {
  // An empty string would otherwise match before the first byte.
  Sent sent = run({"", ""}, {"Hello", " world"});
  EXPECT_EQ(sent.pieces, (std::vector<std::string>{"Hello", " world"}));
  EXPECT_FALSE(sent.stopped);
}

TEST(TextStream, StopInsideOneToken) {
  Sent sent = run({"END"}, {"abcENDxyz", "more"});
  EXPECT_TRUE(sent.stopped);
  EXPECT_EQ(sent.stoppedAt, 0);
  EXPECT_EQ(sent.text, "abc");
  // Nothing after the stop, from push or flush.
  EXPECT_EQ(sent.pieces[1], "");
}

TEST(TextStream, StopAcrossTokenBoundaries) {
  Sent sent = run({"END"}, {"foo E", "N", "D bar"});
  EXPECT_TRUE(sent.stopped);
  EXPECT_EQ(sent.stoppedAt, 2);
  // "E" and "EN" could still become "END": held back, never sent.
  EXPECT_EQ(sent.pieces, (std::vector<std::string>{"foo ", "", ""}));
  EXPECT_EQ(sent.text, "foo ");
}

TEST(TextStream, StopSpreadOverManyTokens) {
  Sent sent = run({"<|im_end|>"}, {"ok", "<", "|", "im", "_", "end", "|", ">"});
  EXPECT_TRUE(sent.stopped);
  EXPECT_EQ(sent.stoppedAt, 7);
  EXPECT_EQ(sent.text, "ok");
}

TEST(TextStream, HeldPrefixIsReleasedWhenItCannotBecomeAStop) {
  Sent sent = run({"END"}, {"a E", "N", "x"});
  EXPECT_FALSE(sent.stopped);
  EXPECT_EQ(sent.pieces, (std::vector<std::string>{"a ", "", "ENx"}));
  EXPECT_EQ(sent.text, "a ENx");
}

TEST(TextStream, HeldPrefixIsSentAtTheEnd) {
  // The generation ended (length, end of text) on a tail that might have
  // become a stop string: it is text after all.
  Sent sent = run({"END"}, {"abc EN"});
  EXPECT_EQ(sent.pieces, (std::vector<std::string>{"abc "}));
  EXPECT_EQ(sent.text, "abc EN");
  EXPECT_FALSE(sent.stopped);
}

TEST(TextStream, OverlappingPrefixes) {
  // "aab" in "aaab": the first "a" is text, the stop starts at the second.
  Sent sent = run({"aab"}, {"a", "a", "a", "b"});
  EXPECT_TRUE(sent.stopped);
  EXPECT_EQ(sent.text, "a");
  EXPECT_EQ(sent.pieces, (std::vector<std::string>{"", "", "a", ""}));
}

TEST(TextStream, EarliestOfSeveralStopsWins) {
  Sent sent = run({"world", "lo"}, {"hello world"});
  EXPECT_TRUE(sent.stopped);
  EXPECT_EQ(sent.text, "hel");
  // The longest possible prefix of any stop is held back.
  sent = run({"xyz", "wxyz"}, {"a w", "x", "y", "q"});
  EXPECT_FALSE(sent.stopped);
  EXPECT_EQ(sent.pieces, (std::vector<std::string>{"a ", "", "", "wxyq"}));
}

TEST(TextStream, StopThatIsWholeToken) {
  Sent sent = run({"\n\n"}, {"line", "\n", "\n", "next"});
  EXPECT_TRUE(sent.stopped);
  EXPECT_EQ(sent.stoppedAt, 2);
  EXPECT_EQ(sent.text, "line");
}

TEST(TextStream, MultiByteCharacterSplitOverTokens) {
  // "é" is C3 A9: nothing is sent until its last byte.
  Sent sent = run({}, {"caf", "\xC3", "\xA9", "!"});
  EXPECT_EQ(sent.pieces,
            (std::vector<std::string>{"caf", "", "\xC3\xA9", "!"}));
  // "😀" is F0 9F 98 80, one byte per token.
  sent = run({}, {"\xF0", "\x9F", "\x98", "\x80", "x"});
  EXPECT_EQ(sent.pieces,
            (std::vector<std::string>{"", "", "", "\xF0\x9F\x98\x80", "x"}));
  // The last bytes of one character and the first of the next.
  sent = run({}, {"\xE2\x82", "\xAC\xE2", "\x82\xAC"});
  EXPECT_EQ(sent.pieces,
            (std::vector<std::string>{"", "\xE2\x82\xAC", "\xE2\x82\xAC"}));
}

TEST(TextStream, StopStringOfMultiByteCharacters) {
  // The stop "€" (E2 82 AC) split over tokens, after an "é" split too.
  Sent sent = run({"\xE2\x82\xAC"}, {"a\xC3", "\xA9\xE2", "\x82", "\xAC b"});
  EXPECT_TRUE(sent.stopped);
  EXPECT_EQ(sent.text, "a\xC3\xA9");
  // A held-back stop prefix that is also a cut character goes out whole
  // once it turns into another character (E2 82 AB is "₫").
  sent = run({"\xE2\x82\xAC"}, {"\xE2", "\x82", "\xAB"});
  EXPECT_FALSE(sent.stopped);
  EXPECT_EQ(sent.pieces, (std::vector<std::string>{"", "", "\xE2\x82\xAB"}));
}

TEST(TextStream, InvalidBytesAreNotHeldBack) {
  // Bytes that no further byte can make valid are sent as they are (JSON
  // output turns them into U+FFFD); holding them would stall the stream.
  Sent sent = run({}, {"a\xFF", "\x80", "b\xF8", "c"});
  EXPECT_EQ(sent.pieces,
            (std::vector<std::string>{"a\xFF", "\x80", "b\xF8", "c"}));
  // A lead byte followed by something other than a continuation byte.
  sent = run({}, {"\xC3", "A"});
  EXPECT_EQ(sent.pieces, (std::vector<std::string>{"", "\xC3"
                                                       "A"}));
  // Stray continuation bytes after a complete character.
  sent = run({}, {"\xC3\xA9\x80\x80\x80"});
  EXPECT_EQ(sent.pieces, (std::vector<std::string>{"\xC3\xA9\x80\x80\x80"}));
}

TEST(TextStream, IncompleteCharacterAtTheEndIsFlushed) {
  Sent sent = run({}, {"ab\xE2\x82"});
  EXPECT_EQ(sent.pieces, (std::vector<std::string>{"ab"}));
  EXPECT_EQ(sent.text, "ab\xE2\x82");
}

TEST(TextStream, StopAfterACutCharacterSendsItAsItIs) {
  // The text before the stop string is sent whole, even when it ends in
  // the first bytes of a character.
  Sent sent = run({"STOP"}, {"x\xE2\x82", "STOP"});
  EXPECT_TRUE(sent.stopped);
  EXPECT_EQ(sent.text, "x\xE2\x82");
}

TEST(TextStream, EmptyTokens) {
  // End-of-text and control tokens decode to nothing.
  Sent sent = run({"END"}, {"", "a", "", "E", "", "ND"});
  EXPECT_TRUE(sent.stopped);
  EXPECT_EQ(sent.text, "a");
}

TEST(IncompleteUtf8Tail, Lengths) {
  EXPECT_EQ(incompleteUtf8Tail(""), 0u);
  EXPECT_EQ(incompleteUtf8Tail("abc"), 0u);
  EXPECT_EQ(incompleteUtf8Tail("\xC3"), 1u);
  EXPECT_EQ(incompleteUtf8Tail("a\xC3\xA9"), 0u);
  EXPECT_EQ(incompleteUtf8Tail("a\xE2"), 1u);
  EXPECT_EQ(incompleteUtf8Tail("a\xE2\x82"), 2u);
  EXPECT_EQ(incompleteUtf8Tail("\xE2\x82\xAC"), 0u);
  EXPECT_EQ(incompleteUtf8Tail("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incompleteUtf8Tail("\xF0\x9F\x98\x80"), 0u);
  EXPECT_EQ(incompleteUtf8Tail("\xC3\xA9\xC3"), 1u);
  // Invalid: continuation bytes alone, bytes that lead nothing.
  EXPECT_EQ(incompleteUtf8Tail("\x80"), 0u);
  EXPECT_EQ(incompleteUtf8Tail("\x80\x80\x80\x80"), 0u);
  EXPECT_EQ(incompleteUtf8Tail("\xFF"), 0u);
  EXPECT_EQ(incompleteUtf8Tail("\xF8\x80"), 0u);
  // A 2-byte lead with one continuation is complete, not cut.
  EXPECT_EQ(incompleteUtf8Tail("\xC3\x80"), 0u);
}

} // namespace
