//===- ModelImportTest.cpp - importing generated models -------------------===//
//
// Imports models written by tools/trit-gen-model.py and checks what the
// compiler relies on: every external global of the built module resolves to
// a weight of the same shape through the model (the weight store), and the
// ternary values of a GGUF file and a Hugging Face folder of one seed agree.
//
//===----------------------------------------------------------------------===//

#include "TernaryPackers.h"
#include "trit/Dialect/TritOps.h"
#include "trit/Frontends/ModelBuilder.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

#include <gtest/gtest.h>

using namespace trit;

namespace {

/// Writes a generated model into a fresh temporary path.
std::string generate(llvm::ArrayRef<llvm::StringRef> args) {
  llvm::SmallString<128> dir;
  EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("trit-import", dir));
  std::string out = (dir + "/model").str();
  std::vector<llvm::StringRef> argv = {"/usr/bin/python3", TRIT_GEN_MODEL, out};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(argv[0], argv, std::nullopt, {}, 0, 0,
                                     &error);
  EXPECT_EQ(rc, 0) << error;
  return out;
}

TEST(ModelImport, EveryExternalGlobalResolvesToItsWeight) {
  std::string path = generate({"--format", "gguf", "--seed", "5"});
  auto model = importModel(path);
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  mlir::MLIRContext context;
  auto module = buildModule(context, **model);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
  int resolved = 0;
  module->walk([&](mlir::trit::GlobalOp global) {
    auto external = llvm::dyn_cast<mlir::trit::ExternalAttr>(global.getValue());
    if (!external)
      return;
    const Weight *w =
        (*model)->lookupExternal(external.getSource(), external.getKey());
    ASSERT_TRUE(w) << global.getSymName().str();
    EXPECT_EQ(w->name, global.getSymName());
    EXPECT_EQ(llvm::ArrayRef<int64_t>(w->shape),
              global.getTensorType().getShape());
    ++resolved;
  });
  EXPECT_EQ(resolved, int((*model)->weights.size()));
  EXPECT_FALSE((*model)->lookupExternal(path, "no.such.tensor"));
}

TEST(ModelImport, GGUFAndHuggingFaceFormsDecodeToTheSameTernaryValues) {
  std::string gguf = generate({"--format", "gguf", "--type", "tq1_0"});
  std::string hf = generate({"--format", "hf"});
  auto a = importModel(gguf);
  auto b = importModel(hf);
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  int compared = 0;
  for (const Weight &w : (*a)->weights) {
    if (!w.ternary)
      continue;
    const Weight *other = (*b)->lookup(w.name);
    ASSERT_TRUE(other);
    EXPECT_EQ(w.encoding, WeightEncoding::TQ1_0);
    EXPECT_EQ(other->encoding, WeightEncoding::HFPacked);
    auto x = decodeTernary(w), y = decodeTernary(*other);
    ASSERT_TRUE(x && y);
    EXPECT_EQ(*x, *y) << w.name;
    EXPECT_EQ(w.scale, other->scale) << w.name;
    ++compared;
  }
  EXPECT_EQ(compared, 14); // 2 layers x 7 linears
  EXPECT_EQ((*a)->tokenizer.tokens, (*b)->tokenizer.tokens);
  EXPECT_EQ((*a)->tokenizer.merges, (*b)->tokenizer.merges);
  EXPECT_EQ((*a)->tokenizer.eotId, (*b)->tokenizer.eotId);
}

TEST(ModelImport, EverySourcePacksToTheSameI2SBytes) {
  std::string reference = generate({"--format", "gguf", "--seed", "11"});
  auto i2s = importModel(reference);
  ASSERT_TRUE(bool(i2s)) << llvm::toString(i2s.takeError());
  std::vector<std::vector<llvm::StringRef>> sources = {
      {"--format", "gguf", "--seed", "11", "--type", "tq1_0"},
      {"--format", "gguf", "--seed", "11", "--type", "tq2_0"},
      {"--format", "gguf", "--seed", "11", "--type", "f16"},
      {"--format", "hf", "--seed", "11"}};
  for (const auto &args : sources) {
    auto model = importModel(generate(args));
    ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
    for (const Weight &w : (*i2s)->weights) {
      if (!w.ternary)
        continue;
      std::vector<uint8_t> refStorage, storage;
      auto expected = getI2SBytes(w, refStorage);
      ASSERT_TRUE(bool(expected));
      // An I2_S source is used in place, not copied.
      EXPECT_TRUE(refStorage.empty());
      EXPECT_EQ(expected->data(), w.data.data());
      auto packed = getI2SBytes(*(*model)->lookup(w.name), storage);
      ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
      EXPECT_EQ(*packed, *expected) << w.name << " from " << args[1].str();
    }
  }
}

} // namespace

