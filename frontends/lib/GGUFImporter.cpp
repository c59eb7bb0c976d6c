//===- GGUFImporter.cpp - a Model from a GGUF file ------------------------===//

#include "ModelInternal.h"
#include "trit/Frontends/GGUF.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstdio>
#include <cstring>

using namespace llvm;

namespace trit {

static Expected<ModelFamily> getFamily(StringRef arch, StringRef file) {
  if (arch == "bitnet-b1.58" || arch == "bitnet-25" || arch == "bitnet-1.58")
    return ModelFamily::BitNetB158;
  if (arch == "bitnet")
    return ModelFamily::BitNet;
  if (arch == "llama")
    return ModelFamily::Llama;
  if (arch == "qwen3")
    return ModelFamily::Qwen3;
  if (arch == "qwen35")
    return fileError(file, "architecture 'qwen35' (Qwen3.5/3.6, as in "
                           "Ternary Bonsai 27B) is the hybrid Gated-DeltaNet "
                           "and attention architecture, which Trit does not "
                           "support; Trit imports qwen3 (Ternary Bonsai "
                           "1.7B, 4B and 8B)");
  return fileError(file, "unknown architecture '" + arch +
                             "' (Trit imports bitnet-b1.58, bitnet-25, "
                             "bitnet-1.58, bitnet, llama and qwen3)");
}

/// Ternary Bonsai 2 folds a Hadamard rotation into its weights and records it
/// in `prism.hadamard.*` keys: the activations must be rotated to match,
/// which Trit does not do, and ignoring it gives garbage.
static Error refuseHadamard(const gguf::File &file) {
  for (const std::string &key : file.getKeys())
    if (StringRef(key).starts_with("prism.hadamard"))
      return fileError(file.getFileName(),
                       "metadata key '" + key +
                           "': the weights are Hadamard-folded (Ternary "
                           "Bonsai 2) and need their activations rotated, "
                           "which Trit does not support");
  return Error::success();
}

/// Qwen3's RoPE scaling: none, or YaRN with its factor and the context the
/// model was trained at.
static Error readRopeScaling(const gguf::File &file, ModelConfig &c) {
  StringRef name = file.getFileName();
  std::string p = c.architecture + ".rope.scaling.";
  const gguf::Value *type = file.lookup(p + "type");
  if (!type)
    return Error::success();
  std::optional<StringRef> kind = type->getString();
  if (!kind)
    return fileError(name, "metadata key '" + p + "type' is a " +
                               gguf::getValueTypeName(type->getType()) +
                               ", not a string");
  if (*kind == "none")
    return Error::success();
  if (*kind != "yarn")
    return fileError(name, "RoPE scaling '" + *kind + "' (" + p +
                               "type) is not supported (Trit implements "
                               "YaRN)");
  for (StringRef key : {"attn_factor", "yarn_ext_factor", "yarn_attn_factor",
                        "yarn_beta_fast", "yarn_beta_slow",
                        "yarn_log_multiplier"})
    if (file.lookup(p + key.str()))
      return fileError(name, "metadata key '" + p + key +
                                 "' is not supported (Trit implements YaRN "
                                 "with its default parameters)");
  Expected<double> factor = file.getRequiredFloat(p + "factor");
  if (!factor)
    return factor.takeError();
  if (!std::isfinite(*factor) || *factor < 1) {
    char value[32];
    std::snprintf(value, sizeof value, "%g", *factor);
    return fileError(name, "metadata key '" + p + "factor' = " + value +
                               " is not a YaRN factor (at least 1)");
  }
  c.ropeScalingFactor = *factor;
  c.ropeOriginalContext = c.contextLength;
  if (file.lookup(p + "original_context_length")) {
    Expected<uint64_t> original =
        file.getRequiredUInt(p + "original_context_length");
    if (!original)
      return original.takeError();
    if (*original == 0 || *original > uint64_t(INT32_MAX))
      return fileError(name, "metadata key '" + p +
                                 "original_context_length' = " +
                                 Twine(*original) + " is out of range");
    c.ropeOriginalContext = int64_t(*original);
  }
  return Error::success();
}

static Error readConfig(const gguf::File &file, ModelConfig &c) {
  StringRef name = file.getFileName();
  Expected<StringRef> arch = file.getRequiredString("general.architecture");
  if (!arch)
    return arch.takeError();
  c.architecture = arch->str();
  Expected<ModelFamily> family = getFamily(*arch, name);
  if (!family)
    return family.takeError();
  c.family = *family;
  if (Error e = refuseHadamard(file))
    return e;

  std::string p = c.architecture + ".";
  auto uintKey = [&](StringRef key, int64_t &out) -> Error {
    Expected<uint64_t> v = file.getRequiredUInt(p + key.str());
    if (!v)
      return v.takeError();
    if (*v > uint64_t(INT32_MAX))
      return fileError(name, "metadata key '" + p + key + "' = " + Twine(*v) +
                                 " is out of range");
    out = int64_t(*v);
    return Error::success();
  };
  auto optionalKey = [&](StringRef key) { return file.lookup(p + key.str()); };
  for (auto [key, out] : {std::pair<StringRef, int64_t *>{"context_length",
                                                          &c.contextLength},
                          {"embedding_length", &c.hiddenSize},
                          {"block_count", &c.layers},
                          {"feed_forward_length", &c.ffnSize},
                          {"attention.head_count", &c.heads}})
    if (Error e = uintKey(key, *out))
      return e;
  c.kvHeads = c.heads;
  if (optionalKey("attention.head_count_kv"))
    if (Error e = uintKey("attention.head_count_kv", c.kvHeads))
      return e;
  c.headDim = c.heads > 0 ? c.hiddenSize / c.heads : 0;
  if (optionalKey("attention.key_length"))
    if (Error e = uintKey("attention.key_length", c.headDim))
      return e;
  if (optionalKey("attention.value_length")) {
    int64_t valueLength;
    if (Error e = uintKey("attention.value_length", valueLength))
      return e;
    if (valueLength != c.headDim)
      return fileError(name, p + "attention.value_length " +
                                 Twine(valueLength) +
                                 " differs from the key length " +
                                 Twine(c.headDim) +
                                 "; Trit needs equal key and value heads");
  }
  // rope.dimension_count is how many dimensions of a head rotate.
  if (optionalKey("rope.dimension_count")) {
    int64_t rotated;
    if (Error e = uintKey("rope.dimension_count", rotated))
      return e;
    if (rotated != c.headDim)
      return fileError(name, "partial rotary embeddings (" + p +
                                 "rope.dimension_count " + Twine(rotated) +
                                 " of a head of " + Twine(c.headDim) +
                                 ") are not supported");
  }
  if (optionalKey("rope.freq_base")) {
    Expected<double> theta = file.getRequiredFloat(p + "rope.freq_base");
    if (!theta)
      return theta.takeError();
    c.ropeTheta = *theta;
  }
  if (optionalKey("attention.layer_norm_rms_epsilon")) {
    Expected<double> eps =
        file.getRequiredFloat(p + "attention.layer_norm_rms_epsilon");
    if (!eps)
      return eps.takeError();
    c.normEps = *eps;
  }

  switch (c.family) {
  case ModelFamily::BitNetB158:
    c.activation = Activation::Relu2;
    break;
  case ModelFamily::BitNet:
    c.activation = Activation::Silu;
    break;
  case ModelFamily::Llama:
    c.activation = Activation::Silu;
    c.subNorms = false;
    // llama.cpp's converter permutes llama q/k rows for adjacent pairs.
    c.ropeStyle = RopeStyle::Interleaved;
    c.tiedEmbedding = !file.lookupTensor("output.weight");
    break;
  case ModelFamily::Qwen3:
    c.activation = Activation::Silu;
    c.subNorms = false;
    c.ropeStyle = RopeStyle::NeoX;
    c.qkNorm = true;
    c.tiedEmbedding = !file.lookupTensor("output.weight");
    if (Error e = readRopeScaling(file, c))
      return e;
    break;
  }
  if (const gguf::Value *act = optionalKey("hidden_activation")) {
    std::optional<StringRef> s = act->getString();
    if (s && (*s == "relu2" || *s == "relu_sqr"))
      c.activation = Activation::Relu2;
    else if (s && *s == "silu")
      c.activation = Activation::Silu;
    else
      return fileError(name, "unknown " + p + "hidden_activation");
  }
  return Error::success();
}

static Error readTokenizer(const gguf::File &file, TokenizerData &t) {
  StringRef name = file.getFileName();
  const gguf::Value *tokens = file.lookup("tokenizer.ggml.tokens");
  if (!tokens)
    return fileError(name, "metadata key 'tokenizer.ggml.tokens' is missing: "
                           "the model has no tokenizer");
  std::optional<std::vector<StringRef>> tokenList = tokens->getStringArray();
  if (!tokenList)
    return fileError(name, "tokenizer.ggml.tokens is not an array of strings");
  for (StringRef s : *tokenList)
    t.tokens.push_back(s.str());
  if (const gguf::Value *model = file.lookup("tokenizer.ggml.model"))
    t.model = model->getString().value_or("").str();
  if (const gguf::Value *pre = file.lookup("tokenizer.ggml.pre"))
    t.pre = pre->getString().value_or("").str();

  size_t n = t.tokens.size();
  if (const gguf::Value *types = file.lookup("tokenizer.ggml.token_type")) {
    std::optional<std::vector<int64_t>> list = types->getIntArray();
    if (!list || list->size() != n)
      return fileError(name, "tokenizer.ggml.token_type must be an integer "
                             "array with one entry per token (" +
                                 Twine(n) + ")");
    t.tokenTypes.assign(list->begin(), list->end());
  }
  if (const gguf::Value *scores = file.lookup("tokenizer.ggml.scores")) {
    std::optional<std::vector<double>> list = scores->getFloatArray();
    if (!list || list->size() != n)
      return fileError(name, "tokenizer.ggml.scores must be a number array "
                             "with one entry per token (" +
                                 Twine(n) + ")");
    t.scores.assign(list->begin(), list->end());
  }
  if (const gguf::Value *merges = file.lookup("tokenizer.ggml.merges")) {
    std::optional<std::vector<StringRef>> list = merges->getStringArray();
    if (!list)
      return fileError(name, "tokenizer.ggml.merges is not an array of "
                             "strings");
    for (StringRef s : *list)
      t.merges.push_back(s.str());
  }
  for (auto [key, out] :
       {std::pair<StringRef, int64_t *>{"tokenizer.ggml.bos_token_id",
                                        &t.bosId},
        {"tokenizer.ggml.eos_token_id", &t.eosId},
        {"tokenizer.ggml.eot_token_id", &t.eotId}})
    if (file.lookup(key)) {
      Expected<uint64_t> id = file.getRequiredUInt(key);
      if (!id)
        return id.takeError();
      *out = int64_t(std::min<uint64_t>(*id, INT64_MAX));
    }
  if (const gguf::Value *addBos = file.lookup("tokenizer.ggml.add_bos_token"))
    t.addBos = addBos->getBool().value_or(true);
  if (const gguf::Value *tmpl = file.lookup("tokenizer.chat_template"))
    t.chatTemplate = tmpl->getString().value_or("").str();
  return Error::success();
}

static Error addWeight(const gguf::File &file, const gguf::TensorInfo &info,
                       Model &model) {
  StringRef fileName = file.getFileName();
  Weight w;
  w.name = info.name.str();
  w.sourceFile = fileName.str();
  w.sourceKey = info.name.str();
  // ggml lists the fastest-varying dimension first; torch order is reversed.
  for (auto it = info.dims.rbegin(); it != info.dims.rend(); ++it)
    w.shape.push_back(int64_t(*it));
  w.data = info.data;
  w.ternary = isTernaryLinear(w.name);
  auto typeError = [&](StringRef need) {
    return fileError(fileName, "tensor '" + w.name + "' has type " +
                                   gguf::getTensorTypeName(info.type) +
                                   "; Trit needs " + need + " for it");
  };
  switch (info.getType()) {
  case gguf::TensorType::F32:
    w.encoding = WeightEncoding::F32;
    break;
  case gguf::TensorType::F16:
    w.encoding = WeightEncoding::F16;
    break;
  case gguf::TensorType::BF16:
    w.encoding = WeightEncoding::BF16;
    break;
  case gguf::TensorType::I2_S:
    w.encoding = WeightEncoding::I2_S;
    break;
  case gguf::TensorType::TQ2_0:
    w.encoding = WeightEncoding::TQ2_0;
    break;
  case gguf::TensorType::TQ1_0:
    w.encoding = WeightEncoding::TQ1_0;
    break;
  case gguf::TensorType::Q2_0:
    // The legacy id-42 layout is PQ2_0's block under another id.
    w.encoding = info.legacyQ2_0 ? WeightEncoding::PQ2_0 : WeightEncoding::Q2_0;
    w.groupSize = info.legacyQ2_0 ? 128 : 64;
    break;
  case gguf::TensorType::PQ2_0:
    w.encoding = WeightEncoding::PQ2_0;
    w.groupSize = 128;
    break;
  case gguf::TensorType::PTQ1_0:
    w.encoding = WeightEncoding::PTQ1_0;
    w.groupSize = 128;
    break;
  case gguf::TensorType::Q1_0:
    w.encoding = WeightEncoding::Q1_0;
    w.groupSize = 128;
    break;
  }
  bool grouped = w.groupSize != 0;
  bool isFloat = w.encoding == WeightEncoding::F32 ||
                 w.encoding == WeightEncoding::F16 ||
                 w.encoding == WeightEncoding::BF16;
  if (model.config.family == ModelFamily::Qwen3) {
    // Ternary Bonsai: every matrix group-ternary, the embedding and the LM
    // head included; the norms float.
    bool matrix = w.ternary || w.name == "token_embd.weight" ||
                  w.name == "output.weight";
    if (matrix && !grouped) {
      if (isFloat)
        return fileError(fileName,
                         "tensor '" + w.name + "' has type " +
                             gguf::getTensorTypeName(info.type) +
                             ": float Qwen3 matrices are not supported (Trit "
                             "reads the ternary Bonsai types Q2_0, PQ2_0, "
                             "PTQ1_0 and Q1_0)");
      return typeError("Q2_0, PQ2_0, PTQ1_0 or Q1_0");
    }
    if (!matrix && grouped)
      return typeError("F32, F16 or BF16");
    w.ternary = matrix;
  } else if (grouped) {
    return fileError(fileName, "tensor '" + w.name + "' has type " +
                                   gguf::getTensorTypeName(info.type) +
                                   ", a group-scaled ternary type that Trit "
                                   "reads in qwen3 models only");
  }
  bool packed = w.encoding == WeightEncoding::I2_S ||
                w.encoding == WeightEncoding::TQ2_0 ||
                w.encoding == WeightEncoding::TQ1_0;
  if (packed && !w.ternary)
    return typeError("F32, F16 or BF16");
  if (w.ternary && w.shape.size() != 2)
    return fileError(fileName, "tensor '" + w.name + "' must be a matrix");

  if (w.encoding == WeightEncoding::I2_S) {
    uint64_t elements = info.getElementCount();
    if (w.shape[1] % 128 != 0)
      return fileError(fileName, "I2_S tensor '" + w.name + "' has rows of " +
                                     Twine(w.shape[1]) +
                                     " weights, not a multiple of the "
                                     "128-weight block");
    uint32_t bits = support::endian::read32le(info.data.data() + elements / 4);
    std::memcpy(&w.scale, &bits, 4);
    w.data = info.data.take_front(elements / 4);
  } else if (w.encoding == WeightEncoding::TQ2_0 ||
             w.encoding == WeightEncoding::TQ1_0) {
    // One f16 scale per 256-weight block, at the end of each block. Ternary
    // models give every block with a nonzero weight the tensor's scale.
    uint64_t blockBytes = w.encoding == WeightEncoding::TQ2_0 ? 66 : 54;
    std::optional<uint16_t> common;
    for (uint64_t b = 0; b < info.data.size() / blockBytes; ++b) {
      uint16_t d = support::endian::read16le(info.data.data() +
                                             (b + 1) * blockBytes - 2);
      // ggml multiplies every code of a block by its d, so a block whose d
      // differs (a zero d included) needs per-block scales to match it.
      if (common && *common != d) {
        w.blockScales = true;
        break;
      }
      common = d;
    }
    w.scale = common ? decodeHalf(*common) : 0.0f;
  } else if (grouped) {
    // One f16 d per group, read by decodeGroupScales; each must be finite.
    uint64_t blockBytes = getGroupBlockBytes(w.encoding);
    uint64_t scaleAt = w.encoding == WeightEncoding::PTQ1_0 ? blockBytes - 2 : 0;
    for (uint64_t b = 0; b < info.data.size() / blockBytes; ++b) {
      uint16_t d =
          support::endian::read16le(info.data.data() + b * blockBytes + scaleAt);
      if ((d & 0x7c00) == 0x7c00)
        return fileError(fileName,
                         "tensor '" + w.name + "' holds the invalid scale " +
                             ((d & 0x3ff) ? "nan" : "inf") + " (f16 0x" +
                             utohexstr(d, true, 4) + ") in group " + Twine(b));
    }
    w.scale = 1.0f;
  } else if (w.ternary) {
    w.scale = computeFloatTernaryScale(w);
  }
  model.weights.push_back(std::move(w));
  return Error::success();
}

Error importGGUFFile(const gguf::File &file, Model &model) {
  StringRef path = file.getFileName();
  if (Error e = readConfig(file, model.config))
    return e;
  if (Error e = readTokenizer(file, model.tokenizer))
    return e;
  model.config.vocabSize = int64_t(model.tokenizer.tokens.size());
  if (const gguf::Value *vocab =
          file.lookup(model.config.architecture + ".vocab_size"))
    if (std::optional<uint64_t> v = vocab->getUInt())
      model.config.vocabSize = int64_t(std::min<uint64_t>(*v, INT32_MAX));
  if (Error e = validateConfig(model.config, path))
    return e;
  for (const gguf::TensorInfo &info : file.getTensors())
    if (Error e = addWeight(file, info, model))
      return e;
  return model.finalize(path);
}

Expected<std::unique_ptr<Model>> importGGUF(StringRef path) {
  Expected<std::shared_ptr<MappedFile>> mapped = MappedFile::open(path);
  if (!mapped)
    return mapped.takeError();
  Expected<gguf::File> file = gguf::File::parse((*mapped)->bytes(), path);
  if (!file)
    return file.takeError();

  auto model = std::make_unique<Model>();
  model->files.push_back(*mapped);
  if (Error e = importGGUFFile(*file, *model))
    return std::move(e);
  return model;
}

} // namespace trit
