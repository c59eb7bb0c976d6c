//===- Model.h - a model as the importers describe it -----------*- C++ -*-===//
//
// The neutral description of a ternary model that both importers (GGUF and
// Hugging Face) produce and the builder turns into a trit module: the
// architecture and hyperparameters, the tokenizer data, and a table of
// weights whose bytes stay in the mapped source files.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_FRONTENDS_MODEL_H
#define TRIT_FRONTENDS_MODEL_H

#include "trit/Frontends/MappedFile.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace trit {

/// The model families Trit imports.
enum class ModelFamily {
  /// BitNet b1.58 2B4T (`bitnet-b1.58`, `bitnet-25`): ReLU^2 gated FFN,
  /// sub-norms, NeoX RoPE, tied embedding.
  BitNetB158,
  /// 1bitLLM BitNet (`bitnet`): SiLU gated FFN, sub-norms, tied embedding.
  BitNet,
  /// Llama-architecture 1.58-bit models (Llama3-8B-1.58, Falcon3-1.58bit):
  /// SiLU, no sub-norms, separate output matrix.
  Llama,
  /// Qwen3-architecture ternary models (PrismML's Ternary Bonsai, `qwen3`):
  /// SiLU, no sub-norms, per-head RMSNorm of q and k before NeoX RoPE
  /// (QK-norm), every matrix group-scaled ternary (embedding and LM head
  /// included), activations quantized in Q8_0 blocks of 32.
  Qwen3,
};

enum class Activation { Relu2, Silu };
enum class RopeStyle { NeoX, Interleaved };

struct ModelConfig {
  /// The architecture string of the source (`bitnet-b1.58`, `llama`, ...).
  std::string architecture;
  ModelFamily family = ModelFamily::BitNetB158;
  int64_t vocabSize = 0;
  int64_t contextLength = 0;
  int64_t hiddenSize = 0;
  int64_t ffnSize = 0;
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kvHeads = 0;
  int64_t headDim = 0;
  double ropeTheta = 10000.0;
  double normEps = 1e-5;
  Activation activation = Activation::Relu2;
  /// How RoPE pairs elements for the q/k rows as the source stores them:
  /// llama.cpp permutes llama q/k rows for interleaved pairs, Hugging Face
  /// keeps them in NeoX order.
  RopeStyle ropeStyle = RopeStyle::NeoX;
  bool subNorms = true;
  bool tiedEmbedding = true;
  /// Per-head RMSNorm of q and k (attn_q_norm / attn_k_norm, headDim wide)
  /// before RoPE, as Qwen3 does.
  bool qkNorm = false;
  /// YaRN context extension (`rope.scaling.type` = "yarn"): 0 when absent.
  double ropeScalingFactor = 0.0;
  int64_t ropeOriginalContext = 0;
};

/// Tokenizer data in a neutral form for the runtime.
struct TokenizerData {
  /// "gpt2" (byte-level BPE) or "llama" (SentencePiece).
  std::string model;
  /// Pre-tokenizer name ("llama-bpe", ...), empty when the source has none.
  std::string pre;
  std::vector<std::string> tokens;
  /// Per token: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused,
  /// 6 byte (GGUF's token types).
  std::vector<int32_t> tokenTypes;
  std::vector<float> scores;
  /// "left right" pairs in priority order.
  std::vector<std::string> merges;
  int64_t bosId = -1;
  int64_t eosId = -1;
  int64_t eotId = -1;
  bool addBos = true;
  std::string chatTemplate;
};

/// How the bytes of a weight are stored in its source file.
enum class WeightEncoding {
  F32,
  F16,
  BF16,
  /// bitnet.cpp I2_S: 128-element blocks, MSB first, trailing f32 scale.
  I2_S,
  /// llama.cpp TQ2_0 / TQ1_0: 256-element blocks with an f16 scale each.
  TQ2_0,
  TQ1_0,
  /// Hugging Face BitNet packing: uint8 [rows/4, cols], byte (r, c) holds
  /// rows r, r+R, r+2R, r+3R in bit pairs 1:0, 3:2, 5:4, 7:6.
  HFPacked,
  /// Ternary Bonsai's group-scaled 2-bit codec (GGUF id 42 "Q2_0"): per
  /// 64 weights an f16 d, then 16 bytes of codes (element j in bits
  /// 2*(j%4) of byte j/4, value code - 1).
  Q2_0,
  /// The same codec in groups of 128 (34-byte blocks): PrismML's PQ2_0
  /// (id 142) and the legacy fork's Q2_0 stored under id 42.
  PQ2_0,
  /// PrismML's PTQ1_0 (id 143): 128 base-3 weights in 24 + 2 bytes, then d.
  PTQ1_0,
  /// Binary Q1_0 (id 41): d, then 128 sign bits (set: +d, clear: -d).
  Q1_0,
};

