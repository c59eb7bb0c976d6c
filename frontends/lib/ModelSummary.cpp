//===- ModelSummary.cpp - a readable, encoding-independent model summary --===//

#include "ModelInternal.h"

#include "llvm/Support/Format.h"


using namespace llvm;

namespace trit {

namespace {
/// 64-bit FNV-1a.
struct Digest {
  uint64_t state = 0xcbf29ce484222325ull;
  void add(const void *data, size_t size) {
    const uint8_t *p = static_cast<const uint8_t *>(data);
    for (size_t i = 0; i < size; ++i)
      state = (state ^ p[i]) * 0x100000001b3ull;
  }
};
} // namespace

Error writeModelSummary(const Model &model, raw_ostream &os) {
  const ModelConfig &c = model.config;
  os << "architecture: " << c.architecture << "\n"
     << "layers: " << c.layers << ", hidden: " << c.hiddenSize
     << ", ffn: " << c.ffnSize << ", heads: " << c.heads << " (kv "
     << c.kvHeads << ") x " << c.headDim << ", vocab: " << c.vocabSize
     << ", context: " << c.contextLength << "\n"
     << "activation: " << (c.activation == Activation::Relu2 ? "relu2" : "silu")
     << ", rope: " << (c.ropeStyle == RopeStyle::NeoX ? "neox" : "interleaved")
     << " theta " << c.ropeTheta << ", norm eps " << c.normEps
     << ", sub-norms: " << (c.subNorms ? "yes" : "no")
     << ", tied embedding: " << (c.tiedEmbedding ? "yes" : "no");
  if (c.qkNorm)
    os << ", qk-norm: yes";
  if (c.ropeScalingFactor != 0)
    os << ", yarn: factor " << format("%g", c.ropeScalingFactor)
       << " (original context "
       << c.ropeOriginalContext << ")";
  os << "\n";
  const TokenizerData &t = model.tokenizer;
  os << "tokenizer: " << t.model << (t.pre.empty() ? "" : " (" + t.pre + ")")
     << ", " << t.tokens.size() << " tokens, " << t.merges.size()
     << " merges, bos " << t.bosId << ", eos " << t.eosId << ", eot "
     << t.eotId << "\n";

  std::vector<const Weight *> sorted;
  for (const Weight &w : model.weights)
    sorted.push_back(&w);
  llvm::sort(sorted, [](const Weight *a, const Weight *b) {
    return a->name < b->name;
  });
  for (const Weight *w : sorted) {
    Digest digest;
    size_t n = 1;
    for (int64_t d : w->shape)
      n *= size_t(d);
    os << "tensor " << w->name << " [";
    llvm::interleaveComma(w->shape, os);
    os << "] ";
    if (w->ternary) {
      Expected<std::vector<int8_t>> values = decodeTernary(*w);
      if (!values)
        return values.takeError();
      digest.add(values->data(), values->size());
      if (w->groupSize != 0) {
        // The f16 bits of the group scales, row-major.
        Expected<std::vector<uint16_t>> scales = decodeGroupScales(*w);
        if (!scales)
          return scales.takeError();
        Digest scaleDigest;
        for (uint16_t d : *scales) {
          uint8_t bytes[2] = {uint8_t(d), uint8_t(d >> 8)};
          scaleDigest.add(bytes, 2);
        }
        os << "ternary group " << w->groupSize << " scales "
           << format_hex_no_prefix(scaleDigest.state, 16);
      } else {
        os << "ternary scale " << format("%.9g", double(w->scale));
      }
    } else {
      for (size_t i = 0; i < n; ++i) {
        float f = loadFloatElement(*w, i);
        digest.add(&f, 4);
      }
      os << "float";
    }
    os << " digest " << format_hex_no_prefix(digest.state, 16) << " ("
       << getWeightEncodingName(w->encoding) << ")\n";
  }
  return Error::success();
}

} // namespace trit