namespace {

TEST(WeightBytes, F16LayoutRoundsToNearestEven) {
  std::vector<float> values = {0.0f,       -0.0f,   1.0f,         -2.5f,
                               65504.0f,   65520.0f, 1e6f,        6.1e-5f,
                               5.96e-8f,   2.98e-8f, 1e-10f,      INFINITY,
                               -INFINITY,  1.00048828125f, 1.00146484375f,
                               3.14159265f, -123.456f};
  trit::Weight weight;
  weight.name = weight.sourceKey = "w";
  weight.sourceFile = "test";
  weight.shape = {int64_t(values.size())};
  weight.encoding = trit::WeightEncoding::F32;
  weight.data = llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(values.data()), values.size() * 4);
  std::vector<uint8_t> storage;
  auto bytes = trit::getWeightBytes(weight, "f16", storage);
  ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  ASSERT_EQ(bytes->size(), values.size() * 2);
  for (size_t i = 0; i < values.size(); ++i) {
    _Float16 expected = static_cast<_Float16>(values[i]);
    uint16_t want, got;
    std::memcpy(&want, &expected, 2);
    std::memcpy(&got, bytes->data() + 2 * i, 2);
    EXPECT_EQ(got, want) << values[i];
  }
  // f32 from f32 is the source itself, not a copy.
  auto same = trit::getWeightBytes(weight, "f32", storage);
  ASSERT_TRUE(bool(same));
  EXPECT_EQ(same->data(), weight.data.data());
  // q8_rows needs a matrix; as one row of the same values: absmax / 127
  // scales and codes rounded to nearest.
  weight.shape = {1, int64_t(values.size())};
  values.back() = 0; // no infinities in a row to scale
  values[11] = values[12] = 0;
  auto q8 = trit::getWeightBytes(weight, "q8_rows", storage);
  ASSERT_TRUE(bool(q8)) << llvm::toString(q8.takeError());
  ASSERT_EQ(q8->size(), 64 + values.size());
  float scale;
  std::memcpy(&scale, q8->data(), 4);
  EXPECT_EQ(scale, 1e6f / 127.0f);
  EXPECT_EQ(int8_t((*q8)[64 + 6]), 127);   // 1e6
  EXPECT_EQ(int8_t((*q8)[64 + 4]), 8);     // 65504 / (1e6 / 127) = 8.3
  EXPECT_EQ(int8_t((*q8)[64 + 2]), 0);     // 1.0 is below half a step
  weight.shape = {int64_t(values.size())};
  auto vector = trit::getWeightBytes(weight, "q8_rows", storage);
  ASSERT_FALSE(bool(vector));
  llvm::consumeError(vector.takeError());
  auto unknown = trit::getWeightBytes(weight, "q5", storage);
  ASSERT_FALSE(bool(unknown));
  EXPECT_NE(llvm::toString(unknown.takeError()).find("unknown weight layout 'q5'"),
            std::string::npos);
}

