//===- WeightPacking.cpp - a model's weights in the layouts kernels read --===//
//
// The reference packer of each layout of trit/layouts.h. The byte orders
// are defined in kernels/include/trit/kernels.h (the ternary layouts) and
// trit/layouts.h (the LM head's copies); the sizes come from
// trit_weight_layout_bytes. Packers read the model's values through the
// neutral description (decodeTernary, loadFloatElement).
//
//===----------------------------------------------------------------------===//

#include "WeightPacking.h"

#include "trit/Frontends/Model.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace llvm;

namespace trit {

namespace {

size_t getElementCount(const Weight &weight) {
  size_t count = 1;
  for (int64_t dim : weight.shape)
    count *= size_t(dim);
  return count;
}

size_t getBytes(WeightLayout layout, size_t rows, size_t cols) {
  return size_t(getWeightLayoutInfo(layout).getBytes(rows, cols));
}

/// Packs `count` ternary values (a multiple of 128) as I2_S into `out`
/// (count / 4 zeroed bytes): 128-weight blocks of 32 bytes; byte j holds
/// elements j, j+32, j+64, j+96 of the block in bits 7:6, 5:4, 3:2, 1:0, as
/// codes t + 1.
void packI2SValues(const int8_t *values, size_t count, uint8_t *out) {
  for (size_t block = 0; block < count / 128; ++block)
    for (size_t j = 0; j < 32; ++j) {
      const int8_t *t = values + block * 128 + j;
      out[block * 32 + j] = uint8_t((t[0] + 1) << 6 | (t[32] + 1) << 4 |
                                    (t[64] + 1) << 2 | (t[96] + 1));
    }
}

/// Packs a [rows][cols] ternary matrix (cols a multiple of 64) as T3X5 into
/// `out` (zeroed, rows * trit_t3x5_row_bytes(cols) bytes). As
/// kernels/include/trit/kernels.h defines it: per row, 192-weight groups of
/// 64 five-bit codes in pairs (one nibble of each byte per group, then 8
/// bytes of signs per group), an unpaired last group (32 bytes of index
/// nibbles, 8 of signs), then the last cols % 192 weights as an I2_S block
/// of that size.
void packT3X5Values(const int8_t *values, size_t rows, size_t cols,
                    uint8_t *storage) {
  size_t groups = cols / 192, quarter = cols % 192 / 4;
  size_t stride = trit_t3x5_row_bytes(cols);
  for (size_t r = 0; r < rows; ++r) {
    const int8_t *row = values + r * cols;
    uint8_t *out = storage + r * stride;
    for (size_t g = 0; g < groups; ++g) {
      uint8_t *base = out + g / 2 * 80;
      bool paired = g < groups / 2 * 2;
      const int8_t *t = row + g * 192;
      for (size_t j = 0; j < 64; ++j) {
        int v = 9 * (t[j] + 1) + 3 * (t[64 + j] + 1) + (t[128 + j] + 1);
        unsigned code = v >= 13 ? unsigned(v - 13) : 16u | unsigned(13 - v);
        if (paired) {
          base[j] |= uint8_t((code & 15) << (g % 2 ? 4 : 0));
          base[64 + 8 * (g % 2) + j / 8] |= uint8_t((code >> 4) << (j % 8));
        } else {
          base[j % 32] |= uint8_t((code & 15) << (j < 32 ? 0 : 4));
          base[32 + j / 8] |= uint8_t((code >> 4) << (j % 8));
        }
      }
    }
    const int8_t *t = row + groups * 192;
    for (size_t j = 0; j < quarter; ++j)
      out[groups * 40 + j] =
          uint8_t((t[j] + 1) << 6 | (t[quarter + j] + 1) << 4 |
                  (t[2 * quarter + j] + 1) << 2 | (t[3 * quarter + j] + 1));
  }
}

/// Packs a [rows][cols] ternary matrix (rows a multiple of 64) as T3X5 with
/// rows in lanes into `out` (zeroed, rows / 64 superblocks). As
/// kernels/include/trit/kernels.h defines it: triple t of the 12-column
/// quad Q is columns 12Q + t, + 4, + 8 (zeros past the row, to whole pairs
/// of quads); per superblock of 64 rows their sign sums, then per pair of
/// quads and block of 16 rows the codes' index nibbles (byte 4r + t, the
/// pair's second quad in the high nibble) and sign bits.
void packT3X5x64Values(const int8_t *values, size_t rows, size_t cols,
                       uint8_t *storage) {
  size_t superblock = trit_t3x5x64_superblock_bytes(cols);
  size_t quads = (cols + 23) / 24 * 2;
  for (size_t r = 0; r < rows; ++r) {
    uint8_t *base = storage + r / 64 * superblock;
    size_t lane = r % 16 * 4, block = r % 64 / 16;
    int32_t signSum = 0;
    for (size_t quad = 0; quad < quads; ++quad) {
      uint8_t *codes = base + 256 + (quad / 2 * 4 + block) * 80;
      for (size_t t = 0; t < 4; ++t) {
        int v = 0;
        for (size_t d = 0; d < 3; ++d) {
          size_t c = 12 * quad + 4 * d + t;
          v = 3 * v + (c < cols ? values[r * cols + c] + 1 : 1);
        }
        unsigned code = v >= 13 ? unsigned(v - 13) : 16u | unsigned(13 - v);
        signSum += code & 16 ? -1 : 1;
        codes[lane + t] |= uint8_t((code & 15) << (quad % 2 ? 4 : 0));
        codes[64 + 8 * (quad % 2) + (lane + t) / 8] |=
            uint8_t((code >> 4) << ((lane + t) % 8));
      }
    }
    std::memcpy(base + 4 * (r % 64), &signSum, sizeof signSum);
  }
}

/// Ternarizes one float row for a reranking head's estimate: w ~ scale * t
/// with t = sign(w) where |w| > threshold, else 0. Of a few thresholds
/// around the Gaussian optimum (0.5-1.2 x mean |w|) it takes the one with
/// the least squared error, and the least-squares scale for it (the mean
/// |w| of the kept weights). Returns the scale.
float ternarizeRow(const float *row, size_t cols, int8_t *out) {
  constexpr int steps = 8; // thresholds (0.5 + 0.1 i) x mean |w|
  double mean = 0;
  for (size_t k = 0; k < cols; ++k)
    mean += std::fabs(row[k]);
  mean /= double(cols);
  if (!(mean > 0)) {
    std::memset(out, 0, cols);
    return 0;
  }
  // Weights above threshold i are those in buckets >= i.
  double sum[steps + 1] = {0};
  size_t count[steps + 1] = {0};
  for (size_t k = 0; k < cols; ++k) {
    double f = (std::fabs(row[k]) / mean - 0.5) * 10.0 + 1.0;
    int bucket = f >= steps + 1 ? steps : f > 0 ? int(f) : 0;
    sum[bucket] += std::fabs(row[k]);
    count[bucket] += 1;
  }
  // Error for threshold i: ||w||^2 - (sum of kept |w|)^2 / kept, so the
  // best threshold has the largest (kept sum)^2 / kept.
  double keptSum = 0, best = -1, threshold = 0, scale = 0;
  size_t kept = 0;
  for (int i = steps; i >= 1; --i) {
    keptSum += sum[i];
    kept += count[i];
    if (kept && keptSum * keptSum / double(kept) >= best) {
      best = keptSum * keptSum / double(kept);
      threshold = (0.5 + 0.1 * (i - 1)) * mean;
      scale = keptSum / double(kept);
    }
  }
  for (size_t k = 0; k < cols; ++k)
    out[k] = std::fabs(row[k]) > threshold ? (row[k] > 0 ? 1 : -1) : 0;
  return float(scale);
}

/// IEEE binary16, round to nearest even (overflow to infinity).
uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, abs = x & 0x7fffffff;
  if (abs >= 0x7f800000) // inf or nan
    return sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 : 0);
  if (abs >= 0x477ff000) // rounds to 65520 or more
    return sign | 0x7c00;
  if (abs < 0x38800000) { // subnormal or zero in f16
    if (abs < 0x33000000)
      return sign;
    uint32_t mant = (abs & 0x7fffff) | 0x800000, shift = 126 - (abs >> 23);
    uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1),
             mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1)))
      ++half;
    return sign | half;
  }
  uint32_t base = abs - 0x38000000, half = base >> 13, rem = base & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
    ++half;
  return sign | half;
}

