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
  case WeightEncoding::Q2_0: return "Q2_0";
  case WeightEncoding::PQ2_0: return "PQ2_0";
  case WeightEncoding::PTQ1_0: return "PTQ1_0";
  case WeightEncoding::Q1_0: return "Q1_0";
  }
  return "?";
}

uint64_t getGroupBlockBytes(WeightEncoding encoding) {
  switch (encoding) {
  case WeightEncoding::Q2_0: return 18;
  case WeightEncoding::PQ2_0: return 34;
  case WeightEncoding::PTQ1_0: return 28;
  case WeightEncoding::Q1_0: return 18;
  default: return 0;
  }
}

int64_t getEncodingGroupSize(WeightEncoding encoding) {
  switch (encoding) {
  case WeightEncoding::Q2_0: return 64;
  case WeightEncoding::PQ2_0:
  case WeightEncoding::PTQ1_0:
  case WeightEncoding::Q1_0: return 128;
  default: return 0;
  }
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
  if (c.ropeScalingFactor != 0 &&
      (!std::isfinite(c.ropeScalingFactor) || c.ropeScalingFactor < 1 ||
       c.ropeOriginalContext <= 0))
    return fileError(source, "YaRN needs a factor of at least 1 and a "
                             "positive original context length");
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
    if (c.qkNorm) {
      required.push_back({p + "attn_q_norm.weight", {c.headDim}});
      required.push_back({p + "attn_k_norm.weight", {c.headDim}});
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
      return fileError(sourcePath,
                       "missing tensor '" + name + "' of the " +
                           config.architecture + " architecture" +
                           (StringRef(name).ends_with("_q_norm.weight") ||
                                    StringRef(name).ends_with("_k_norm.weight")
                                ? " (the per-head RMSNorm of q and k before "
                                  "RoPE)"
                                : ""));
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

/// Trit n (0 the most significant) of a base-3 byte of TQ1_0 / PTQ1_0: the
/// bytes hold ceil(v * 256 / 243), so multiplying by 3^n (mod 256) brings
/// trit n to the top, where * 3 >> 8 reads it. As -1, 0, +1.
static int8_t digit(uint8_t q, size_t n) {
  static constexpr uint8_t pow3[5] = {1, 3, 9, 27, 81};
  return int8_t((uint16_t(uint8_t(q * pow3[n])) * 3) >> 8) - 1;
}

/// A group-scaled weight's group size must be its encoding's, and divide its
/// rows.
static Error checkGroups(const Weight &w) {
  int64_t group = getEncodingGroupSize(w.encoding);
  if (w.groupSize != group)
    return fileError(w.sourceFile, "tensor '" + w.sourceKey + "' (" +
                                       getWeightEncodingName(w.encoding) +
                                       ") has groups of " +
                                       Twine(w.groupSize) + ", not " +
                                       Twine(group));
  if (w.shape.size() != 2 || w.shape[1] % group != 0)
    return fileError(w.sourceFile,
                     "tensor '" + w.sourceKey + "' has rows of " +
                         Twine(w.shape.empty() ? 0 : w.shape.back()) +
                         " weights, not a multiple of the " + Twine(group) +
                         "-weight groups of " +
                         getWeightEncodingName(w.encoding));
  return Error::success();
}

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
  case WeightEncoding::Q2_0:
  case WeightEncoding::PQ2_0:
  case WeightEncoding::PTQ1_0:
  case WeightEncoding::Q1_0:
    if (Error e = checkGroups(w))
      return std::move(e);
    needed = n / size_t(w.groupSize) * getGroupBlockBytes(w.encoding);
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
  case WeightEncoding::Q2_0:
  case WeightEncoding::PQ2_0: {
    // d, then the codes of the group in order, 4 to a byte from bit 0.
    size_t group = size_t(w.groupSize), bytes = 2 + group / 4;
    for (size_t block = 0; block < n / group; ++block) {
      const uint8_t *qs = p + block * bytes + 2;
      int8_t *y = out.data() + block * group;
      for (size_t j = 0; j < group; ++j)
        y[j] = int8_t((qs[j / 4] >> (2 * (j % 4))) & 3) - 1;
    }
    return out;
  }
  case WeightEncoding::PTQ1_0:
    // qs[24], qh[2], d. The qs bytes fill in stages of 16 then 8 bytes (the
    // widths 32, 16, 8 of TQ1_0's scheme that fit 24 bytes): in a stage of c
    // bytes, trit n of byte m is element n * c + m. Then trit n of qh[h] is
    // element 120 + 2 * n + h.
    for (size_t block = 0; block < n / 128; ++block) {
      const uint8_t *qs = p + block * 28, *qh = qs + 24;
      int8_t *y = out.data() + block * 128;
      for (size_t d = 0; d < 5; ++d)
        for (size_t m = 0; m < 16; ++m)
          *y++ = digit(qs[m], d);
      for (size_t d = 0; d < 5; ++d)
        for (size_t m = 0; m < 8; ++m)
          *y++ = digit(qs[16 + m], d);
      for (size_t d = 0; d < 4; ++d)
        for (size_t h = 0; h < 2; ++h)
          *y++ = digit(qh[h], d);
    }
    return out;
  case WeightEncoding::Q1_0:
    // d, then 128 bits: set +1, clear -1.
    for (size_t block = 0; block < n / 128; ++block) {
      const uint8_t *qs = p + block * 18 + 2;
      int8_t *y = out.data() + block * 128;
      for (size_t j = 0; j < 128; ++j)
        y[j] = (qs[j / 8] >> (j % 8)) & 1 ? 1 : -1;
    }
    return out;
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

Expected<std::vector<uint16_t>> decodeGroupScales(const Weight &w) {
  if (w.groupSize == 0 || getEncodingGroupSize(w.encoding) == 0)
    return fileError(w.sourceFile, "tensor '" + w.sourceKey + "' (" +
                                       getWeightEncodingName(w.encoding) +
                                       ") has no group scales");
  if (Error e = checkGroups(w))
    return std::move(e);
  size_t groups = size_t(w.shape[0]) * size_t(w.shape[1] / w.groupSize);
  uint64_t bytes = getGroupBlockBytes(w.encoding);
  if (w.data.size() < groups * bytes)
    return fileError(w.sourceFile, "tensor '" + w.sourceKey + "' holds " +
                                       Twine(w.data.size()) +
                                       " bytes; its shape needs " +
                                       Twine(groups * bytes));
  // d leads the block, except in PTQ1_0 where it ends it.
  size_t at = w.encoding == WeightEncoding::PTQ1_0 ? bytes - 2 : 0;
  std::vector<uint16_t> scales(groups);
  for (size_t g = 0; g < groups; ++g)
    scales[g] = support::endian::read16le(w.data.data() + g * bytes + at);
  return scales;
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
