//===- GGUFTest.cpp - GGUF reader on valid and broken files ---------------===//

#include "GGUFBuilder.h"

#include "trit/Frontends/GGUF.h"

#include "llvm/Support/Error.h"

#include <gtest/gtest.h>

using namespace trit;
using namespace trit::gguf;
using trit::test::GGUFBuilder;

namespace {

/// The error message of a parse expected to fail ("" if it succeeded).
std::string parseError(const std::vector<uint8_t> &bytes) {
  llvm::Expected<File> file = File::parse(bytes, "test.gguf");
  if (file)
    return "";
  return llvm::toString(file.takeError());
}

GGUFBuilder validFile() {
  GGUFBuilder b;
  b.addString("general.architecture", "bitnet-b1.58")
      .add<uint32_t>("bitnet-b1.58.block_count", 4, 30)
      .add<float>("bitnet-b1.58.rope.freq_base", 6, 500000.0f)
      .add<uint8_t>("tokenizer.ggml.add_bos_token", 7, 1)
      .add<int8_t>("test.i8", 1, -5)
      .add<uint16_t>("test.u16", 2, 65535)
      .add<int16_t>("test.i16", 3, -300)
      .add<int32_t>("test.i32", 5, -70000)
      .add<uint64_t>("test.u64", 10, 1ull << 40)
      .add<int64_t>("test.i64", 11, -(1ll << 40))
      .add<double>("test.f64", 12, 0.25)
      .add<uint8_t>("test.u8", 0, 200)
      .addStringArray("tokenizer.ggml.tokens", {"a", "b", "", "\xc4\xa0the"})
      .addArray<int32_t>("tokenizer.ggml.token_type", 5, {1, 1, 3, 1})
      .addArray<float>("tokenizer.ggml.scores", 6, {0, 0.5f, -1, 2});
  std::vector<uint8_t> f32(4 * 8, 0), f16(2 * 128, 0);
  std::vector<uint8_t> i2s(256 * 2 / 4 + 32, 0x55), tq2(66 * 2, 0),
      tq1(54, 0);
  b.addTensor({"output_norm.weight", {8}, 0, f32})
      .addTensor({"token_embd.weight", {64, 2}, 1, f16})
      .addTensor({"blk.0.attn_q.weight", {256, 2}, 36, i2s})
      .addTensor({"blk.0.ffn_up.weight", {256, 2}, 35, tq2})
      .addTensor({"blk.0.ffn_down.weight", {256, 1}, 34, tq1});
  return b;
}

TEST(GGUFReader, ReadsEveryValueTypeAndTensorType) {
  std::vector<uint8_t> bytes = validFile().build();
  llvm::Expected<File> file = File::parse(bytes, "test.gguf");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ(file->getVersion(), 3u);
  EXPECT_EQ(file->getAlignment(), 32u);
  EXPECT_EQ(file->getKeys().size(), 15u);
  EXPECT_EQ(*file->lookup("general.architecture")->getString(),
            "bitnet-b1.58");
  EXPECT_EQ(*file->lookup("bitnet-b1.58.block_count")->getUInt(), 30u);
  EXPECT_EQ(*file->lookup("bitnet-b1.58.rope.freq_base")->getFloat(), 500000.0);
  EXPECT_EQ(*file->lookup("tokenizer.ggml.add_bos_token")->getBool(), true);
  EXPECT_EQ(*file->lookup("test.i8")->getInt(), -5);
  EXPECT_FALSE(file->lookup("test.i8")->getUInt());
  EXPECT_EQ(*file->lookup("test.u16")->getUInt(), 65535u);
  EXPECT_EQ(*file->lookup("test.i16")->getInt(), -300);
  EXPECT_EQ(*file->lookup("test.i32")->getInt(), -70000);
  EXPECT_EQ(*file->lookup("test.u64")->getUInt(), 1ull << 40);
  EXPECT_EQ(*file->lookup("test.i64")->getInt(), -(1ll << 40));
  EXPECT_EQ(*file->lookup("test.f64")->getFloat(), 0.25);
  EXPECT_EQ(*file->lookup("test.u8")->getUInt(), 200u);
  std::vector<llvm::StringRef> tokens =
      *file->lookup("tokenizer.ggml.tokens")->getStringArray();
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens[2], "");
  EXPECT_EQ(tokens[3], "\xc4\xa0the");
  EXPECT_EQ(*file->lookup("tokenizer.ggml.token_type")->getIntArray(),
            (std::vector<int64_t>{1, 1, 3, 1}));
  EXPECT_EQ(*file->lookup("tokenizer.ggml.scores")->getFloatArray(),
            (std::vector<double>{0, 0.5, -1, 2}));
  EXPECT_FALSE(file->lookup("tokenizer.ggml.scores")->getIntArray());

