//===- Model.cpp - model description, validation, ternary decoding --------===//

#include "trit/Frontends/Model.h"
#include "ModelInternal.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace llvm;

namespace trit {

StringRef getWeightEncodingName(WeightEncoding encoding) {
  switch (encoding) {
  case WeightEncoding::F32: return "F32";
  case WeightEncoding::F16: return "F16";
  case WeightEncoding::BF16: return "BF16";
  case WeightEncoding::I2_S: return "I2_S";
  case WeightEncoding::TQ2_0: return "TQ2_0";
  case WeightEncoding::TQ1_0: return "TQ1_0";
  case WeightEncoding::HFPacked: return "packed uint8";
  }
  return "?";
}

const Weight *Model::lookup(StringRef name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &weights[it->second];
}

const Weight *Model::lookupExternal(StringRef sourceFile,
                                    StringRef sourceKey) const {
  auto it = externalIndex.find((sourceFile + Twine('\0') + sourceKey).str());
  return it == externalIndex.end() ? nullptr : &weights[it->second];
}

Error validateConfig(const ModelConfig &c, StringRef source) {
  auto positive = [&](int64_t value, StringRef what) -> Error {
    if (value > 0)
      return Error::success();
    return fileError(source, what + " must be positive, got " + Twine(value));
  };
  for (auto [value, what] :
       {std::pair<int64_t, StringRef>{c.vocabSize, "the vocabulary size"},
        {c.contextLength, "the context length"},
        {c.hiddenSize, "the hidden size"},
        {c.ffnSize, "the feed-forward size"},
        {c.layers, "the layer count"},
        {c.heads, "the head count"},
        {c.kvHeads, "the KV head count"},
        {c.headDim, "the head dimension"}})
    if (Error e = positive(value, what))
      return e;
  if (c.heads % c.kvHeads != 0)
    return fileError(source, Twine(c.heads) + " attention heads do not divide "
                                              "into " +
                                 Twine(c.kvHeads) + " KV heads");
  if (c.headDim % 2 != 0)
    return fileError(source, "the head dimension " + Twine(c.headDim) +
                                 " is odd; RoPE rotates pairs");
  if (!std::isfinite(c.ropeTheta) || !(c.ropeTheta > 0) ||
      !std::isfinite(c.normEps) || !(c.normEps > 0))
    return fileError(source, "rope theta and the norm epsilon must be "
                             "finite and positive");
  // Sizes far beyond any real model are a damaged file, not a model.
  if (c.layers > 1024 || c.hiddenSize > (1 << 20) || c.ffnSize > (1 << 22) ||
      c.vocabSize > (1 << 20) || c.heads > 4096)
    return fileError(source, "hyperparameters out of any plausible range");
  return Error::success();
}

/// The tensors every model of `config` has, with their torch-order shapes.
static std::vector<std::pair<std::string, std::vector<int64_t>>>
getRequiredTensors(const ModelConfig &c) {
  int64_t q = c.heads * c.headDim, kv = c.kvHeads * c.headDim;
  std::vector<std::pair<std::string, std::vector<int64_t>>> required = {
      {"token_embd.weight", {c.vocabSize, c.hiddenSize}},
      {"output_norm.weight", {c.hiddenSize}}};
  if (!c.tiedEmbedding)
    required.push_back({"output.weight", {c.vocabSize, c.hiddenSize}});
  for (int64_t i = 0; i < c.layers; ++i) {
    std::string p = "blk." + std::to_string(i) + ".";
    required.push_back({p + "attn_norm.weight", {c.hiddenSize}});
    required.push_back({p + "attn_q.weight", {q, c.hiddenSize}});
    required.push_back({p + "attn_k.weight", {kv, c.hiddenSize}});
    required.push_back({p + "attn_v.weight", {kv, c.hiddenSize}});
    required.push_back({p + "attn_output.weight", {c.hiddenSize, q}});
    required.push_back({p + "ffn_norm.weight", {c.hiddenSize}});
    required.push_back({p + "ffn_gate.weight", {c.ffnSize, c.hiddenSize}});
    required.push_back({p + "ffn_up.weight", {c.ffnSize, c.hiddenSize}});
    required.push_back({p + "ffn_down.weight", {c.hiddenSize, c.ffnSize}});
    if (c.subNorms) {
      required.push_back({p + "attn_sub_norm.weight", {q}});
      required.push_back({p + "ffn_sub_norm.weight", {c.ffnSize}});
    }
  }
  return required;
}

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Error Model::finalize(StringRef sourcePath) {
  if (Error e = validateConfig(config, sourcePath))
    return e;
  index.clear();
  externalIndex.clear();
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!index.try_emplace(weights[i].name, i).second)
      return fileError(sourcePath,
                       "tensor '" + weights[i].name + "' appears twice");
    externalIndex[(weights[i].sourceFile + Twine('\0') + weights[i].sourceKey)
                      .str()] = i;
  }
  for (const Weight &w : weights)
    if (w.ternary && !w.blockScales &&
        !(std::isfinite(w.scale) && w.scale >= 0))
      return fileError(w.sourceFile, "tensor '" + w.sourceKey +
                                         "' has the invalid scale " +
                                         std::to_string(w.scale));
  auto required = getRequiredTensors(config);
  StringMap<bool> known;
  for (auto &[name, shape] : required) {
    known[name] = true;
    const Weight *w = lookup(name);
    if (!w)
      return fileError(sourcePath, "missing tensor '" + name + "' of the " +
                                       config.architecture + " architecture");
    if (w->shape != shape)
      return fileError(sourcePath,
                       "tensor '" + name + "' (" + w->sourceKey +
                           ") has shape " + formatShape(w->shape) +
                           " but the hyperparameters need " +
                           formatShape(shape));
  }
  for (const Weight &w : weights)
    if (!known.count(w.name))
      return fileError(sourcePath, "tensor '" + w.sourceKey +
                                       "' is not part of a " +
                                       config.architecture + " model");
  if (tokenizer.tokens.empty())
    return fileError(sourcePath, "the model has no tokenizer vocabulary");
  if (int64_t(tokenizer.tokens.size()) > config.vocabSize)
    return fileError(sourcePath, "the tokenizer has " +
                                     Twine(tokenizer.tokens.size()) +
                                     " tokens but the vocabulary size is " +
                                     Twine(config.vocabSize));
  for (auto [id, what] : {std::pair<int64_t, StringRef>{tokenizer.bosId, "BOS"},
                          {tokenizer.eosId, "EOS"},
                          {tokenizer.eotId, "EOT"}})
    if (id < -1 || id >= int64_t(tokenizer.tokens.size()))
      return fileError(sourcePath, "the " + what + " token id " + Twine(id) +
                                       " is outside the vocabulary of " +
                                       Twine(tokenizer.tokens.size()));
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Ternary decoding
//===----------------------------------------------------------------------===//

