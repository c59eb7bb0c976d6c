//===- ModelBuilder.cpp - a trit module from an imported model ------------===//

#include "trit/Frontends/ModelBuilder.h"

#include "trit/Dialect/TritOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/JSON.h"

using namespace mlir;

namespace trit {
namespace {

class Builder {
public:
  Builder(MLIRContext &context, const Model &model)
      : ctx(context), model(model), c(model.config), b(&context),
        loc(b.getUnknownLoc()) {}

  OwningOpRef<ModuleOp> build();

private:
  Type getElementType(WeightEncoding encoding) {
    switch (encoding) {
    case WeightEncoding::F16:
      return b.getF16Type();
    case WeightEncoding::BF16:
      return b.getBF16Type();
    default:
      return b.getF32Type();
    }
  }

  RankedTensorType getWeightType(const Weight &w) {
    if (!w.ternary)
      return RankedTensorType::get(w.shape, getElementType(w.encoding));
    Attribute encoding;
    if (w.encoding == WeightEncoding::I2_S)
      encoding = mlir::trit::PackingAttr::get(&ctx, mlir::trit::PackingKind::I2_S);
    else if (w.encoding == WeightEncoding::TQ2_0)
      encoding = mlir::trit::PackingAttr::get(&ctx, mlir::trit::PackingKind::TQ2_0);
    else if (w.encoding == WeightEncoding::TQ1_0)
      encoding = mlir::trit::PackingAttr::get(&ctx, mlir::trit::PackingKind::TQ1_0);
    else if (w.encoding == WeightEncoding::Q2_0 ||
             w.encoding == WeightEncoding::PQ2_0)
      encoding = mlir::trit::PackingAttr::get(
          &ctx, mlir::trit::PackingKind::Q2_0, w.groupSize, 1);
    else if (w.encoding == WeightEncoding::PTQ1_0)
      encoding = mlir::trit::PackingAttr::get(&ctx, mlir::trit::PackingKind::PTQ1_0);
    else if (w.encoding == WeightEncoding::Q1_0)
      encoding = mlir::trit::PackingAttr::get(&ctx, mlir::trit::PackingKind::Q1_0);
    return RankedTensorType::get(w.shape, mlir::trit::TernaryType::get(&ctx),
                                 encoding);
  }

  static std::string scaleName(StringRef weightName) {
    return (weightName.drop_back(strlen(".weight")) + ".scale").str();
  }

  void declareGlobals(ModuleOp module);
  void buildForward(ModuleOp module);
  void buildEntryPoints(ModuleOp module);

  /// Function-body helpers; they insert at the builder's position.
  Value weight(StringRef name) {
    auto global = globals.lookup(name);
    return b.create<mlir::trit::WeightOp>(loc, global.getType(), name);
  }
  /// An f32 norm weight, converted from f16/bf16 storage if needed.
  Value normWeight(StringRef name) {
    Value w = weight(name);
    auto type = cast<RankedTensorType>(w.getType());
    if (type.getElementType().isF32())
      return w;
    return b.create<arith::ExtFOp>(loc, type.clone(b.getF32Type()), w);
  }
  RankedTensorType rows(int64_t width) {
    return RankedTensorType::get({ShapedType::kDynamic, width},
                                 b.getF32Type());
  }
  Value rmsNorm(Value x, StringRef weightName) {
    return b.create<mlir::trit::RMSNormOp>(loc, x.getType(), x,
                                           normWeight(weightName),
                                           b.getF64FloatAttr(c.normEps));
  }
  Value bitLinear(Value quantized, StringRef weightName) {
    Value w = weight(weightName);
    Value s = weight(scaleName(weightName));
    int64_t out = cast<RankedTensorType>(w.getType()).getDimSize(0);
    return b.create<mlir::trit::BitLinearOp>(loc, rows(out), quantized, w, s,
                                             mlir::trit::KernelKindAttr());
  }
  /// Per-row activations (BitNet), or Q8_0 blocks of 32 for the
  /// group-scaled weights of Qwen3 (Ternary Bonsai).
  Value quantize(Value x) {
    int64_t width = cast<RankedTensorType>(x.getType()).getDimSize(1);
    int64_t shape[] = {ShapedType::kDynamic, width};
    int64_t block = c.family == ModelFamily::Qwen3 ? 32 : 0;
    return b.create<mlir::trit::QuantizeOp>(
        loc, mlir::trit::QActType::get(&ctx, shape, block), x);
  }
  Value rope(Value x, Value start) {
    auto mode = c.ropeStyle == RopeStyle::NeoX
                    ? mlir::trit::RopeMode::NeoX
                    : mlir::trit::RopeMode::Interleaved;
    FloatAttr yarnFactor;
    IntegerAttr yarnContext;
    if (c.ropeScalingFactor != 0) {
      yarnFactor = b.getF64FloatAttr(c.ropeScalingFactor);
      yarnContext = b.getI64IntegerAttr(c.ropeOriginalContext);
    }
    return b.create<mlir::trit::RopeOp>(
        loc, x.getType(), mlir::trit::RopeModeAttr::get(&ctx, mode), x, start,
        b.getI64IntegerAttr(c.headDim), b.getF64FloatAttr(c.ropeTheta),
        yarnFactor, yarnContext);
  }

