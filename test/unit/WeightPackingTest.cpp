//===- WeightPackingTest.cpp - the packers of the weight layouts ----------===//
//
// The table of weight layouts (trit/layouts.h and its compiler side) and the
// packers' byte layouts: f16 rounding, the LM head's compact copies, the
// reranking head's ternary rows.
//
//===----------------------------------------------------------------------===//

#include "TernaryPackers.h"
#include "trit/Compiler/WeightLayouts.h"
#include "trit/Frontends/Model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

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
  auto bytes = trit::packWeight(weight, "f16", storage);
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
  auto same = trit::packWeight(weight, "f32", storage);
  ASSERT_TRUE(bool(same));
  EXPECT_EQ(same->data(), weight.data.data());
  // q8_rows needs a matrix; as one row of the same values: absmax / 127
  // scales and codes rounded to nearest.
  weight.shape = {1, int64_t(values.size())};
  values.back() = 0; // no infinities in a row to scale
  values[11] = values[12] = 0;
  auto q8 = trit::packWeight(weight, "q8_rows", storage);
  ASSERT_TRUE(bool(q8)) << llvm::toString(q8.takeError());
  ASSERT_EQ(q8->size(), 64 + values.size());
  float scale;
  std::memcpy(&scale, q8->data(), 4);
  EXPECT_EQ(scale, 1e6f / 127.0f);
  EXPECT_EQ(int8_t((*q8)[64 + 6]), 127);   // 1e6
  EXPECT_EQ(int8_t((*q8)[64 + 4]), 8);     // 65504 / (1e6 / 127) = 8.3
  EXPECT_EQ(int8_t((*q8)[64 + 2]), 0);     // 1.0 is below half a step
  weight.shape = {int64_t(values.size())};
  auto vector = trit::packWeight(weight, "q8_rows", storage);
  ASSERT_FALSE(bool(vector));
  llvm::consumeError(vector.takeError());
  auto unknown = trit::packWeight(weight, "q5", storage);
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
  auto q4 = trit::packWeight(weight, "q4_blocks", storage);
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
  auto narrow = trit::packWeight(weight, "q4_blocks", storage);
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
  size_t codesAt = trit_ternary_rows_codes_offset(3, cols);
  // What the ternary rows leave out, ternarized: row 0's +-0.1.
  std::vector<int8_t> expectedResidual(3 * cols, 0);
  for (int64_t k = 0; k < cols; ++k)
    if (k % 4 >= 2)
      expectedResidual[k] = k % 2 ? -1 : 1;
  for (bool t3x5 : {true, false}) {
    std::vector<uint8_t> storage;
    auto bytes = trit::packWeight(
        weight, t3x5 ? "ternary_rows_t3x5" : "ternary_rows_i2_s", storage);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    std::vector<uint8_t> codes = t3x5 ? trit::test::packT3X5(expected, 3, cols)
                                      : trit::test::packI2S(expected, 3, cols);
    // Three f32 scales, the error statistics (3 a, 3 b, 384 c) padded to
    // 64 bytes, then the packed rows.
    ASSERT_EQ(codesAt, 1600u);
    size_t residualAt = (codesAt + codes.size() + 63) / 64 * 64;
    std::vector<uint8_t> residualCodes =
        trit::test::packT3X5(expectedResidual, 3, cols);
    ASSERT_EQ(bytes->size(), residualAt + codesAt + residualCodes.size());
    std::vector<float> header(3 * 3 + cols);
    std::memcpy(header.data(), bytes->data(), header.size() * 4);
    EXPECT_EQ(header[0], 2.0f);
    EXPECT_EQ(header[1], 0.0f);
    EXPECT_EQ(header[2], 0.5f);
    // a = |w - scale t| / sqrt(cols): row 0 leaves its 192 weights of 0.1
    // out; rows 1 and 2 are exact.
    EXPECT_FLOAT_EQ(header[3], std::sqrt(192 * 0.01f / cols));
    EXPECT_EQ(header[4], 0.0f);
    EXPECT_EQ(header[5], 0.0f);
    // b = scale sqrt(nonzeros / cols).
    EXPECT_FLOAT_EQ(header[6], 2.0f * std::sqrt(0.5f));
    EXPECT_EQ(header[7], 0.0f);
    EXPECT_FLOAT_EQ(header[8], 0.5f);
    // c: each column's share of the residual energy (mean 1), from row 0
    // alone: 2 where it left a weight out, 0 elsewhere.
    for (int64_t k = 0; k < cols; ++k)
      EXPECT_FLOAT_EQ(header[9 + k], k % 4 < 2 ? 0.0f : 2.0f) << k;
    EXPECT_EQ(0,
              std::memcmp(bytes->data() + codesAt, codes.data(), codes.size()))
        << (t3x5 ? "t3x5" : "i2_s");
    // The residual block: row 0's left-out +-0.1 ternarized exactly (scale
    // 0.1, nothing left: a = 0, b = |2 t + 0.1 t2| / sqrt(cols)); rows 1
    // and 2 leave nothing out. No residual energy anywhere: c = 1.
    std::vector<float> residual(3 * 3 + cols);
    std::memcpy(residual.data(), bytes->data() + residualAt,
                residual.size() * 4);
    EXPECT_FLOAT_EQ(residual[0], 0.1f);
    EXPECT_EQ(residual[1], 0.0f);
    EXPECT_EQ(residual[2], 0.0f);
    for (int r = 0; r < 3; ++r)
      EXPECT_EQ(residual[3 + r], 0.0f) << r;
    EXPECT_FLOAT_EQ(residual[6], std::sqrt((192 * 4.0f + 192 * 0.01f) / cols));
    EXPECT_FLOAT_EQ(residual[8], 0.5f);
    for (int64_t k = 0; k < cols; ++k)
      EXPECT_EQ(residual[9 + k], 1.0f) << k;
    EXPECT_EQ(0, std::memcmp(bytes->data() + residualAt + codesAt,
                             residualCodes.data(), residualCodes.size()));
  }
  // Rows in lanes: the three rows padded to a superblock of 64.
  {
    std::vector<uint8_t> storage;
    auto bytes =
        trit::packWeight(weight, "ternary_rows_t3x5_x64", storage);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    std::vector<int8_t> padded(expected);
    padded.resize(64 * cols, 0);
    std::vector<uint8_t> codes = trit::test::packT3X5x64(padded, 64, cols);
    size_t residualAt = (codesAt + codes.size() + 63) / 64 * 64;
    ASSERT_EQ(bytes->size(), residualAt + codesAt +
                                 3 * size_t(trit_t3x5_row_bytes(cols)));
    float scales[3];
    std::memcpy(scales, bytes->data(), 12);
    EXPECT_EQ(scales[0], 2.0f);
    EXPECT_EQ(scales[2], 0.5f);
    EXPECT_EQ(0,
              std::memcmp(bytes->data() + codesAt, codes.data(), codes.size()));
  }
  weight.shape = {2, 576};
  std::vector<uint8_t> storage;
  auto narrow = trit::packWeight(weight, "ternary_rows_i2_s", storage);
  ASSERT_FALSE(bool(narrow));
  EXPECT_NE(llvm::toString(narrow.takeError()).find("multiple of 128"),
            std::string::npos);
}

} // namespace