static float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h >> 15) << 31;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else { // subnormal: renormalize
    int shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | ((113 - shift) << 23) | ((mantissa & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

static float bf16ToFloat(uint16_t b) {
  uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float loadFloatElement(const Weight &w, size_t i) {
  const uint8_t *p = w.data.data();
  switch (w.encoding) {
  case WeightEncoding::F32: {
    uint32_t bits = support::endian::read32le(p + 4 * i);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  case WeightEncoding::F16:
    return halfToFloat(support::endian::read16le(p + 2 * i));
  case WeightEncoding::BF16:
    return bf16ToFloat(support::endian::read16le(p + 2 * i));
  default:
    return 0;
  }
}

float decodeHalf(uint16_t bits) { return halfToFloat(bits); }
float decodeBFloat16(uint16_t bits) { return bf16ToFloat(bits); }

Expected<std::vector<int8_t>> decodeTernary(const Weight &w) {
  if (!w.ternary || w.shape.size() != 2)
    return fileError(w.sourceFile, "tensor '" + w.sourceKey +
                                       "' is not a ternary matrix");
  int64_t rows = w.shape[0], cols = w.shape[1];
  size_t n = size_t(rows) * size_t(cols);
  // Importers size data from the shape; check anyway before reading it.
  size_t needed = 0;
  switch (w.encoding) {
  case WeightEncoding::I2_S:
  case WeightEncoding::HFPacked:
    needed = n / 4;
    break;
  case WeightEncoding::TQ2_0:
    needed = n / 256 * 66;
    break;
  case WeightEncoding::TQ1_0:
    needed = n / 256 * 54;
    break;
  case WeightEncoding::F32:
    needed = n * 4;
    break;
  case WeightEncoding::F16:
  case WeightEncoding::BF16:
    needed = n * 2;
    break;
  }
  if (w.data.size() < needed)
    return fileError(w.sourceFile, "tensor '" + w.sourceKey + "' holds " +
                                       Twine(w.data.size()) +
                                       " bytes; its shape needs " +
                                       Twine(needed));
  std::vector<int8_t> out(n);
  auto badCode = [&](size_t element) {
    return fileError(w.sourceFile, "tensor '" + w.sourceKey +
                                       "' holds the invalid code 3 at "
                                       "element " +
                                       Twine(element));
  };
  const uint8_t *p = w.data.data();
  switch (w.encoding) {
  case WeightEncoding::I2_S:
    for (size_t block = 0; block < n / 128; ++block)
      for (size_t j = 0; j < 32; ++j) {
        uint8_t byte = p[block * 32 + j];
        for (size_t l = 0; l < 4; ++l) {
          uint8_t code = (byte >> (6 - 2 * l)) & 3;
          size_t element = block * 128 + l * 32 + j;
          if (code == 3)
            return badCode(element);
          out[element] = int8_t(code) - 1;
        }
      }
    return out;
  case WeightEncoding::TQ2_0:
    for (size_t block = 0; block < n / 256; ++block) {
      const uint8_t *qs = p + block * 66;
      for (size_t half = 0; half < 2; ++half)
        for (size_t l = 0; l < 4; ++l)
          for (size_t m = 0; m < 32; ++m) {
            uint8_t code = (qs[half * 32 + m] >> (2 * l)) & 3;
            size_t element = block * 256 + half * 128 + l * 32 + m;
            if (code == 3)
              return badCode(element);
            out[element] = int8_t(code) - 1;
          }
    }
    return out;
  case WeightEncoding::TQ1_0: {
    static constexpr uint8_t pow3[5] = {1, 3, 9, 27, 81};
    auto digit = [](uint8_t q, size_t n) {
      return int8_t((uint16_t(uint8_t(q * pow3[n])) * 3) >> 8) - 1;
    };
    for (size_t block = 0; block < n / 256; ++block) {
      const uint8_t *qs = p + block * 54, *qh = qs + 48;
      int8_t *y = out.data() + block * 256;
      for (size_t d = 0; d < 5; ++d)
        for (size_t m = 0; m < 32; ++m)
          *y++ = digit(qs[m], d);
      for (size_t d = 0; d < 5; ++d)
        for (size_t m = 0; m < 16; ++m)
          *y++ = digit(qs[32 + m], d);
      for (size_t d = 0; d < 4; ++d)
        for (size_t m = 0; m < 4; ++m)
          *y++ = digit(qh[m], d);
    }
    return out;
  }
  case WeightEncoding::HFPacked: {
    int64_t packedRows = rows / 4;
    for (int64_t k = 0; k < 4; ++k)
      for (int64_t r = 0; r < packedRows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          uint8_t code = (p[r * cols + c] >> (2 * k)) & 3;
          size_t element = size_t((k * packedRows + r) * cols + c);
          if (code == 3)
            return badCode(element);
          out[element] = int8_t(code) - 1;
        }
    return out;
  }
  case WeightEncoding::F32:
  case WeightEncoding::F16:
  case WeightEncoding::BF16:
    for (size_t i = 0; i < n; ++i) {
      float v = loadFloatElement(w, i);
      if (w.master) {
        // Absmean ternarization: round(w / scale) with round-half-even.
        float t = std::nearbyint(v * (1.0f / w.scale));
        out[i] = int8_t(std::fmax(-1.0f, std::fmin(1.0f, t)));
      } else {
        // bitnet.cpp's I2_S quantizer: the sign, zero below 1e-6.
        out[i] = std::fabs(v) < 1e-6f ? 0 : (v > 0 ? 1 : -1);
      }
    }
    return out;
  }
  return fileError(w.sourceFile, "unknown encoding");
}

/// Bytes of one T3X5 row of `cols` weights (trit_t3x5_row_bytes).
static size_t getT3X5RowBytes(size_t cols) {
  return cols / 192 * 40 + cols % 192 / 4;
}

/// Packs `count` ternary values (a multiple of 128) as I2_S into `out`
/// (count / 4 zeroed bytes): 128-weight blocks of 32 bytes; byte j holds
/// elements j, j+32, j+64, j+96 of the block in bits 7:6, 5:4, 3:2, 1:0, as
/// codes t + 1.
static void packI2S(const int8_t *values, size_t count, uint8_t *out) {
  for (size_t block = 0; block < count / 128; ++block)
    for (size_t j = 0; j < 32; ++j) {
      const int8_t *t = values + block * 128 + j;
      out[block * 32 + j] = uint8_t((t[0] + 1) << 6 | (t[32] + 1) << 4 |
                                    (t[64] + 1) << 2 | (t[96] + 1));
    }
}

/// Packs a [rows][cols] ternary matrix (cols a multiple of 64) as T3X5 into
/// `out` (zeroed, rows * getT3X5RowBytes(cols) bytes). As
/// kernels/include/trit/kernels.h defines it: per row, 192-weight groups of
/// 64 five-bit codes in pairs (one nibble of each byte per group, then 8
/// bytes of signs per group), an unpaired last group (32 bytes of index
/// nibbles, 8 of signs), then the last cols % 192 weights as an I2_S block
/// of that size.
static void packT3X5(const int8_t *values, size_t rows, size_t cols,
                     uint8_t *storage) {
  size_t groups = cols / 192, quarter = cols % 192 / 4;
  size_t stride = getT3X5RowBytes(cols);
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

/// Bytes of a T3X5 superblock of 64 rows in lanes
/// (trit_t3x5x64_superblock_bytes).
static size_t getT3X5x64SuperblockBytes(size_t cols) {
  return 256 + (cols + 23) / 24 * 320;
}

/// Packs a [rows][cols] ternary matrix (rows a multiple of 64) as T3X5 with
/// rows in lanes into `out` (zeroed, rows / 64 superblocks). As
/// kernels/include/trit/kernels.h defines it: triple t of the 12-column
/// quad Q is columns 12Q + t, + 4, + 8 (zeros past the row, to whole pairs
/// of quads); per superblock of 64 rows their sign sums, then per pair of
/// quads and block of 16 rows the codes' index nibbles (byte 4r + t, the
/// pair's second quad in the high nibble) and sign bits.
static void packT3X5x64(const int8_t *values, size_t rows, size_t cols,
                        uint8_t *storage) {
  size_t superblock = getT3X5x64SuperblockBytes(cols);
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
static float ternarizeRow(const float *row, size_t cols, int8_t *out) {
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

Expected<ArrayRef<uint8_t>> getI2SBytes(const Weight &w,
                                        std::vector<uint8_t> &storage) {
  if (!w.ternary || w.shape.size() != 2 || w.shape[1] % 128 != 0)
    return fileError(w.sourceFile, "tensor '" + w.sourceKey +
                                       "' is not a ternary matrix with rows "
                                       "of a multiple of 128 weights");
  if (w.encoding == WeightEncoding::I2_S)
    return w.data;
  Expected<std::vector<int8_t>> values = decodeTernary(w);
  if (!values)
    return values.takeError();
  storage.assign(values->size() / 4, 0);
  packI2S(values->data(), values->size(), storage.data());
  return ArrayRef<uint8_t>(storage);
}

Expected<ArrayRef<uint8_t>> getT3X5Bytes(const Weight &w,
                                         std::vector<uint8_t> &storage) {
  if (!w.ternary || w.shape.size() != 2 || w.shape[1] % 64 != 0)
    return fileError(w.sourceFile, "tensor '" + w.sourceKey +
                                       "' is not a ternary matrix with rows "
                                       "of a multiple of 64 weights");
  Expected<std::vector<int8_t>> values = decodeTernary(w);
  if (!values)
    return values.takeError();
  size_t rows = w.shape[0], cols = w.shape[1];
  storage.assign(rows * getT3X5RowBytes(cols), 0);
  packT3X5(values->data(), rows, cols, storage.data());
  return ArrayRef<uint8_t>(storage);
}

Expected<ArrayRef<uint8_t>> getT3X5x64Bytes(const Weight &w,
                                            std::vector<uint8_t> &storage) {
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
  storage.assign(rows / 64 * getT3X5x64SuperblockBytes(cols), 0);
  packT3X5x64(values->data(), rows, cols, storage.data());
  return ArrayRef<uint8_t>(storage);
}

/// Scale of a float ternary weight: absmean for masters, max|w| otherwise.
float computeFloatTernaryScale(const Weight &w) {
  size_t n = 1;
  for (int64_t d : w.shape)
    n *= size_t(d);
  double sum = 0, max = 0;
  for (size_t i = 0; i < n; ++i) {
    double v = std::fabs(double(loadFloatElement(w, i)));
    sum += v;
    max = std::max(max, v);
  }
  if (w.master)
    return float(std::max(sum / double(n), 1e-5));
  return float(max);
}

Expected<std::unique_ptr<Model>> importModel(StringRef path) {
  if (sys::fs::is_directory(path))
    return importHuggingFace(path);
  if (!sys::fs::exists(path))
    return fileError(path, "no such file or directory");
  return importGGUF(path);
}

} // namespace trit

/// IEEE binary16, round to nearest even (overflow to infinity).
static uint16_t floatToHalf(float f) {
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

llvm::Expected<llvm::ArrayRef<uint8_t>>
trit::getWeightBytes(const Weight &weight, llvm::StringRef layout,
                     std::vector<uint8_t> &storage) {
  if (layout == "i2_s")
    return getI2SBytes(weight, storage);
  if (layout == "t3x5")
    return getT3X5Bytes(weight, storage);
  if (layout == "t3x5_x64")
    return getT3X5x64Bytes(weight, storage);
  size_t count = 1;
  for (int64_t dim : weight.shape)
    count *= dim;
  if (layout == "f16") {
    if (weight.encoding == WeightEncoding::F16)
      return weight.data;
    // Round to nearest even, as a converter to f16 GGUF does.
    storage.resize(count * sizeof(uint16_t));
    for (size_t i = 0; i < count; ++i) {
      uint16_t h = floatToHalf(loadFloatElement(weight, i));
      std::memcpy(storage.data() + i * sizeof(uint16_t), &h, sizeof(h));
    }
    return llvm::ArrayRef<uint8_t>(storage);
  }
  if (layout == "q8_rows") {
    // The compact LM head: [rows] f32 scales (absmax / 127), 64-byte
    // aligned, then [rows][cols] int8 codes rounded to nearest even.
    if (weight.shape.size() != 2)
      return fileError(weight.sourceFile,
                       weight.sourceKey + " is not a matrix; q8_rows needs one");
    size_t rows = weight.shape[0], cols = weight.shape[1];
    size_t codesAt = (rows * 4 + 63) / 64 * 64;
    storage.assign(codesAt + rows * cols, 0);
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
    return llvm::ArrayRef<uint8_t>(storage);
  }
  if (layout == "q4_blocks") {
    // The 4-bit LM head: [rows][cols / 128] f32 block scales (absmax / 7),
    // 64-byte aligned, then per row and 128-element block 64 bytes whose
    // byte j holds element j (low nibble) and 64 + j (high nibble) as
    // code + 8, codes rounded to nearest even in [-7, 7].
    if (weight.shape.size() != 2 || weight.shape[1] % 128 != 0)
      return fileError(weight.sourceFile,
                       weight.sourceKey + " is not a matrix of rows that are "
                                          "a multiple of 128 wide; q4_blocks "
                                          "needs one");
    size_t rows = weight.shape[0], cols = weight.shape[1],
           blocks = cols / 128;
    size_t codesAt = (rows * blocks * 4 + 63) / 64 * 64;
    storage.assign(codesAt + rows * cols / 2, 0);
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
    return llvm::ArrayRef<uint8_t>(storage);
  }
  if (layout == "ternary_rows_t3x5" || layout == "ternary_rows_i2_s" ||
      layout == "ternary_rows_t3x5_x64") {
    // A reranking head's estimate: [rows] f32 scales, 64-byte aligned, then
    // each row ternarized (ternarizeRow) and packed as T3X5, I2_S or T3X5
    // with rows in lanes (the rows padded with zeros to superblocks of 64).
    bool lanes = layout == "ternary_rows_t3x5_x64";
    bool t3x5 = lanes || layout == "ternary_rows_t3x5";
    size_t multiple = t3x5 ? 64 : 128;
    if (weight.shape.size() != 2 || weight.shape[1] % multiple != 0)
      return fileError(weight.sourceFile,
                       weight.sourceKey + " is not a matrix of rows that are "
                                          "a multiple of " +
                           Twine(multiple) + " wide; " + layout +
                           " needs one");
    size_t rows = weight.shape[0], cols = weight.shape[1];
    size_t rowBytes = t3x5 ? getT3X5RowBytes(cols) : cols / 4;
    size_t codesAt = (rows * 4 + 63) / 64 * 64;
    size_t superblocks = (rows + 63) / 64;
    storage.assign(codesAt + (lanes ? superblocks *
                                          getT3X5x64SuperblockBytes(cols)
                                    : rows * rowBytes),
                   0);
    std::vector<float> row(cols);
    std::vector<int8_t> ternary(lanes ? superblocks * 64 * cols : cols);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t k = 0; k < cols; ++k)
        row[k] = loadFloatElement(weight, r * cols + k);
      float scale = ternarizeRow(row.data(), cols,
                                 ternary.data() + (lanes ? r * cols : 0));
      std::memcpy(storage.data() + r * 4, &scale, 4);
      uint8_t *codes = storage.data() + codesAt + r * rowBytes;
      if (lanes)
        continue;
      if (t3x5)
        packT3X5(ternary.data(), 1, cols, codes);
      else
        packI2S(ternary.data(), cols, codes);
    }
    if (lanes)
      packT3X5x64(ternary.data(), superblocks * 64, cols,
                  storage.data() + codesAt);
    return llvm::ArrayRef<uint8_t>(storage);
  }
  if (layout != "f32")
    return fileError(weight.sourceFile, "unknown weight layout '" + layout +
                                            "' for " + weight.sourceKey);
  if (weight.encoding == WeightEncoding::F32)
    return weight.data;
  storage.resize(count * sizeof(float));
  for (size_t i = 0; i < count; ++i) {
    float v = loadFloatElement(weight, i);
    std::memcpy(storage.data() + i * sizeof(float), &v, sizeof(float));
  }
  return llvm::ArrayRef<uint8_t>(storage);
}
