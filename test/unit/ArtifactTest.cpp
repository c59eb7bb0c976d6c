//===- ArtifactTest.cpp - opening an artifact from memory -----------------===//
//
// Artifact::openMemory runs the checks of Artifact::open on bytes the
// caller holds (the artifact fuzzer opens its inputs so). A container is
// built here with the FlatBuffers API: a header for this host, 64 bytes of
// "code" and one weight. The code is never loaded (loadCode = false): the
// lit tests load real compiled models.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/ArtifactFormat.h"
#include "trit/Runtime/CpuFeatures.h"
#include "trit/abi.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace {

using namespace trit;

struct FreeBytes {
  void operator()(uint8_t *p) const { std::free(p); }
};

/// An artifact in 64-byte aligned memory, as a mapping would be.
struct Container {
  std::unique_ptr<uint8_t, FreeBytes> bytes;
  size_t size = 0;
  uint64_t codeOffset = 0, weightOffset = 0;
};

Container makeContainer(uint64_t codeOffsetShift = 0,
                        const char *layout = "f32") {
  std::string triple = std::string(getHostArch()) + "-unknown-linux-gnu";
  // The header comes first; its size fixes where the code and weight go,
  // so lay it out with placeholders of the same width, then for real.
  auto build = [&](uint64_t code, uint64_t weight) {
    flatbuffers::FlatBufferBuilder b;
    auto t = artifact::CreateTargetDirect(b, triple.c_str(), "generic");
    auto m = artifact::CreateModelInfoDirect(b, "bitnet-b1.58", 300, 2, 128,
                                             2, 1, 64, 32);
    auto p = artifact::CreateMemoryPlan(b, 4096, 8, 32);
    auto r = artifact::CreateRope(b, 64, 500000.0);
    std::vector<flatbuffers::Offset<artifact::Weight>> ws = {
        artifact::CreateWeightDirect(b, "output_norm.weight", layout, weight,
                                     512, 128)};
    auto root = artifact::CreateArtifact(
        b, TRIT_ABI_VERSION, m, 0, t, 0, p, r, b.CreateVector(ws), code, 64);
    artifact::FinishArtifactBuffer(b, root);
    return std::vector<uint8_t>(b.GetBufferPointer(),
                                b.GetBufferPointer() + b.GetSize());
  };
  uint64_t headerSize = build(1 << 20, 1 << 21).size();
  Container c;
  c.codeOffset = artifact::alignUp(64 + headerSize) + codeOffsetShift;
  c.weightOffset = artifact::alignUp(c.codeOffset + 64);
  std::vector<uint8_t> header = build(c.codeOffset, c.weightOffset);
  EXPECT_EQ(header.size(), headerSize);
  c.size = c.weightOffset + 512;

  void *memory = nullptr;
  EXPECT_EQ(posix_memalign(&memory, artifact::kAlignment, c.size), 0);
  c.bytes.reset(static_cast<uint8_t *>(memory));
  std::memset(c.bytes.get(), 0x5A, c.size);
  std::memcpy(c.bytes.get() + 64, header.data(), header.size());
  artifact::Prefix prefix = {};
  std::memcpy(prefix.magic, artifact::kMagic, 8);
  prefix.containerVersion = artifact::kContainerVersion;
  prefix.headerOffset = 64;
  prefix.headerSize = header.size();
  prefix.fileSize = c.size;
  prefix.checksum =
      artifact::containerChecksum(c.bytes.get() + 64, c.size - 64);
  std::memcpy(c.bytes.get(), &prefix, sizeof(prefix));
  return c;
}

/// As the fuzzer opens: no code loaded, no checksum (unless asked for).
ArtifactOpenOptions noCode(bool verifyChecksum = false) {
  ArtifactOpenOptions options;
  options.loadCode = false;
  options.verifyChecksum = verifyChecksum;
  return options;
}