namespace {

TEST(WeightLayouts, TheTableAndTheCHeaderAgree) {
  ASSERT_EQ(trit::getWeightLayouts().size(), size_t(TRIT_WEIGHT_LAYOUT_COUNT));
  for (const trit::WeightLayoutInfo &info : trit::getWeightLayouts()) {
    auto c = trit_weight_layout(info.layout);
    EXPECT_EQ(info.name, trit_weight_layout_name(c));
    EXPECT_EQ(trit::lookupWeightLayout(info.name), info.layout);
    trit_weight_layout named;
    ASSERT_TRUE(trit_weight_layout_from_name(info.name.data(), &named));
    EXPECT_EQ(named, c);
    EXPECT_FALSE(info.kernels.empty()) << info.name.str();
    EXPECT_EQ(&trit::getWeightLayoutInfo(info.layout), &info);
  }
  trit_weight_layout named;
  EXPECT_FALSE(trit_weight_layout_from_name("t3x5x64", &named));
  EXPECT_FALSE(trit_weight_layout_from_name("", &named));
  EXPECT_FALSE(trit::lookupWeightLayout("i2_s "));
}

TEST(WeightLayouts, EveryPackerWritesTheBytesOfTheTable) {
  // A 64 x 384 matrix of floats in -1.5..1.5 (ternary as well, for the
  // ternary layouts): every layout holds its shape.
  const int64_t rows = 64, cols = 384;
  std::vector<float> values(rows * cols);
  for (size_t i = 0; i < values.size(); ++i)
    values[i] = float(int(i * 7919 % 3) - 1) * 1.5f;
  trit::Weight weight;
  weight.sourceFile = "m.gguf";
  weight.sourceKey = "t";
  weight.encoding = trit::WeightEncoding::F32;
  weight.shape = {rows, cols};
  weight.ternary = true;
  weight.scale = 1.5f;
  weight.data = llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(values.data()), values.size() * 4);
  // The group-scaled layouts (T2G) hold what Ternary Bonsai's GGUF types
  // hold: the same values as Q2_0 (group 64) and PQ2_0 (group 128).
  std::vector<uint8_t> q2_0[2];
  trit::Weight grouped[2];
  for (int i = 0; i < 2; ++i) {
    int64_t group = i ? 128 : 64;
    for (int64_t b = 0; b < rows * cols / group; ++b) {
      q2_0[i].push_back(0x00); // d = 1.5 in f16: 0x3e00
      q2_0[i].push_back(0x3e);
      for (int64_t j = 0; j < group / 4; ++j) {
        uint8_t byte = 0;
        for (int e = 0; e < 4; ++e)
          byte |= uint8_t(values[b * group + 4 * j + e] / 1.5f + 1) << (2 * e);
        q2_0[i].push_back(byte);
      }
    }
    grouped[i] = weight;
    grouped[i].encoding =
        i ? trit::WeightEncoding::PQ2_0 : trit::WeightEncoding::Q2_0;
    grouped[i].groupSize = group;
    grouped[i].scale = 1.0f;
    grouped[i].data = q2_0[i];
  }
  for (const trit::WeightLayoutInfo &info : trit::getWeightLayouts()) {
    std::vector<uint8_t> storage;
    const trit::Weight &source =
        info.layout == trit::WeightLayout::T2G64_X16    ? grouped[0]
        : info.layout == trit::WeightLayout::T2G128_X16 ? grouped[1]
                                                        : weight;
    auto bytes = trit::packWeight(source, info.layout, storage);
    ASSERT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
    EXPECT_EQ(int64_t(bytes->size()), info.getBytes(rows, cols))
        << info.name.str();
  }
}