  MLIRContext &ctx;
  const Model &model;
  const ModelConfig &c;
  OpBuilder b;
  Location loc;
  llvm::StringMap<mlir::trit::GlobalOp> globals;
  mlir::trit::KVCacheType cacheType;
  RankedTensorType logitsType;
};

void Builder::declareGlobals(ModuleOp module) {
  b.setInsertionPointToEnd(module.getBody());
  for (const Weight &w : model.weights) {
    auto external = mlir::trit::ExternalAttr::get(
        &ctx, w.sourceFile, w.sourceKey, mlir::trit::WeightPart::Data);
    globals[w.name] = b.create<mlir::trit::GlobalOp>(loc, w.name,
                                                     getWeightType(w), external);
    if (!w.ternary)
      continue;
    std::string name = scaleName(w.name);
    if (w.blockScales || w.groupSize) {
      // One f16 scale per block (256 weights of TQ, a group of Bonsai's).
      int64_t block = w.groupSize ? w.groupSize : 256;
      auto type = RankedTensorType::get({w.shape[0], w.shape[1] / block},
                                        b.getF16Type());
      globals[name] = b.create<mlir::trit::GlobalOp>(
          loc, name, type,
          mlir::trit::ExternalAttr::get(&ctx, w.sourceFile, w.sourceKey,
                                        mlir::trit::WeightPart::Scale));
    } else {
      auto type = RankedTensorType::get({}, b.getF32Type());
      globals[name] = b.create<mlir::trit::GlobalOp>(
          loc, name, type, DenseElementsAttr::get(type, w.scale));
    }
  }
}

void Builder::buildForward(ModuleOp module) {
  b.setInsertionPointToEnd(module.getBody());
  auto tokensType =
      RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type());
  auto forward = b.create<func::FuncOp>(
      loc, "forward",
      b.getFunctionType({tokensType, b.getIndexType(), cacheType},
                        {logitsType, cacheType}));
  forward.setPrivate();
  Block *entry = forward.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value tokens = entry->getArgument(0), start = entry->getArgument(1);
  Value cache = entry->getArgument(2);