std::string openError(const uint8_t *data, size_t size,
                      const ArtifactOpenOptions &options = noCode()) {
  auto a = Artifact::openMemory(data, size, "memory.trit", options);
  if (a)
    return "opened";
  return toString(a.takeError());
}

TEST(ArtifactOpenMemory, OpensAValidContainerWithoutCopying) {
  Container c = makeContainer();
  auto a = Artifact::openMemory(c.bytes.get(), c.size, "memory.trit", noCode());
  ASSERT_TRUE(bool(a)) << toString(a.takeError());
  EXPECT_EQ((*a)->getPath(), "memory.trit");
  EXPECT_EQ((*a)->getInfo().layers, 2);
  EXPECT_EQ((*a)->getInfo().vocab, 300);
  EXPECT_EQ((*a)->getInfo().maxContext, 32);
  EXPECT_EQ((*a)->getInfo().ropeDim, 64);
  ASSERT_EQ((*a)->getWeights().size(), 1u);
  EXPECT_EQ((*a)->getWeights()[0], c.bytes.get() + c.weightOffset);
  EXPECT_EQ((*a)->getHeader().code_offset(), c.codeOffset);
  // No tokenizer in this header: an empty spec.
  EXPECT_TRUE((*a)->getTokenizerSpec().tokens.empty());
  // Destroying it leaves the caller's bytes alone (ASan would see a free).
  a->reset();
  EXPECT_EQ(std::memcmp(c.bytes.get(), artifact::kMagic, 8), 0);
}

TEST(ArtifactOpenMemory, RunsTheChecksOfOpen) {
  Container c = makeContainer();
  uint8_t *bytes = c.bytes.get();
  EXPECT_EQ(openError(nullptr, 0),
            "memory.trit: too small to be a Trit artifact (0 bytes)");
  EXPECT_EQ(openError(bytes, 63),
            "memory.trit: too small to be a Trit artifact (63 bytes)");
  EXPECT_NE(openError(bytes, c.size - 1).find("truncated or extended"),
            std::string::npos);

  // The checksum, when asked for (open's default).
  ArtifactOpenOptions verify = noCode(/*verifyChecksum=*/true);
  EXPECT_EQ(openError(bytes, c.size, verify), "opened");
  bytes[c.weightOffset + 7] ^= 1;
  EXPECT_EQ(openError(bytes, c.size, verify),
            "memory.trit: checksum mismatch: the file is damaged");
  EXPECT_EQ(openError(bytes, c.size), "opened"); // not checked
  bytes[c.weightOffset + 7] ^= 1;

  // The magic, and the header's FlatBuffer.
  bytes[0] = 'X';
  EXPECT_NE(openError(bytes, c.size).find("no TRITMODL magic"),
            std::string::npos);
  bytes[0] = 'T';
  bytes[64 + 4] = 'X'; // the file identifier "TRIT"
  EXPECT_EQ(openError(bytes, c.size),
            "memory.trit: the header is not a valid artifact FlatBuffer");
}

TEST(ArtifactOpenMemory, ChecksTheCodeRange) {
  // Code that is not 64-byte aligned.
  Container c = makeContainer(/*codeOffsetShift=*/8);
  EXPECT_EQ(openError(c.bytes.get(), c.size),
            "memory.trit: the compiled code lies outside the file");
}

TEST(ArtifactOpenMemory, RefusesAWeightLayoutItDoesNotKnow) {
  // Every name of trit/layouts.h opens (a group-scaled ternary one here)...
  Container known = makeContainer(0, "t2g128_x16");
  EXPECT_EQ(openError(known.bytes.get(), known.size), "opened");
  // ... a name that is not in the table does not (same length as "f32").
  Container c = makeContainer(0, "q9x");
  EXPECT_EQ(openError(c.bytes.get(), c.size),
            "memory.trit: weight 'output_norm.weight' is in layout 'q9x', "
            "which this runtime does not know: compiled by a newer tritc?");
}

} // namespace
