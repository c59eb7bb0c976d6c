//===- ArtifactFormatTest.cpp - the container's checksum ------------------===//
//
// The writer checksums what it streams, piece by piece; the reader
// checksums the mapped file at once. Both must agree for every split.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/ArtifactFormat.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using trit::artifact::Checksum;
using trit::artifact::checksum;

namespace {

std::vector<uint8_t> randomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> bytes(n);
  for (uint8_t &b : bytes)
    b = uint8_t(rng());
  return bytes;
}

TEST(ArtifactChecksum, IncrementalEqualsOneShotForEverySplit) {
  // Sizes around the 32-byte block, odd split points and tiny pieces.
  for (size_t size : {0, 1, 31, 32, 33, 64, 100, 1000, 4099}) {
    std::vector<uint8_t> bytes = randomBytes(size, unsigned(size));
    uint64_t whole = checksum(bytes.data(), bytes.size());
    for (size_t piece : {1, 3, 7, 31, 32, 33, 64, 999}) {
      Checksum sum;
      for (size_t at = 0; at < size; at += piece)
        sum.update(bytes.data() + at, std::min(piece, size - at));
      EXPECT_EQ(sum.finish(), whole) << size << " bytes in pieces of " << piece;
    }
  }
}

TEST(ArtifactChecksum, ContainerChecksumIsTheSameInAnyPieces) {
  // Three chunks and a bit, streamed in pieces that straddle the chunks.
  size_t size = 3 * trit::artifact::kChecksumChunk + 1000;
  std::vector<uint8_t> bytes = randomBytes(size, 3);
  uint64_t whole = trit::artifact::containerChecksum(bytes.data(), size);
  for (size_t piece : {size_t(4096), size_t(7) << 20, size}) {
    trit::artifact::ContainerChecksum sum;
    for (size_t at = 0; at < size; at += piece)
      sum.update(bytes.data() + at, std::min(piece, size - at));
    EXPECT_EQ(sum.finish(), whole) << piece;
  }
  // By definition: the chunks' checksums, combined.
  std::vector<uint64_t> chunks;
  for (size_t at = 0; at < size; at += trit::artifact::kChecksumChunk)
    chunks.push_back(checksum(
        bytes.data() + at,
        std::min<size_t>(trit::artifact::kChecksumChunk, size - at)));
  EXPECT_EQ(trit::artifact::combineChunkChecksums(chunks.data(), chunks.size()),
            whole);
  bytes[2 * trit::artifact::kChecksumChunk + 5] ^= 1;
  EXPECT_NE(trit::artifact::containerChecksum(bytes.data(), size), whole);
}

TEST(ArtifactChecksum, DetectsOneFlippedBitAndTruncation) {
  std::vector<uint8_t> bytes = randomBytes(4096, 7);
  uint64_t whole = checksum(bytes.data(), bytes.size());
  for (size_t at : {0, 1, 31, 32, 2047, 4095}) {
    std::vector<uint8_t> flipped = bytes;
    flipped[at] ^= 0x10;
    EXPECT_NE(checksum(flipped.data(), flipped.size()), whole) << at;
  }
  EXPECT_NE(checksum(bytes.data(), bytes.size() - 1), whole);
  // Trailing zeros change the length, hence the sum.
  bytes.push_back(0);
  EXPECT_NE(checksum(bytes.data(), bytes.size()), whole);
}

} // namespace