  // A ternary table (Ternary Bonsai) comes with its group scales.
  auto tableScales = [&](StringRef name) -> Value {
    const Weight *w = model.lookup(name);
    return w && w->groupSize ? weight(scaleName(name)) : Value();
  };
  Value table = weight("token_embd.weight");
  Value h = b.create<mlir::trit::EmbeddingOp>(
      loc, rows(c.hiddenSize), table, tokens,
      tableScales("token_embd.weight"));
  int64_t qWidth = c.heads * c.headDim;
  auto gate = c.activation == Activation::Relu2 ? mlir::trit::GateKind::Relu2
                                                : mlir::trit::GateKind::Silu;
  for (int64_t i = 0; i < c.layers; ++i) {
    std::string p = "blk." + std::to_string(i) + ".";
    // Attention: q, k and v read one normalized, quantized input.
    Value qa = quantize(rmsNorm(h, p + "attn_norm.weight"));
    Value q = bitLinear(qa, p + "attn_q.weight");
    Value k = bitLinear(qa, p + "attn_k.weight");
    if (c.qkNorm) { // per head, before RoPE (Qwen3)
      q = rmsNorm(q, p + "attn_q_norm.weight");
      k = rmsNorm(k, p + "attn_k_norm.weight");
    }
    q = rope(q, start);
    k = rope(k, start);
    Value v = bitLinear(qa, p + "attn_v.weight");
    cache = b.create<mlir::trit::KVStoreOp>(loc, cacheType, k, v, cache,
                                            b.getI64IntegerAttr(i), start);
    Value attn = b.create<mlir::trit::AttentionOp>(
        loc, rows(qWidth), q, cache, b.getI64IntegerAttr(i), start,
        b.getI64IntegerAttr(c.heads), FloatAttr());
    if (c.subNorms)
      attn = rmsNorm(attn, p + "attn_sub_norm.weight");
    Value o = bitLinear(quantize(attn), p + "attn_output.weight");
    h = b.create<mlir::trit::AddOp>(loc, h, o);

    // Gated FFN.
    Value qf = quantize(rmsNorm(h, p + "ffn_norm.weight"));
    Value g = bitLinear(qf, p + "ffn_gate.weight");
    Value u = bitLinear(qf, p + "ffn_up.weight");
    Value m = b.create<mlir::trit::GateOp>(
        loc, mlir::trit::GateKindAttr::get(&ctx, gate), g, u);
    if (c.subNorms)
      m = rmsNorm(m, p + "ffn_sub_norm.weight");
    Value d = bitLinear(quantize(m), p + "ffn_down.weight");
    h = b.create<mlir::trit::AddOp>(loc, h, d);
  }
  Value y = rmsNorm(h, "output_norm.weight");
  StringRef headName = c.tiedEmbedding ? "token_embd.weight" : "output.weight";
  Value head = c.tiedEmbedding ? table : weight(headName);
  Value logits = b.create<mlir::trit::LMHeadOp>(loc, logitsType, y, head,
                                                tableScales(headName));
  b.create<func::ReturnOp>(loc, ValueRange{logits, cache});
}

void Builder::buildEntryPoints(ModuleOp module) {
  auto tokensType =
      RankedTensorType::get({ShapedType::kDynamic}, b.getI32Type());
  auto call = [&](Value tokens, Value start, Value cache) {
    return b.create<func::CallOp>(loc, "forward",
                                  TypeRange{logitsType, cacheType},
                                  ValueRange{tokens, start, cache});
  };

  // prefill: a run of tokens at positions start, start+1, ...
  b.setInsertionPointToEnd(module.getBody());
  auto prefill = b.create<func::FuncOp>(
      loc, "prefill",
      b.getFunctionType({tokensType, b.getIndexType(), cacheType},
                        {logitsType, cacheType}));
  prefill->setAttr(mlir::trit::TritDialect::kEntryPointAttrName, b.getStringAttr("prefill"));
  Block *entry = prefill.addEntryBlock();
  b.setInsertionPointToStart(entry);
  auto forward = call(entry->getArgument(0), entry->getArgument(1),
                      entry->getArgument(2));
  b.create<func::ReturnOp>(loc, forward.getResults());

  // decode: one token; static shapes let the compiler specialize for it.
  b.setInsertionPointToEnd(module.getBody());
  auto oneToken = RankedTensorType::get({1}, b.getI32Type());
  auto oneRow = RankedTensorType::get({1, c.vocabSize}, b.getF32Type());
  auto decode = b.create<func::FuncOp>(
      loc, "decode",
      b.getFunctionType({oneToken, b.getIndexType(), cacheType},
                        {oneRow, cacheType}));
  decode->setAttr(mlir::trit::TritDialect::kEntryPointAttrName, b.getStringAttr("decode"));
  entry = decode.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value tokens =
      b.create<tensor::CastOp>(loc, tokensType, entry->getArgument(0));
  forward = call(tokens, entry->getArgument(1), entry->getArgument(2));
  Value row = b.create<tensor::CastOp>(loc, oneRow, forward.getResult(0));
  b.create<func::ReturnOp>(loc, ValueRange{row, forward.getResult(1)});
}

OwningOpRef<ModuleOp> Builder::build() {
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  cacheType = mlir::trit::KVCacheType::get(&ctx, c.layers, c.kvHeads,
                                           c.headDim, b.getF16Type());
  logitsType = rows(c.vocabSize);
  const TokenizerData &t = model.tokenizer;
  NamedAttrList hparams;
  hparams.append("architecture", b.getStringAttr(c.architecture));
  hparams.append("vocab_size", b.getI64IntegerAttr(c.vocabSize));
  hparams.append("context_length", b.getI64IntegerAttr(c.contextLength));
  hparams.append("hidden_size", b.getI64IntegerAttr(c.hiddenSize));
  hparams.append("ffn_size", b.getI64IntegerAttr(c.ffnSize));
  hparams.append("layers", b.getI64IntegerAttr(c.layers));
  hparams.append("heads", b.getI64IntegerAttr(c.heads));
  hparams.append("kv_heads", b.getI64IntegerAttr(c.kvHeads));
  hparams.append("head_dim", b.getI64IntegerAttr(c.headDim));
  hparams.append("bos_token_id", b.getI64IntegerAttr(t.bosId));
  hparams.append("eos_token_id", b.getI64IntegerAttr(t.eosId));
  hparams.append("eot_token_id", b.getI64IntegerAttr(t.eotId));
  (*module)->setAttr(mlir::trit::TritDialect::kModelAttrName, hparams.getDictionary(&ctx));

  declareGlobals(*module);
  buildForward(*module);
  buildEntryPoints(*module);
  return module;
}

} // namespace

OwningOpRef<ModuleOp> buildModule(MLIRContext &context, const Model &model) {
  context.loadDialect<mlir::trit::TritDialect, arith::ArithDialect,
                      func::FuncDialect, tensor::TensorDialect>();
  return Builder(context, model).build();
}

void writeTokenizerJSON(const TokenizerData &t, llvm::raw_ostream &os) {
  llvm::json::OStream json(os, /*IndentSize=*/1);
  json.object([&] {
    json.attribute("model", t.model);
    json.attribute("pre", t.pre);
    json.attribute("bos_token_id", t.bosId);
    json.attribute("eos_token_id", t.eosId);
    json.attribute("eot_token_id", t.eotId);
    json.attribute("add_bos_token", t.addBos);
    json.attribute("chat_template", t.chatTemplate);
    json.attributeArray("tokens", [&] {
      for (const std::string &s : t.tokens)
        json.value(s);
    });
    json.attributeArray("token_types", [&] {
      for (int32_t type : t.tokenTypes)
        json.value(type);
    });
    json.attributeArray("merges", [&] {
      for (const std::string &s : t.merges)
        json.value(s);
    });
  });
  os << "\n";
}

} // namespace trit
