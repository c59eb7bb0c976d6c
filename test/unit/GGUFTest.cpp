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
            "reads F32, F16, BF16, I2_S, TQ1_0 and TQ2_0)");
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
