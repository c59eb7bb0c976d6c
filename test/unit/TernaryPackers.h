//===- TernaryPackers.h - test-side packers of the ternary layouts -*- C++ -*-===//
//
// Written from the layouts' descriptions in kernels/include/trit/kernels.h,
// independently of the compiler's packers (compiler/lib/WeightPacking.cpp),
// so kernel tests check both.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TEST_UNIT_TERNARYPACKERS_H
#define TRIT_TEST_UNIT_TERNARYPACKERS_H

#include "trit/kernels.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace trit::test {

/// Packs ternary values (row-major rows x cols) into the I2_S layout.
inline std::vector<uint8_t> packI2S(const std::vector<int8_t> &t, int64_t rows,
                             int64_t cols) {
  std::vector<uint8_t> out(rows * cols / 4, 0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) {
      int64_t block = k / 128, within = k % 128;
      int64_t byte = r * cols / 4 + block * 32 + within % 32;
      int shift = 6 - 2 * int(within / 32);
      out[byte] |= uint8_t(t[r * cols + k] + 1) << shift;
    }
  return out;
}

/// Packs ternary values into the T3X5 layout, from its description in
/// kernels.h: 192-weight groups of 64 five-bit codes, paired (the second
/// group's indices in the high nibbles) but for an odd last one, then an
/// I2_S tail.
inline std::vector<uint8_t> packT3X5(const std::vector<int8_t> &t, int64_t rows,
                              int64_t cols) {
  int64_t stride = trit_t3x5_row_bytes(cols), groups = cols / 192,
          tail = cols % 192;
  std::vector<uint8_t> out(rows * stride, 0);
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t *row = t.data() + r * cols;
    uint8_t *w = out.data() + r * stride;
    for (int64_t g = 0; g < groups; ++g) {
      uint8_t *base = w + g / 2 * 80;
      bool paired = g < groups / 2 * 2;
      for (int j = 0; j < 64; ++j) {
        const int8_t *e = row + g * 192 + j;
        int v = 9 * (e[0] + 1) + 3 * (e[64] + 1) + (e[128] + 1);
        int code = v >= 13 ? v - 13 : 16 | (13 - v);
        if (paired) {
          base[j] |= uint8_t((code & 15) << (g % 2 ? 4 : 0));
          base[64 + 8 * (g % 2) + j / 8] |= uint8_t((code >> 4) << (j % 8));
        } else {
          base[j % 32] |= uint8_t((code & 15) << (j < 32 ? 0 : 4));
          base[32 + j / 8] |= uint8_t((code >> 4) << (j % 8));
        }
      }
    }
    for (int64_t k = 0; k < tail; ++k) {
      int64_t quarter = tail / 4;
      w[groups * 40 + k % quarter] |=
          uint8_t((row[groups * 192 + k] + 1) << (6 - 2 * (k / quarter)));
    }
  }
  return out;
}

/// Packs ternary values (rows a multiple of 64) into the T3X5 layout with
/// rows in lanes, from its description in kernels.h: superblocks of 64 rows
/// (their sign sums, then per pair of 12-column quads and block of 16 rows
/// 64 index bytes and 16 sign bytes), rows padded with zeros to whole pairs.
inline std::vector<uint8_t> packT3X5x64(const std::vector<int8_t> &t,
                                        int64_t rows, int64_t cols) {
  int64_t superblock = trit_t3x5x64_superblock_bytes(cols);
  int64_t quads = (cols + 23) / 24 * 2;
  std::vector<uint8_t> out(rows / 64 * superblock, 0);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t *base = out.data() + r / 64 * superblock;
    int32_t signSum = 0;
    for (int64_t quad = 0; quad < quads; ++quad)
      for (int64_t triple = 0; triple < 4; ++triple) {
        int digits[3];
        for (int d = 0; d < 3; ++d) {
          int64_t c = 12 * quad + 4 * d + triple;
          digits[d] = c < cols ? t[r * cols + c] + 1 : 1;
        }
        int v = 9 * digits[0] + 3 * digits[1] + digits[2];
        int code = v >= 13 ? v - 13 : 16 | (13 - v);
        signSum += code & 16 ? -1 : 1;
        int64_t lane = r % 16 * 4 + triple;
        uint8_t *x = base + 256 + (quad / 2 * 4 + r % 64 / 16) * 80;
        x[lane] |= uint8_t((code & 15) << (quad % 2 ? 4 : 0));
        x[64 + 8 * (quad % 2) + lane / 8] |=
            uint8_t((code >> 4) << (lane % 8));
      }
    std::memcpy(base + 4 * (r % 64), &signSum, 4);
  }
  return out;
}

/// Packs group-scaled ternary values (codes value + 1, values in -1..2) and
/// their f16 scales ([rows][cols / group]) into the T2G layout, from its
/// description in kernels.h: per 16-row superblock the scales (16 per
/// group, padded to 64 bytes), then per 16-column chunk 64 bytes whose byte
/// 4r + j holds in bits 2s + 1:2s the code of row r, column 16c + 4s + j.
inline std::vector<uint8_t> packT2G(const std::vector<int8_t> &t,
                                    const std::vector<uint16_t> &scales,
                                    int64_t rows, int64_t cols,
                                    int64_t group) {
  int64_t groups = cols / group;
  int64_t scaleBytes = (groups * 32 + 63) / 64 * 64;
  int64_t superblock = scaleBytes + cols * 4;
  std::vector<uint8_t> out((rows + 15) / 16 * superblock, 0);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t *sb = out.data() + r / 16 * superblock;
    for (int64_t g = 0; g < groups; ++g)
      std::memcpy(sb + g * 32 + r % 16 * 2, &scales[r * groups + g], 2);
    for (int64_t c = 0; c < cols; ++c)
      sb[scaleBytes + c / 16 * 64 + 4 * (r % 16) + c % 4] |=
          uint8_t(t[r * cols + c] + 1) << (2 * (c % 16 / 4));
  }
  return out;
}

} // namespace trit::test

#endif // TRIT_TEST_UNIT_TERNARYPACKERS_H