llvm::StringRef getWeightEncodingName(WeightEncoding encoding);

struct Weight {
  /// Canonical (GGUF-style) name: `token_embd.weight`, `blk.3.attn_q.weight`.
  std::string name;
  /// The file the bytes are in, as the user named it, and the tensor's name
  /// there.
  std::string sourceFile;
  std::string sourceKey;
  /// Torch order: {rows, cols} for matrices (out, in), {n} for vectors.
  std::vector<int64_t> shape;
  /// A ternary matrix of a BitLinear (stored packed, or as floats to be
  /// ternarized: F32/F16/BF16 with `ternary` set).
  bool ternary = false;
  WeightEncoding encoding = WeightEncoding::F32;
  llvm::ArrayRef<uint8_t> data;
  /// Ternary weights: the per-tensor multiplier (w = scale * t), resolved at
  /// import from the format's own scale (I2_S trailing f32, uniform TQ block
  /// scales, HF weight_scale or its inverse) or derived from float weights
  /// (absmean for Hugging Face masters, max|w| for GGUF floats, as
  /// bitnet.cpp does). Not used when `blockScales` is set, nor for
  /// group-scaled weights (`groupSize` != 0), where it is 1.
  float scale = 1.0f;
  /// TQ weights whose blocks have different scales keep them per block.
  bool blockScales = false;
  /// Group-scaled ternary (Q2_0, PQ2_0, PTQ1_0, Q1_0): weights per f16
  /// scale along a row (64 or 128), read by decodeGroupScales; 0 for the
  /// per-tensor `scale`.
  int64_t groupSize = 0;
  /// A float ternary weight that is a full-precision master (Hugging Face):
  /// ternarized by absmean. Otherwise float ternary weights already hold
  /// scale * t (GGUF F32/F16) and are ternarized by sign.
  bool master = false;
};

class Model {
public:
  ModelConfig config;
  TokenizerData tokenizer;
  std::vector<Weight> weights;

  const Weight *lookup(llvm::StringRef name) const;
  /// The weight stored in `sourceFile` under `sourceKey`: how the compiler
  /// resolves a `#trit.external<sourceFile, sourceKey>` global to its bytes.
  const Weight *lookupExternal(llvm::StringRef sourceFile,
                               llvm::StringRef sourceKey) const;
  /// Builds the name index and checks that every tensor the architecture
  /// needs is present with the right shape; errors name the source path.
  llvm::Error finalize(llvm::StringRef sourcePath);

  /// Keeps the mapped source files alive as long as the model.
  std::vector<std::shared_ptr<MappedFile>> files;

private:
  llvm::StringMap<size_t> index;
  /// "file\0key" -> weight.
  llvm::StringMap<size_t> externalIndex;
};

/// Imports a GGUF file or a Hugging Face folder (config.json + safetensors).
llvm::Expected<std::unique_ptr<Model>> importModel(llvm::StringRef path);
llvm::Expected<std::unique_ptr<Model>> importGGUF(llvm::StringRef path);
llvm::Expected<std::unique_ptr<Model>> importHuggingFace(llvm::StringRef dir);

/// The ternary values of a weight, row-major {rows x cols} in {-1, 0, +1},
/// decoded from whatever encoding the source uses. (Q2_0 and PQ2_0's code 3,
/// legal though no ternary model has it, decodes to +2.)
llvm::Expected<std::vector<int8_t>> decodeTernary(const Weight &weight);

/// The f16 scales (IEEE binary16 bits) of a group-scaled weight
/// (`groupSize` != 0), row-major {rows x cols / groupSize}.
llvm::Expected<std::vector<uint16_t>> decodeGroupScales(const Weight &weight);

/// Element `i` (row-major) of a weight stored as F32, F16 or BF16, as a
/// float. The packers of the layouts the compiled code reads
/// (trit/Compiler/WeightLayouts.h) read float weights through it.
float loadFloatElement(const Weight &weight, size_t i);

/// Checks a model's hyperparameters for consistency (heads divide, sizes
/// positive); `source` names the file in the message.
llvm::Error validateConfig(const ModelConfig &config, llvm::StringRef source);

} // namespace trit

#endif // TRIT_FRONTENDS_MODEL_H

namespace trit {
/// Writes a human-readable summary of `model`: the hyperparameters, the
/// tokenizer, and one line per weight with a digest of its decoded values
/// (ternary values and scale, or the floats) that does not depend on how the
/// source encodes them. Two files that hold the same model give the same
/// digests.
llvm::Error writeModelSummary(const Model &model, llvm::raw_ostream &os);
} // namespace trit