  ASSERT_EQ(file->getTensors().size(), 5u);
  const TensorInfo *q = file->lookupTensor("blk.0.attn_q.weight");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->getType(), TensorType::I2_S);
  EXPECT_EQ(q->size, 256u * 2 / 4 + 32);
  EXPECT_EQ(q->data.size(), q->size);
  EXPECT_EQ(q->data[0], 0x55);
  EXPECT_EQ(file->lookupTensor("blk.0.ffn_up.weight")->size, 132u);
  EXPECT_EQ(file->lookupTensor("blk.0.ffn_down.weight")->size, 54u);
  EXPECT_EQ(file->lookupTensor("token_embd.weight")->getElementCount(), 128u);
  EXPECT_FALSE(file->lookupTensor("missing"));
  EXPECT_FALSE(file->lookup("missing"));

  llvm::Expected<uint64_t> wrongType =
      file->getRequiredUInt("general.architecture");
  ASSERT_FALSE(bool(wrongType));
  EXPECT_EQ(llvm::toString(wrongType.takeError()),
            "test.gguf: metadata key 'general.architecture' is a string, not "
            "a non-negative integer");
  llvm::Expected<llvm::StringRef> missing =
      file->getRequiredString("general.name");
  ASSERT_FALSE(bool(missing));
  EXPECT_EQ(llvm::toString(missing.takeError()),
            "test.gguf: metadata key 'general.name' is missing");
}

TEST(GGUFReader, HonoursCustomAlignment) {
  GGUFBuilder b = validFile();
  b.alignment = 64;
  b.add<uint32_t>("general.alignment", 4, 64);
  std::vector<uint8_t> bytes = b.build();
  llvm::Expected<File> file = File::parse(bytes, "test.gguf");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ(file->getAlignment(), 64u);
  for (const TensorInfo &t : file->getTensors())
    EXPECT_EQ(t.offset % 64, 0u);
}

TEST(GGUFReader, EveryTruncationIsAnErrorNotACrash) {
  std::vector<uint8_t> bytes = validFile().build();
  for (size_t length = 0; length < bytes.size(); ++length) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + length);
    std::string error = parseError(prefix);
    EXPECT_FALSE(error.empty()) << "prefix of " << length << " bytes parsed";
    EXPECT_EQ(error.rfind("test.gguf: ", 0), 0u) << error;
  }
}

TEST(GGUFReader, ReportsHeaderProblems) {
  std::vector<uint8_t> bytes = validFile().build();
  std::vector<uint8_t> badMagic = bytes;
  badMagic[0] = 'X';
  EXPECT_EQ(parseError(badMagic),
            "test.gguf: not a GGUF file (the first bytes are not \"GGUF\")");

  GGUFBuilder v1 = validFile();
  v1.version = 1;
  EXPECT_EQ(parseError(v1.build()),
            "test.gguf: unsupported GGUF version 1; Trit reads versions 2 and 3");

  std::vector<uint8_t> hugeCounts = bytes;
  uint64_t huge = 1ull << 60;
  std::memcpy(hugeCounts.data() + 8, &huge, 8);
  EXPECT_NE(parseError(hugeCounts).find("tensor count 1152921504606846976 is "
                                        "more than the file can hold"),
            std::string::npos);
  std::vector<uint8_t> hugeKeys = bytes;
  std::memcpy(hugeKeys.data() + 16, &huge, 8);
  EXPECT_NE(parseError(hugeKeys).find("metadata count"), std::string::npos);
}