/// The header of a ternary-rows block (its scales and error statistics,
/// see the check in kernels/src/ops_template.h) as it is filled row by
/// row: [rows] scale, [rows] a = |d| / sqrt(cols), [rows] b = |estimate
/// row| / sqrt(cols), then [cols] c, each column's mean share of the rows'
/// residual energy (d = w - estimate row).
struct TernaryRowsHeader {
  float *values;
  size_t rows, cols;
  std::vector<double> columnEnergy;
  size_t rowsWithResidual = 0;

  TernaryRowsHeader(uint8_t *at, size_t rows, size_t cols)
      : values(reinterpret_cast<float *>(at)), rows(rows), cols(cols),
        columnEnergy(cols, 0.0) {}

  void addRow(size_t r, float scale, const double *residual,
              double estimateEnergy) {
    double energy = 0;
    for (size_t k = 0; k < cols; ++k)
      energy += residual[k] * residual[k];
    values[r] = scale;
    values[rows + r] = float(std::sqrt(energy / double(cols)));
    values[2 * rows + r] = float(std::sqrt(estimateEnergy / double(cols)));
    if (energy > 0) {
      ++rowsWithResidual;
      for (size_t k = 0; k < cols; ++k)
        columnEnergy[k] += residual[k] * residual[k] * double(cols) / energy;
    }
  }