TEST(WeightLayouts, T2GPackerMatchesTheLayoutsDescription) {
  // A Q2_0 weight of 37 rows (not a multiple of 16) with codes 0..3 and a
  // different f16 scale per group, packed by the compiler and by the
  // test-side packer written from kernels.h.
  const int64_t rows = 37, cols = 256, group = 64;
  std::vector<uint8_t> bytes;
  std::vector<int8_t> values(rows * cols);
  std::vector<uint16_t> scales(rows * cols / group);
  for (int64_t b = 0; b < rows * cols / group; ++b) {
    scales[b] = uint16_t(0x3000 + b * 7);
    bytes.push_back(uint8_t(scales[b]));
    bytes.push_back(uint8_t(scales[b] >> 8));
    for (int64_t j = 0; j < group / 4; ++j) {
      uint8_t byte = 0;
      for (int e = 0; e < 4; ++e) {
        int code = int((b * group + 4 * j + e) * 2654435761u >> 29) & 3;
        values[b * group + 4 * j + e] = int8_t(code - 1);
        byte |= uint8_t(code) << (2 * e);
      }
      bytes.push_back(byte);
    }
  }
  trit::Weight w;
  w.sourceFile = "m.gguf";
  w.sourceKey = "t";
  w.shape = {rows, cols};
  w.ternary = true;
  w.encoding = trit::WeightEncoding::Q2_0;
  w.groupSize = group;
  w.data = bytes;
  std::vector<uint8_t> storage;
  auto packed = trit::packWeight(w, trit::WeightLayout::T2G64_X16, storage);
  ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
  std::vector<uint8_t> expected =
      trit::test::packT2G(values, scales, rows, cols, group);
  EXPECT_EQ(std::vector<uint8_t>(packed->begin(), packed->end()), expected);
  // A weight without group scales is not one T2G holds.
  w.groupSize = 0;
  auto refused = trit::packWeight(w, trit::WeightLayout::T2G64_X16, storage);
  ASSERT_FALSE(bool(refused));
  EXPECT_NE(llvm::toString(refused.takeError()).find("one scale per 64"),
            std::string::npos);
}

} // namespace