TEST(GGUFReader, ReportsMetadataProblems) {
  auto withKV = [](auto &&addKV) {
    GGUFBuilder b;
    addKV(b);
    return parseError(b.build());
  };
  EXPECT_EQ(withKV([](GGUFBuilder &b) {
              GGUFBuilder::putString(b.kv, "k");
              GGUFBuilder::put<uint32_t>(b.kv, 8);
              GGUFBuilder::put<uint64_t>(b.kv, 1ull << 50);
              b.kvCount = 1;
            }),
            "test.gguf: string length 1125899906842624 at byte 37 (the value "
            "of 'k') exceeds the 19 bytes left in the file");
  EXPECT_EQ(withKV([](GGUFBuilder &b) { b.add<uint32_t>("k", 13, 0); }),
            "test.gguf: metadata key 'k' has unknown value type 13");
  EXPECT_EQ(withKV([](GGUFBuilder &b) {
              b.add<uint8_t>("k", 0, 1).add<uint8_t>("k", 0, 2);
            }),
            "test.gguf: metadata key 'k' appears twice");
  EXPECT_EQ(withKV([](GGUFBuilder &b) { b.add<uint8_t>("k", 7, 2); }),
            "test.gguf: metadata key 'k' is a bool of value 2; expected 0 or 1");
  EXPECT_EQ(withKV([](GGUFBuilder &b) {
              b.addArray<uint32_t>("k", 9, {});
            }),
            "test.gguf: metadata key 'k' is an array of arrays, which Trit "
            "does not read");
  EXPECT_EQ(withKV([](GGUFBuilder &b) {
              GGUFBuilder::putString(b.kv, "k");
              GGUFBuilder::put<uint32_t>(b.kv, 9);
              GGUFBuilder::put<uint32_t>(b.kv, 5);
              GGUFBuilder::put<uint64_t>(b.kv, 1ull << 40);
              b.kvCount = 1;
            }),
            "test.gguf: metadata key 'k' claims 1099511627776 elements, more "
            "than the 15 bytes left in the file can hold");
  EXPECT_EQ(withKV([](GGUFBuilder &b) {
              b.add<uint32_t>("general.alignment", 4, 48);
            }),
            "test.gguf: general.alignment must be a uint32 power of two, got "
            "a uint32 of value 48");
  EXPECT_EQ(withKV([](GGUFBuilder &b) { b.add<uint8_t>("", 0, 1); }),
            "test.gguf: metadata key 0 at byte 24 is empty");
}

TEST(GGUFReader, ReportsTensorProblems) {
  auto withTensor = [](GGUFBuilder::Tensor tensor) {
    GGUFBuilder b;
    b.addTensor({"first", {8}, 0, std::vector<uint8_t>(32)});
    b.addTensor(std::move(tensor));
    return parseError(b.build());
  };
  EXPECT_EQ(withTensor({"t", {8}, 99, {}}),
            "test.gguf: tensor 't': unknown tensor type id 99");
  EXPECT_EQ(withTensor({"t", {256}, 12, {}}),
            "test.gguf: tensor 't': tensor type Q4_K is not supported (Trit "
            "reads F32, F16, BF16, I2_S, TQ1_0, TQ2_0, Q1_0, Q2_0, PQ2_0 and "
            "PTQ1_0)");
  EXPECT_EQ(withTensor({"t", {100}, 35, {}}),
            "test.gguf: tensor 't': TQ2_0 needs rows of a multiple of 256 "
            "elements, got 100");
  EXPECT_EQ(withTensor({"t", {8, 0}, 0, {}}),
            "test.gguf: tensor 't' has dimension 1 of size 0");
  EXPECT_EQ(withTensor({"t", {1, 1, 1, 1, 1}, 0, {}}),
            "test.gguf: tensor 't' has rank 5; GGUF tensors have rank 1 to 4");
  EXPECT_EQ(withTensor({"first", {8}, 0, {}}),
            "test.gguf: tensor 'first' appears twice");
  EXPECT_EQ(withTensor({"t", {8}, 0, std::vector<uint8_t>(32), 16}),
            "test.gguf: tensor 't' has offset 16, not a multiple of the "
            "alignment 32");
  EXPECT_EQ(withTensor({"t", {8}, 0, std::vector<uint8_t>(32), 0}),
            "test.gguf: the data of tensors 'first' and 't' overlap");
  EXPECT_EQ(withTensor({"t", {1ull << 40, 1ull << 30}, 0, {}}),
            "test.gguf: tensor 't': element count overflows");

  // Data that the file does not hold.
  GGUFBuilder b;
  b.addTensor({"t", {1024}, 0, std::vector<uint8_t>(64)});
  std::string error = parseError(b.build());
  EXPECT_EQ(error, "test.gguf: tensor 't' (F32, 4096 bytes at data offset 0) "
                   "extends past the end of the file (the data section holds "
                   "64 bytes)");
}

} // namespace

//===----------------------------------------------------------------------===//
// Ternary Bonsai's group-scaled types
//===----------------------------------------------------------------------===//