  void finish() {
    for (size_t k = 0; k < cols; ++k)
      values[3 * rows + k] =
          rowsWithResidual ? float(columnEnergy[k] / double(rowsWithResidual))
                           : 1.0f;
  }
};

/// A reranking head's estimate (ternary_rows_<packing>): [rows] f32
/// scales and the estimate's error statistics (TernaryRowsHeader),
/// 64-byte aligned, then each row ternarized (ternarizeRow) and packed as
/// I2_S, T3X5 or T3X5 with rows in lanes (the rows padded with zeros to
/// superblocks of 64); then, 64-byte aligned, the residual block: what
/// the ternary rows leave out ternarized again, with a header of its own
/// and row-major T3X5 codes, which the check reads for the rows the first
/// estimate cannot rule out.
Expected<ArrayRef<uint8_t>> packTernaryRows(const Weight &weight,
                                            WeightLayout layout,
                                            std::vector<uint8_t> &storage) {
  bool lanes = layout == WeightLayout::TERNARY_ROWS_T3X5_X64;
  bool t3x5 = lanes || layout == WeightLayout::TERNARY_ROWS_T3X5;
  int64_t multiple = getWeightLayoutInfo(layout).getColumnMultiple();
  if (weight.shape.size() != 2 || weight.shape[1] % multiple != 0)
    return fileError(weight.sourceFile,
                     weight.sourceKey + " is not a matrix of rows that are "
                                        "a multiple of " +
                         Twine(multiple) + " wide; " +
                         stringifyWeightLayout(layout) + " needs one");
  size_t rows = weight.shape[0], cols = weight.shape[1];
  size_t rowBytes = t3x5 ? trit_t3x5_row_bytes(cols) : cols / 4;
  size_t codesAt = trit_ternary_rows_codes_offset(rows, cols);
  size_t residualAt = trit_ternary_rows_residual_offset(
      static_cast<trit_weight_layout>(layout), rows, cols);
  size_t residualCodesAt = residualAt + codesAt;
  size_t superblocks = (rows + 63) / 64;
  storage.assign(getBytes(layout, rows, cols), 0);
  TernaryRowsHeader first(storage.data(), rows, cols);
  TernaryRowsHeader second(storage.data() + residualAt, rows, cols);
  std::vector<float> row(cols), residual(cols);
  std::vector<double> d(cols);
  std::vector<int8_t> ternary(lanes ? superblocks * 64 * cols : cols);
  std::vector<int8_t> ternary2(cols);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t k = 0; k < cols; ++k)
      row[k] = loadFloatElement(weight, r * cols + k);
    int8_t *t = ternary.data() + (lanes ? r * cols : 0);
    float scale = ternarizeRow(row.data(), cols, t);
    size_t nonzeros = 0;
    for (size_t k = 0; k < cols; ++k) {
      d[k] = double(row[k]) - double(scale) * t[k];
      residual[k] = float(d[k]);
      nonzeros += t[k] != 0;
    }
    first.addRow(r, scale, d.data(),
                 double(scale) * scale * double(nonzeros));
    // The residual, ternarized again; its estimate row is scale t +
    // scale2 t2.
    float scale2 = ternarizeRow(residual.data(), cols, ternary2.data());
    double estimateEnergy = 0;
    for (size_t k = 0; k < cols; ++k) {
      double e = double(scale) * t[k] + double(scale2) * ternary2[k];
      d[k] = double(row[k]) - e;
      estimateEnergy += e * e;
    }
    second.addRow(r, scale2, d.data(), estimateEnergy);
    packT3X5Values(ternary2.data(), 1, cols,
                   storage.data() + residualCodesAt +
                       r * trit_t3x5_row_bytes(cols));
    uint8_t *codes = storage.data() + codesAt + r * rowBytes;
    if (lanes)
      continue;
    if (t3x5)
      packT3X5Values(t, 1, cols, codes);
    else
      packI2SValues(t, cols, codes);
  }
  first.finish();
  second.finish();
  if (lanes)
    packT3X5x64Values(ternary.data(), superblocks * 64, cols,
                      storage.data() + codesAt);
  return ArrayRef<uint8_t>(storage);
}

} // namespace

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::F32>(const Weight &weight, std::vector<uint8_t> &storage) {
  if (weight.encoding == WeightEncoding::F32)
    return weight.data;
  size_t count = getElementCount(weight);
  storage.resize(count * sizeof(float));
  for (size_t i = 0; i < count; ++i) {
    float v = loadFloatElement(weight, i);
    std::memcpy(storage.data() + i * sizeof(float), &v, sizeof(float));
  }
  return ArrayRef<uint8_t>(storage);
}

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::F16>(const Weight &weight, std::vector<uint8_t> &storage) {
  if (weight.encoding == WeightEncoding::F16)
    return weight.data;
  // Round to nearest even, as a converter to f16 GGUF does.
  size_t count = getElementCount(weight);
  storage.resize(count * sizeof(uint16_t));
  for (size_t i = 0; i < count; ++i) {
    uint16_t h = floatToHalf(loadFloatElement(weight, i));
    std::memcpy(storage.data() + i * sizeof(uint16_t), &h, sizeof(h));
  }
  return ArrayRef<uint8_t>(storage);
}

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::I2_S>(const Weight &w, std::vector<uint8_t> &storage) {
  if (!w.ternary || w.shape.size() != 2 || w.shape[1] % 128 != 0)
    return fileError(w.sourceFile, "tensor '" + w.sourceKey +
                                       "' is not a ternary matrix with rows "
                                       "of a multiple of 128 weights");
  if (w.encoding == WeightEncoding::I2_S)
    return w.data;
  Expected<std::vector<int8_t>> values = decodeTernary(w);
  if (!values)
    return values.takeError();
  storage.assign(getBytes(WeightLayout::I2_S, w.shape[0], w.shape[1]), 0);
  packI2SValues(values->data(), values->size(), storage.data());
  return ArrayRef<uint8_t>(storage);
}

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::T3X5>(const Weight &w, std::vector<uint8_t> &storage) {
  if (!w.ternary || w.shape.size() != 2 || w.shape[1] % 64 != 0)
    return fileError(w.sourceFile, "tensor '" + w.sourceKey +
                                       "' is not a ternary matrix with rows "
                                       "of a multiple of 64 weights");
  Expected<std::vector<int8_t>> values = decodeTernary(w);
  if (!values)
    return values.takeError();
  size_t rows = w.shape[0], cols = w.shape[1];
  storage.assign(getBytes(WeightLayout::T3X5, rows, cols), 0);
  packT3X5Values(values->data(), rows, cols, storage.data());
  return ArrayRef<uint8_t>(storage);
}

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::T3X5_X64>(const Weight &w, std::vector<uint8_t> &storage) {
  if (!w.ternary || w.shape.size() != 2 || w.shape[0] % 64 != 0 ||
      w.shape[1] % 64 != 0)
    return fileError(w.sourceFile, "tensor '" + w.sourceKey +
                                       "' is not a ternary matrix of a "
                                       "multiple of 64 rows of a multiple of "
                                       "64 weights");
  Expected<std::vector<int8_t>> values = decodeTernary(w);
  if (!values)
    return values.takeError();
  size_t rows = w.shape[0], cols = w.shape[1];
  storage.assign(getBytes(WeightLayout::T3X5_X64, rows, cols), 0);
  packT3X5x64Values(values->data(), rows, cols, storage.data());
  return ArrayRef<uint8_t>(storage);
}

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::Q8_ROWS>(const Weight &weight,
                              std::vector<uint8_t> &storage) {
  // The compact LM head: [rows] f32 scales (absmax / 127), 64-byte
  // aligned, then [rows][cols] int8 codes rounded to nearest even.
  if (weight.shape.size() != 2)
    return fileError(weight.sourceFile,
                     weight.sourceKey + " is not a matrix; q8_rows needs one");
  size_t rows = weight.shape[0], cols = weight.shape[1];
  size_t codesAt = trit_head_copy_codes_offset(rows);
  storage.assign(getBytes(WeightLayout::Q8_ROWS, rows, cols), 0);
  std::vector<float> row(cols);
  for (size_t r = 0; r < rows; ++r) {
    float max = 0;
    for (size_t k = 0; k < cols; ++k) {
      row[k] = loadFloatElement(weight, r * cols + k);
      max = std::max(max, std::fabs(row[k]));
    }
    float scale = max / 127.0f;
    std::memcpy(storage.data() + r * 4, &scale, 4);
    for (size_t k = 0; k < cols; ++k) {
      float q = scale > 0 ? std::nearbyint(row[k] / scale) : 0.0f;
      storage[codesAt + r * cols + k] =
          uint8_t(int8_t(std::max(-127.0f, std::min(127.0f, q))));
    }
  }
  return ArrayRef<uint8_t>(storage);
}

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::Q4_BLOCKS>(const Weight &weight,
                                std::vector<uint8_t> &storage) {
  // The 4-bit LM head: [rows][cols / 128] f32 block scales (absmax / 7),
  // 64-byte aligned, then per row and 128-element block 64 bytes whose
  // byte j holds element j (low nibble) and 64 + j (high nibble) as
  // code + 8, codes rounded to nearest even in [-7, 7].
  if (weight.shape.size() != 2 || weight.shape[1] % 128 != 0)
    return fileError(weight.sourceFile,
                     weight.sourceKey + " is not a matrix of rows that are "
                                        "a multiple of 128 wide; q4_blocks "
                                        "needs one");
  size_t rows = weight.shape[0], cols = weight.shape[1], blocks = cols / 128;
  size_t codesAt = trit_head_copy_codes_offset(rows * blocks);
  storage.assign(getBytes(WeightLayout::Q4_BLOCKS, rows, cols), 0);
  float values[128];
  for (size_t r = 0; r < rows; ++r)
    for (size_t b = 0; b < blocks; ++b) {
      float max = 0;
      for (size_t k = 0; k < 128; ++k) {
        values[k] = loadFloatElement(weight, r * cols + b * 128 + k);
        max = std::max(max, std::fabs(values[k]));
      }
      float scale = max / 7.0f;
      std::memcpy(storage.data() + (r * blocks + b) * 4, &scale, 4);
      uint8_t *codes = storage.data() + codesAt + r * cols / 2 + b * 64;
      for (size_t k = 0; k < 128; ++k) {
        float q = scale > 0 ? std::nearbyint(values[k] / scale) : 0.0f;
        int code = int(std::max(-7.0f, std::min(7.0f, q))) + 8;
        codes[k % 64] |= uint8_t(code << (k < 64 ? 0 : 4));
      }
    }
  return ArrayRef<uint8_t>(storage);
}

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::TERNARY_ROWS_I2_S>(const Weight &weight,
                                        std::vector<uint8_t> &storage) {
  return packTernaryRows(weight, WeightLayout::TERNARY_ROWS_I2_S, storage);
}

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::TERNARY_ROWS_T3X5>(const Weight &weight,
                                        std::vector<uint8_t> &storage) {
  return packTernaryRows(weight, WeightLayout::TERNARY_ROWS_T3X5, storage);
}

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::TERNARY_ROWS_T3X5_X64>(const Weight &weight,
                                            std::vector<uint8_t> &storage) {
  return packTernaryRows(weight, WeightLayout::TERNARY_ROWS_T3X5_X64, storage);
}