TEST(WeightBytes, FourBitBlocksPackTwoElementsPerByte) {
  // Two rows of 256 (two blocks each): element k of a row is k - 100 in
  // block 0, and a constant 3.5 in block 1.
  std::vector<float> values(2 * 256);
  for (int r = 0; r < 2; ++r)
    for (int k = 0; k < 256; ++k)
      values[r * 256 + k] = k < 128 ? float(k - 100) : 3.5f;
  trit::Weight weight;
  weight.sourceFile = "m.gguf";
  weight.sourceKey = "t";
  weight.encoding = trit::WeightEncoding::F32;
  weight.shape = {2, 256};
  weight.data = llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(values.data()), values.size() * 4);
  std::vector<uint8_t> storage;
  auto q4 = trit::getWeightBytes(weight, "q4_blocks", storage);
  ASSERT_TRUE(bool(q4)) << llvm::toString(q4.takeError());
  // Four f32 scales padded to 64 bytes, then 2 rows x 128 bytes of codes.
  ASSERT_EQ(q4->size(), 64 + 2 * 128);
  float scales[4];
  std::memcpy(scales, q4->data(), 16);
  EXPECT_EQ(scales[0], 100.0f / 7.0f); // absmax of block 0 is |-100|
  EXPECT_EQ(scales[1], 3.5f / 7.0f);
  const uint8_t *codes = q4->data() + 64;
  // Element 0 (-100) is code -7 in the low nibble of byte 0; element 64
  // (-36 / (100/7) = -2.52) is -3 in its high nibble.
  EXPECT_EQ(codes[0] & 15, -7 + 8);
  EXPECT_EQ(codes[0] >> 4, -3 + 8);
  // Element 127 (27 / (100/7) = 1.89): 2, high nibble of byte 63.
  EXPECT_EQ(codes[63] >> 4, 2 + 8);
  // Block 1 is all 3.5 = 7 * its scale.
  EXPECT_EQ(codes[64], uint8_t((7 + 8) | ((7 + 8) << 4)));
  weight.shape = {2, 200};
  values.resize(400);
  weight.data = llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(values.data()), values.size() * 4);
  auto narrow = trit::getWeightBytes(weight, "q4_blocks", storage);
  ASSERT_FALSE(bool(narrow));
  EXPECT_NE(llvm::toString(narrow.takeError()).find("multiple of 128"),
            std::string::npos);
}

TEST(WeightBytes, TernaryRowsKeepTheLargeWeightsWithTheirMeanAsScale) {
  // Three rows of 384: +-2 and +-0.1 alternating in pairs; zeros; 0.5.
  const int64_t cols = 384;
  std::vector<float> values(3 * cols);
  std::vector<int8_t> expected(3 * cols);
  for (int64_t k = 0; k < cols; ++k) {
    float sign = k % 2 ? -1.0f : 1.0f;
    bool large = k % 4 < 2;
    values[k] = sign * (large ? 2.0f : 0.1f);
    expected[k] = large ? int8_t(sign) : 0;
    values[cols + k] = 0;
    expected[cols + k] = 0;
    values[2 * cols + k] = 0.5f;
    expected[2 * cols + k] = 1;
  }
  trit::Weight weight;
  weight.sourceFile = "m.gguf";
  weight.sourceKey = "t";
  weight.encoding = trit::WeightEncoding::F32;
  weight.shape = {3, cols};
  weight.data = llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(values.data()), values.size() * 4);
  for (bool t3x5 : {true, false}) {
    std::vector<uint8_t> storage;
    auto bytes = trit::getWeightBytes(
        weight, t3x5 ? "ternary_rows_t3x5" : "ternary_rows_i2_s", storage);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    std::vector<uint8_t> codes = t3x5
                                     ? trit::test::packT3X5(expected, 3, cols)
                                     : trit::test::packI2S(expected, 3, cols);
    // Three f32 scales padded to 64 bytes, then the packed rows.
    ASSERT_EQ(bytes->size(), 64 + codes.size());
    float scales[3];
    std::memcpy(scales, bytes->data(), 12);
    EXPECT_EQ(scales[0], 2.0f);
    EXPECT_EQ(scales[1], 0.0f);
    EXPECT_EQ(scales[2], 0.5f);
    EXPECT_EQ(0, std::memcmp(bytes->data() + 64, codes.data(), codes.size()))
        << (t3x5 ? "t3x5" : "i2_s");
  }
  // Rows in lanes: the three rows padded to a superblock of 64.
  {
    std::vector<uint8_t> storage;
    auto bytes =
        trit::getWeightBytes(weight, "ternary_rows_t3x5_x64", storage);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    std::vector<int8_t> padded(expected);
    padded.resize(64 * cols, 0);
    std::vector<uint8_t> codes = trit::test::packT3X5x64(padded, 64, cols);
    ASSERT_EQ(bytes->size(), 64 + codes.size());
    float scales[3];
    std::memcpy(scales, bytes->data(), 12);
    EXPECT_EQ(scales[0], 2.0f);
    EXPECT_EQ(scales[2], 0.5f);
    EXPECT_EQ(0, std::memcmp(bytes->data() + 64, codes.data(), codes.size()));
  }
  weight.shape = {2, 576};
  std::vector<uint8_t> storage;
  auto narrow = trit::getWeightBytes(weight, "ternary_rows_i2_s", storage);
  ASSERT_FALSE(bool(narrow));
  EXPECT_NE(llvm::toString(narrow.takeError()).find("multiple of 128"),
            std::string::npos);
}

} // namespace
