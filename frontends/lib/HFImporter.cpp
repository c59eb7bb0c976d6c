//===- HFImporter.cpp - a Model from a Hugging Face folder ----------------===//
//
// config.json + model.safetensors (or shards listed in
// model.safetensors.index.json) + tokenizer.json + tokenizer_config.json.
//
//===----------------------------------------------------------------------===//

#include "JSON.h"
#include "ModelInternal.h"
#include "trit/Frontends/HuggingFace.h"
#include "trit/Frontends/Safetensors.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <cmath>
#include <cstring>
#include <map>
#include <set>

using namespace llvm;

namespace trit {

//===----------------------------------------------------------------------===//
// JSON files
//===----------------------------------------------------------------------===//

static Expected<json::Value> readJSON(StringRef path) {
  Expected<std::shared_ptr<MappedFile>> file = MappedFile::open(path);
  if (!file)
    return file.takeError();
  ArrayRef<uint8_t> bytes = (*file)->bytes();
  StringRef text(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return parseUntrustedJSON(text, path + ": invalid JSON");
}

namespace {
/// Typed reads of config.json fields with messages that name the field.
struct ConfigReader {
  const json::Object &object;
  StringRef file;

  Error integer(StringRef key, int64_t &out, bool required = true) const {
    const json::Value *v = object.get(key);
    if (!v || v->kind() == json::Value::Null) {
      if (!required)
        return Error::success();
      return fileError(file, "missing '" + key + "'");
    }
    std::optional<int64_t> i = v->getAsInteger();
    if (!i || *i <= 0 || *i > INT32_MAX)
      return fileError(file, "'" + key + "' must be a positive integer");
    out = *i;
    return Error::success();
  }

  Error number(StringRef key, double &out) const {
    const json::Value *v = object.get(key);
    if (!v || v->kind() == json::Value::Null)
      return Error::success();
    std::optional<double> d = v->getAsNumber();
    if (!d)
      return fileError(file, "'" + key + "' must be a number");
    out = *d;
    return Error::success();
  }

  std::optional<StringRef> string(StringRef key) const {
    return object.getString(key);
  }
};
} // namespace

Expected<HFConfig> parseHFConfig(StringRef text, StringRef file) {
  Expected<json::Value> value = parseUntrustedJSON(text, file + ": invalid JSON");
  if (!value)
    return value.takeError();
  const json::Object *object = value->getAsObject();
  if (!object)
    return fileError(file, "not a JSON object");
  ConfigReader r{*object, file};
  HFConfig hf;
  ModelConfig &c = hf.config;

  std::string arch;
  if (const json::Array *archs = object->getArray("architectures"))
    if (!archs->empty())
      if (std::optional<StringRef> s = archs->front().getAsString())
        arch = s->str();
  if (arch.empty())
    if (std::optional<StringRef> s = r.string("model_type"))
      arch = s->str();
  if (arch == "BitNetForCausalLM") {
    c.family = ModelFamily::BitNetB158;
    c.architecture = "bitnet-b1.58";
  } else if (arch == "BitnetForCausalLM" || arch == "bitnet") {
    c.family = ModelFamily::BitNet;
    c.architecture = "bitnet";
  } else if (arch == "LlamaForCausalLM" || arch == "llama") {
    c.family = ModelFamily::Llama;
    c.architecture = "llama";
  } else if (arch == "Qwen3ForCausalLM" || arch == "qwen3") {
    return fileError(file, "Qwen3 models (" + arch +
                               ") are imported from GGUF files only (Ternary "
                               "Bonsai's Q2_0, PQ2_0, PTQ1_0 or Q1_0), not "
                               "from Hugging Face folders");
  } else {
    return fileError(file, "unknown architecture '" + arch +
                               "' (Trit imports BitNetForCausalLM, "
                               "BitnetForCausalLM and LlamaForCausalLM)");
  }

  for (auto [key, out] :
       {std::pair<StringRef, int64_t *>{"hidden_size", &c.hiddenSize},
        {"intermediate_size", &c.ffnSize},
        {"num_hidden_layers", &c.layers},
        {"num_attention_heads", &c.heads},
        {"vocab_size", &c.vocabSize},
        {"max_position_embeddings", &c.contextLength}})
    if (Error e = r.integer(key, *out))
      return std::move(e);
  c.kvHeads = c.heads;
  if (Error e = r.integer("num_key_value_heads", c.kvHeads, false))
    return std::move(e);
  c.headDim = c.hiddenSize / c.heads;
  if (Error e = r.integer("head_dim", c.headDim, false))
    return std::move(e);
  // Defaults of each family's transformers config class.
  bool bitnet158 = c.family == ModelFamily::BitNetB158;
  c.ropeTheta = bitnet158 ? 500000.0 : 10000.0;
  c.normEps = c.family == ModelFamily::Llama ? 1e-6 : 1e-5;
  if (const json::Value *scaling = object->get("rope_scaling");
      scaling && scaling->kind() != json::Value::Null)
    return fileError(file, "rope_scaling is not supported (Trit implements "
                           "unscaled RoPE)");
  if (std::optional<double> partial =
          object->getNumber("partial_rotary_factor");
      partial && *partial != 1.0)
    return fileError(file, "partial_rotary_factor " + std::to_string(*partial) +
                               " is not supported (Trit rotates whole heads)");
  if (Error e = r.number("rope_theta", c.ropeTheta))
    return std::move(e);
  if (Error e = r.number("rms_norm_eps", c.normEps))
    return std::move(e);

  StringRef act = r.string("hidden_act").value_or(
      c.family == ModelFamily::BitNetB158 ? "relu2" : "silu");
  if (act == "relu2")
    c.activation = Activation::Relu2;
  else if (act == "silu")
    c.activation = Activation::Silu;
  else
    return fileError(file, "unsupported hidden_act '" + act +
                               "' (Trit supports relu2 and silu)");
  c.subNorms = c.family != ModelFamily::Llama;
  // Hugging Face keeps q/k rows in rotate_half (NeoX) order for every family.
  c.ropeStyle = RopeStyle::NeoX;
  c.tiedEmbedding = c.family != ModelFamily::Llama;
  if (const json::Value *tie = object->get("tie_word_embeddings"))
    if (std::optional<bool> b = tie->getAsBoolean())
      c.tiedEmbedding = *b;

  // The packed weight_scale multiplies (AutoBitLinear, 2B4T) or divides (the
  // older BitLinear of HF1BitLLM / Falcon packings).
  hf.scaleIsInverse = true;
  if (const json::Object *q = object->getObject("quantization_config"))
    if (std::optional<StringRef> cls = q->getString("linear_class"))
      hf.scaleIsInverse = *cls != "autobitlinear";
  for (auto [key, out] :
       {std::pair<StringRef, int64_t *>{"bos_token_id", &hf.bosId},
        {"eos_token_id", &hf.eosId}})
    if (const json::Value *v = object->get(key))
      if (std::optional<int64_t> i = v->getAsInteger())
        *out = *i;
  return hf;
}

Error parseHFTokenizer(StringRef tokenizerJSON, StringRef tokenizerFile,
                       StringRef configJSON, StringRef configFile,
                       int64_t vocabSize, TokenizerData &t) {
  Expected<json::Value> value =
      parseUntrustedJSON(tokenizerJSON, tokenizerFile + ": invalid JSON");
  if (!value)
    return value.takeError();
  const json::Object *root = value->getAsObject();
  const json::Object *model = root ? root->getObject("model") : nullptr;
  if (!model)
    return fileError(tokenizerFile, "missing the 'model' object");
  StringRef type = model->getString("type").value_or("");
  if (type != "BPE")
    return fileError(tokenizerFile, "tokenizer model type '" + type +
                                        "' is not supported (Trit reads "
                                        "byte-level BPE)");
  // Llama-2-style vocabularies (1bitLLM models) are SentencePiece BPE
  // converted to tokenizer.json: byte fallback instead of byte-level tokens.
  t.model = model->getBoolean("byte_fallback").value_or(false) ? "llama" : "gpt2";
  const json::Object *vocab = model->getObject("vocab");
  if (!vocab)
    return fileError(tokenizerFile, "missing model.vocab");

  std::map<int64_t, std::pair<std::string, bool>> byId;
  for (const auto &[token, id] : *vocab) {
    std::optional<int64_t> i = id.getAsInteger();
    if (!i || *i < 0 || *i >= vocabSize)
      return fileError(tokenizerFile, "token '" + token.str() +
                                          "' has an id outside [0, " +
                                          Twine(vocabSize) + ")");
    byId[*i] = {token.str(), false};
  }
  if (const json::Array *added = root->getArray("added_tokens"))
    for (const json::Value &entry : *added) {
      const json::Object *o = entry.getAsObject();
      std::optional<int64_t> id = o ? o->getInteger("id") : std::nullopt;
      std::optional<StringRef> content =
          o ? o->getString("content") : std::nullopt;
      if (!id || !content || *id < 0 || *id >= vocabSize)
        return fileError(tokenizerFile, "an added token lacks a valid id or "
                                        "content");
      byId[*id] = {content->str(), o->getBoolean("special").value_or(false)};
    }
  int64_t count = byId.empty() ? 0 : byId.rbegin()->first + 1;
  t.tokens.assign(count, "");
  t.tokenTypes.assign(count, 5); // unused ids stay "unused"
  for (auto &[id, entry] : byId) {
    t.tokens[id] = entry.first;
    t.tokenTypes[id] = entry.second ? 3 : 1;
  }

  if (const json::Array *merges = model->getArray("merges"))
    for (const json::Value &merge : *merges) {
      if (std::optional<StringRef> s = merge.getAsString()) {
        t.merges.push_back(s->str());
      } else if (const json::Array *pair = merge.getAsArray();
                 pair && pair->size() == 2 && (*pair)[0].getAsString() &&
                 (*pair)[1].getAsString()) {
        t.merges.push_back((*(*pair)[0].getAsString() + " " +
                            *(*pair)[1].getAsString())
                               .str());
      } else {
        return fileError(tokenizerFile, "a merge is neither \"a b\" nor "
                                        "[\"a\", \"b\"]");
      }
    }
  // The Llama-3 split regex marks the llama-bpe pre-tokenizer.
  if (tokenizerJSON.contains("(?i:'s|'t|'re|'ve|'m|'ll|'d)"))
    t.pre = "llama-bpe";

  auto idOf = [&](StringRef text) -> int64_t {
    for (int64_t i = 0; i < int64_t(t.tokens.size()); ++i)
      if (t.tokens[i] == text)
        return i;
    return -1;
  };
  t.eotId = idOf("<|eot_id|>");
  if (!configJSON.empty()) {
    Expected<json::Value> config =
        parseUntrustedJSON(configJSON, configFile + ": invalid JSON");
    if (!config)
      return config.takeError();
    if (const json::Object *o = config->getAsObject()) {
      auto tokenText = [&](StringRef key) -> std::optional<StringRef> {
        if (std::optional<StringRef> s = o->getString(key))
          return s;
        if (const json::Object *inner = o->getObject(key))
          return inner->getString("content");
        return std::nullopt;
      };
      if (std::optional<StringRef> bos = tokenText("bos_token"))
        t.bosId = idOf(*bos);
      if (std::optional<StringRef> eos = tokenText("eos_token"))
        t.eosId = idOf(*eos);
      t.addBos = o->getBoolean("add_bos_token").value_or(true);
      if (std::optional<StringRef> tmpl = o->getString("chat_template"))
        t.chatTemplate = tmpl->str();
    }
  }
  return Error::success();
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

/// The canonical name of a Hugging Face tensor, or "" if it is not one.
static std::string canonicalName(StringRef name, bool &isScale) {
  isScale = name.consume_back(".weight_scale");
  if (!isScale && !name.consume_back(".weight"))
    return "";
  if (name == "model.embed_tokens")
    return "token_embd.weight";
  if (name == "model.norm")
    return "output_norm.weight";
  if (name == "lm_head")
    return "output.weight";
  if (!name.consume_front("model.layers."))
    return "";
  auto [layer, rest] = name.split('.');
  unsigned index;
  if (layer.getAsInteger(10, index))
    return "";
  static const std::pair<StringRef, StringRef> kNames[] = {
      {"input_layernorm", "attn_norm"},
      {"self_attn.q_proj", "attn_q"},
      {"self_attn.k_proj", "attn_k"},
      {"self_attn.v_proj", "attn_v"},
      {"self_attn.o_proj", "attn_output"},
      {"self_attn.attn_sub_norm", "attn_sub_norm"},
      {"self_attn.inner_attn_ln", "attn_sub_norm"},
      {"post_attention_layernorm", "ffn_norm"},
      {"mlp.gate_proj", "ffn_gate"},
      {"mlp.up_proj", "ffn_up"},
      {"mlp.down_proj", "ffn_down"},
      {"mlp.ffn_sub_norm", "ffn_sub_norm"},
      {"mlp.ffn_layernorm", "ffn_sub_norm"}};
  for (auto [hf, gguf] : kNames)
    if (rest == hf)
      return ("blk." + Twine(index) + "." + gguf + ".weight").str();
  return "";
}

/// Maps safetensors files and lists which file holds each tensor.
static Error loadShards(StringRef dir, Model &model,
                        std::vector<safetensors::File> &files) {
  SmallString<256> single(dir), index(dir);
  sys::path::append(single, "model.safetensors");
  sys::path::append(index, "model.safetensors.index.json");
  std::vector<std::string> shardNames;
  if (sys::fs::exists(index)) {
    Expected<json::Value> json = readJSON(index);
    if (!json)
      return json.takeError();
    const json::Object *root = json->getAsObject();
    const json::Object *map = root ? root->getObject("weight_map") : nullptr;
    if (!map)
      return fileError(index, "missing the 'weight_map' object");
    std::set<std::string> unique;
    for (const auto &[name, shard] : *map) {
      std::optional<StringRef> s = shard.getAsString();
      if (!s || s->contains('/') || s->contains('\\') || *s == "..")
        return fileError(index, "tensor '" + name.str() +
                                    "' maps to an invalid file name");
      unique.insert(s->str());
    }
    shardNames.assign(unique.begin(), unique.end());
  } else if (sys::fs::exists(single)) {
    shardNames.push_back("model.safetensors");
  } else {
    return fileError(dir, "no model.safetensors or "
                          "model.safetensors.index.json in the folder");
  }
  for (const std::string &name : shardNames) {
    SmallString<256> path(dir);
    sys::path::append(path, name);
    Expected<std::shared_ptr<MappedFile>> mapped = MappedFile::open(path);
    if (!mapped)
      return mapped.takeError();
    Expected<safetensors::File> file =
        safetensors::File::parse((*mapped)->bytes(), path);
    if (!file)
      return file.takeError();
    model.files.push_back(*mapped);
    files.push_back(std::move(*file));
  }
  return Error::success();
}

static Error addWeights(const HFConfig &hf,
                        ArrayRef<safetensors::File> files, Model &model) {
  std::map<std::string, std::pair<const safetensors::File *,
                                  const safetensors::TensorInfo *>>
      scales;
  for (const safetensors::File &file : files)
    for (const safetensors::TensorInfo &info : file.getTensors()) {
      bool isScale;
      std::string name = canonicalName(info.name, isScale);
      if (name.empty())
        return fileError(file.getFileName(),
                         "tensor '" + info.name + "' is not part of a " +
                             model.config.architecture + " model");
      if (isScale) {
        scales[name] = {&file, &info};
        continue;
      }
      Weight w;
      w.name = name;
      w.sourceFile = file.getFileName();
      w.sourceKey = info.name;
      w.shape.assign(info.shape.begin(), info.shape.end());
      w.data = info.data;
      w.ternary = isTernaryLinear(name);
      switch (info.dtype) {
      case safetensors::DType::F32:
        w.encoding = WeightEncoding::F32;
        break;
      case safetensors::DType::F16:
        w.encoding = WeightEncoding::F16;
        break;
      case safetensors::DType::BF16:
        w.encoding = WeightEncoding::BF16;
        break;
      case safetensors::DType::U8:
        if (w.ternary && w.shape.size() == 2) {
          // Packed 4 rows per byte along the output dimension.
          w.encoding = WeightEncoding::HFPacked;
          w.shape[0] *= 4;
          break;
        }
        [[fallthrough]];
      default:
        return fileError(file.getFileName(),
                         "tensor '" + info.name + "' has dtype " +
                             safetensors::getDTypeName(info.dtype) +
                             (w.ternary ? "; Trit needs packed U8 or "
                                          "F32/F16/BF16 master weights"
                                        : "; Trit needs F32, F16 or BF16"));
      }
      if (w.ternary && w.shape.size() != 2)
        return fileError(file.getFileName(),
                         "tensor '" + info.name + "' must be a matrix");
      if (w.ternary && w.encoding != WeightEncoding::HFPacked) {
        w.master = true;
        w.scale = computeFloatTernaryScale(w);
      }
      model.weights.push_back(std::move(w));
    }

  for (Weight &w : model.weights) {
    auto it = scales.find(w.name);
    if (w.encoding != WeightEncoding::HFPacked) {
      if (it != scales.end())
        return fileError(it->second.first->getFileName(),
                         "tensor '" + it->second.second->name +
                             "' scales a weight that is not packed");
      continue;
    }
    if (it == scales.end())
      return fileError(w.sourceFile, "packed tensor '" + w.sourceKey +
                                         "' has no weight_scale");
    const safetensors::TensorInfo &s = *it->second.second;
    float value;
    if (s.getElementCount() != 1)
      return fileError(it->second.first->getFileName(),
                       "tensor '" + s.name + "' must hold one value");
    if (s.dtype == safetensors::DType::BF16)
      value = decodeBFloat16(support::endian::read16le(s.data.data()));
    else if (s.dtype == safetensors::DType::F16)
      value = decodeHalf(support::endian::read16le(s.data.data()));
    else if (s.dtype == safetensors::DType::F32)
      std::memcpy(&value, s.data.data(), 4);
    else
      return fileError(it->second.first->getFileName(),
                       "tensor '" + s.name + "' must be BF16, F16 or F32");
    w.scale = hf.scaleIsInverse ? 1.0f / value : value;
    if (!(value > 0) || !std::isfinite(w.scale))
      return fileError(it->second.first->getFileName(),
                       "tensor '" + s.name + "' holds the invalid scale " +
                           std::to_string(value));
  }
  return Error::success();
}

static Expected<std::string> readText(StringRef path) {
  Expected<std::shared_ptr<MappedFile>> file = MappedFile::open(path);
  if (!file)
    return file.takeError();
  ArrayRef<uint8_t> bytes = (*file)->bytes();
  return std::string(bytes.begin(), bytes.end());
}

Expected<std::unique_ptr<Model>> importHuggingFace(StringRef dir) {
  SmallString<256> configPath(dir);
  sys::path::append(configPath, "config.json");
  Expected<std::string> configText = readText(configPath);
  if (!configText)
    return configText.takeError();
  Expected<HFConfig> hf = parseHFConfig(*configText, configPath);
  if (!hf)
    return hf.takeError();

  auto model = std::make_unique<Model>();
  model->config = hf->config;
  if (Error e = validateConfig(model->config, configPath))
    return std::move(e);

  SmallString<256> tokenizerPath(dir), tokenizerConfigPath(dir);
  sys::path::append(tokenizerPath, "tokenizer.json");
  sys::path::append(tokenizerConfigPath, "tokenizer_config.json");
  Expected<std::string> tokenizerText = readText(tokenizerPath);
  if (!tokenizerText)
    return tokenizerText.takeError();
  std::string tokenizerConfigText;
  if (sys::fs::exists(tokenizerConfigPath)) {
    Expected<std::string> text = readText(tokenizerConfigPath);
    if (!text)
      return text.takeError();
    tokenizerConfigText = std::move(*text);
  }
  if (Error e = parseHFTokenizer(*tokenizerText, tokenizerPath,
                                 tokenizerConfigText, tokenizerConfigPath,
                                 model->config.vocabSize, model->tokenizer))
    return std::move(e);
  if (model->tokenizer.bosId < 0)
    model->tokenizer.bosId = hf->bosId;
  if (model->tokenizer.eosId < 0)
    model->tokenizer.eosId = hf->eosId;

  std::vector<safetensors::File> files;
  if (Error e = loadShards(dir, *model, files))
    return std::move(e);
  if (Error e = addWeights(*hf, files, *model))
    return std::move(e);
  if (Error e = model->finalize(dir))
    return std::move(e);
  return model;
}

} // namespace trit