/// A group-scaled ternary weight (Ternary Bonsai) in T2G (kernels.h): its
/// codes with 16 rows in lanes, each superblock's f16 group scales first.
static Expected<ArrayRef<uint8_t>> packT2G(const Weight &w, int64_t group,
                                           WeightLayout layout,
                                           std::vector<uint8_t> &storage) {
  if (!w.ternary || w.groupSize != group || w.shape.size() != 2 ||
      w.shape[1] % group != 0)
    return fileError(w.sourceFile,
                     "tensor '" + w.sourceKey +
                         "' is not a ternary matrix with one scale per " +
                         Twine(group) + " weights; " +
                         stringifyWeightLayout(layout) + " holds only those");
  Expected<std::vector<int8_t>> values = decodeTernary(w);
  if (!values)
    return values.takeError();
  Expected<std::vector<uint16_t>> scales = decodeGroupScales(w);
  if (!scales)
    return scales.takeError();
  int64_t rows = w.shape[0], cols = w.shape[1], groups = cols / group;
  int64_t superblock = trit_t2g_superblock_bytes(cols, group);
  int64_t codesAt = superblock - cols * 4;
  storage.assign(getBytes(layout, rows, cols), 0);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t *sb = storage.data() + r / 16 * superblock;
    for (int64_t g = 0; g < groups; ++g) {
      uint16_t d = (*scales)[r * groups + g];
      sb[g * 32 + r % 16 * 2] = uint8_t(d);
      sb[g * 32 + r % 16 * 2 + 1] = uint8_t(d >> 8);
    }
    const int8_t *row = values->data() + r * cols;
    for (int64_t c = 0; c < cols; ++c)
      sb[codesAt + c / 16 * 64 + 4 * (r % 16) + c % 4] |=
          uint8_t((row[c] + 1) & 3) << (2 * (c % 16 / 4));
  }
  return ArrayRef<uint8_t>(storage);
}

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::T2G64_X16>(const Weight &weight,
                                std::vector<uint8_t> &storage) {
  return packT2G(weight, 64, WeightLayout::T2G64_X16, storage);
}

template <>
Expected<ArrayRef<uint8_t>>
packAs<WeightLayout::T2G128_X16>(const Weight &weight,
                                 std::vector<uint8_t> &storage) {
  return packT2G(weight, 128, WeightLayout::T2G128_X16, storage);
}

} // namespace trit
