//===- GGUFImporter.cpp - a Model from a GGUF file ------------------------===//

#include "ModelInternal.h"
#include "trit/Frontends/GGUF.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/Path.h"

#include <cmath>
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
  return fileError(file, "unknown architecture '" + arch +
                             "' (Trit imports bitnet-b1.58, bitnet-25, "
                             "bitnet-1.58, bitnet and llama)");
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
  } else if (w.ternary) {
    w.scale = computeFloatTernaryScale(w);
  }
  model.weights.push_back(std::move(w));
  return Error::success();
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
  if (Error e = readConfig(*file, model->config))
    return std::move(e);
  if (Error e = readTokenizer(*file, model->tokenizer))
    return std::move(e);
  model->config.vocabSize = int64_t(model->tokenizer.tokens.size());
  if (const gguf::Value *vocab =
          file->lookup(model->config.architecture + ".vocab_size"))
    if (std::optional<uint64_t> v = vocab->getUInt())
      model->config.vocabSize = int64_t(std::min<uint64_t>(*v, INT32_MAX));
  if (Error e = validateConfig(model->config, path))
    return std::move(e);
  for (const gguf::TensorInfo &info : file->getTensors())
    if (Error e = addWeight(*file, info, *model))
      return std::move(e);
  if (Error e = model->finalize(path))
    return std::move(e);
  return model;
}

} // namespace trit