namespace {

/// A file of `tensors` after one F32 vector (so no tensor starts the data).
GGUFBuilder withTensors(std::vector<GGUFBuilder::Tensor> tensors) {
  GGUFBuilder b;
  b.addTensor({"norm", {8}, 0, std::vector<uint8_t>(32)});
  for (GGUFBuilder::Tensor &t : tensors)
    b.addTensor(std::move(t));
  return b;
}

TEST(GGUFReader, SizesTheGroupScaledTypes) {
  GGUFBuilder b = withTensors({
      {"q1", {256, 2}, 41, std::vector<uint8_t>(4 * 18)},
      {"q2", {128, 3}, 42, std::vector<uint8_t>(6 * 18)},
      {"pq2", {256, 2}, 142, std::vector<uint8_t>(4 * 34)},
      {"ptq1", {384, 1}, 143, std::vector<uint8_t>(3 * 28)},
  });
  std::vector<uint8_t> bytes = b.build();
  llvm::Expected<File> file = File::parse(bytes, "test.gguf");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ(file->lookupTensor("q1")->size, 72u);
  EXPECT_EQ(file->lookupTensor("q1")->getType(), TensorType::Q1_0);
  EXPECT_EQ(file->lookupTensor("q2")->size, 108u);
  EXPECT_FALSE(file->lookupTensor("q2")->legacyQ2_0);
  EXPECT_EQ(file->lookupTensor("pq2")->size, 136u);
  EXPECT_EQ(file->lookupTensor("ptq1")->size, 84u);
  EXPECT_EQ(getTensorTypeName(41), "Q1_0");
  EXPECT_EQ(getTensorTypeName(42), "Q2_0");
  EXPECT_EQ(getTensorTypeName(142), "PQ2_0");
  EXPECT_EQ(getTensorTypeName(143), "PTQ1_0");
  EXPECT_EQ(*getTensorDataSize(42, {256, 2}, /*legacyQ2_0=*/true), 136u);
}

TEST(GGUFReader, RowsMustHoldWholeBlocks) {
  auto error = [](uint64_t row, uint32_t type) {
    return parseError(withTensors({{"t", {row, 2}, type, {}}}).build());
  };
  EXPECT_EQ(error(96, 42), "test.gguf: tensor 't': Q2_0 needs rows of a "
                           "multiple of 64 elements, got 96");
  EXPECT_EQ(error(64, 142), "test.gguf: tensor 't': PQ2_0 needs rows of a "
                            "multiple of 128 elements, got 64");
  EXPECT_EQ(error(200, 143), "test.gguf: tensor 't': PTQ1_0 needs rows of a "
                             "multiple of 128 elements, got 200");
  EXPECT_EQ(error(64, 41), "test.gguf: tensor 't': Q1_0 needs rows of a "
                           "multiple of 128 elements, got 64");
  EXPECT_EQ(error(128, 144), "test.gguf: tensor 't': unknown tensor type id "
                             "144");
  EXPECT_EQ(error(128, 40), "test.gguf: tensor 't': tensor type NVFP4 is not "
                            "supported (Trit reads F32, F16, BF16, I2_S, "
                            "TQ1_0, TQ2_0, Q1_0, Q2_0, PQ2_0 and PTQ1_0)");
}

// Id 42 is Q2_0 with 64-weight blocks (18 bytes) in llama.cpp and PrismML's
// fork from v7, and the fork's group-128 layout (34-byte blocks, PQ2_0's)
// before: a 4096-weight row is 1152 bytes in one and 1088 in the other,
// which the tensor offsets tell apart. A 128-weight row (36 or 34 bytes,
// both padded to 64) fits either and follows the file's large tensors.
TEST(GGUFReader, TellsTheTwoQ2_0LayoutsApartBySize) {
  for (bool legacy : {false, true}) {
    uint64_t big = legacy ? 1088 : 1152, small = legacy ? 34 : 36;
    GGUFBuilder b = withTensors({
        {"small", {128, 1}, 42, std::vector<uint8_t>(small)},
        {"big", {4096, 1}, 42, std::vector<uint8_t>(big, 0x55)},
        {"after", {8}, 0, std::vector<uint8_t>(32)},
    });
    std::vector<uint8_t> bytes = b.build();
    llvm::Expected<File> file = File::parse(bytes, "test.gguf");
    ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
    for (const char *name : {"small", "big"})
      EXPECT_EQ(file->lookupTensor(name)->legacyQ2_0, legacy) << name;
    EXPECT_EQ(file->lookupTensor("big")->size, big);
    EXPECT_EQ(file->lookupTensor("big")->data.size(), big);
    EXPECT_EQ(file->lookupTensor("small")->size, small);

    // The same as the file's last tensor, where no next offset bounds it.
    GGUFBuilder last =
        withTensors({{"big", {4096, 1}, 42, std::vector<uint8_t>(big)}});
    std::vector<uint8_t> lastBytes = last.build();
    llvm::Expected<File> lastFile = File::parse(lastBytes, "test.gguf");
    ASSERT_TRUE(bool(lastFile)) << llvm::toString(lastFile.takeError());
    EXPECT_EQ(lastFile->lookupTensor("big")->legacyQ2_0, legacy);
  }

  // Only small tensors: the official layout.
  std::vector<uint8_t> small =
      withTensors({{"small", {128, 1}, 42, std::vector<uint8_t>(36)},
                   {"after", {8}, 0, std::vector<uint8_t>(32)}})
          .build();
  llvm::Expected<File> file = File::parse(small, "test.gguf");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_FALSE(file->lookupTensor("small")->legacyQ2_0);
}

TEST(GGUFReader, RefusesQ2_0SizesOfNeitherOrBothLayouts) {
  // 1120 bytes: less than the official 1152, a block more than the 1088.
  EXPECT_EQ(parseError(withTensors({
                           {"t", {4096, 1}, 42, std::vector<uint8_t>(1120)},
                           {"after", {8}, 0, std::vector<uint8_t>(32)},
                       })
                           .build()),
            "test.gguf: tensor 't' (Q2_0, rows of 4096) has 1120 bytes up to "
            "the next tensor, which matches neither the Q2_0 layout "
            "(64-weight blocks) nor the legacy group-128 layout (1152 or 1088 "
            "bytes, each padded to the alignment of 32)");
  // Rows of 192 have no legacy size.
  EXPECT_EQ(parseError(withTensors({
                           {"t", {192, 16}, 42, std::vector<uint8_t>(1024)},
                           {"after", {8}, 0, std::vector<uint8_t>(32)},
                       })
                           .build()),
            "test.gguf: tensor 't' (Q2_0, rows of 192) has 1024 bytes up to "
            "the next tensor, which matches neither the Q2_0 layout "
            "(64-weight blocks) nor the legacy group-128 layout (864 bytes; "
            "its rows do not divide into the legacy layout's blocks, each "
            "padded to the alignment of 32)");
  // One file, two layouts.
  EXPECT_EQ(parseError(withTensors({
                           {"a", {4096, 1}, 42, std::vector<uint8_t>(1152)},
                           {"b", {4096, 1}, 42, std::vector<uint8_t>(1088)},
                           {"after", {8}, 0, std::vector<uint8_t>(32)},
                       })
                           .build()),
            "test.gguf: tensor 'a' has the size of the Q2_0 layout (64-weight "
            "blocks) but tensor 'b' that of the legacy group-128 layout; the "
            "Q2_0 tensors of a file must all use one layout");
  // A legacy file's tensor with rows of 64 weights fits only the official
  // layout.
  EXPECT_EQ(parseError(withTensors({
                           {"legacy", {4096, 1}, 42, std::vector<uint8_t>(1088)},
                           {"rows64", {64, 2}, 42, std::vector<uint8_t>(36)},
                           {"after", {8}, 0, std::vector<uint8_t>(32)},
                       })
                           .build()),
            "test.gguf: tensor 'rows64' has the size of the Q2_0 layout "
            "(64-weight blocks) but tensor 'legacy' that of the legacy "
            "group-128 layout; the Q2_0 tensors of a file must all use one "
            "layout");
  // Data cut short is still reported as such.
  std::vector<uint8_t> cut =
      withTensors({{"t", {4096, 1}, 42, std::vector<uint8_t>(1152)}}).build();
  cut.resize(cut.size() - 100);
  EXPECT_EQ(parseError(cut),
            "test.gguf: tensor 't' (Q2_0, 1152 bytes at data offset 32) "
            "extends past the end of the file (the data section holds 1084 "
            "bytes)");
  // Overlapping tensors too.
  EXPECT_EQ(parseError(withTensors({
                           {"t", {4096, 1}, 42, std::vector<uint8_t>(1152)},
                           {"u", {8}, 0, std::vector<uint8_t>(32), 64},
                       })
                           .build()),
            "test.gguf: the data of tensors 't' and 'u' overlap");
}

TEST(GGUFReader, EveryTruncationOfAGroupScaledFileIsAnError) {
  std::vector<uint8_t> bytes =
      withTensors({{"a", {4096, 1}, 42, std::vector<uint8_t>(1088)},
                   {"b", {128, 1}, 143, std::vector<uint8_t>(28)},
                   {"c", {128, 1}, 42, std::vector<uint8_t>(34)}})
          .build();
  ASSERT_EQ(parseError(bytes), "");
  for (size_t length = 0; length < bytes.size(); ++length) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + length);
    std::string error = parseError(prefix);
    EXPECT_FALSE(error.empty()) << "prefix of " << length << " bytes parsed";
  }
}

} // namespace
