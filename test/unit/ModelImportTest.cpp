//===- ModelImportTest.cpp - importing generated models -------------------===//
//
// Imports models written by tools/trit-gen-model.py and checks what the
// compiler relies on: every external global of the built module resolves to
// a weight of the same shape through the model (the weight store), and the
// ternary values of a GGUF file and a Hugging Face folder of one seed agree.
//
//===----------------------------------------------------------------------===//

#include "trit/Compiler/WeightLayouts.h"
#include "trit/Dialect/TritOps.h"
#include "trit/Frontends/ModelBuilder.h"

#include "GGUFBuilder.h"
#include "trit/Frontends/GGUF.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <map>
#include <random>

#include <gtest/gtest.h>

using namespace trit;

namespace {

/// Writes a generated model into a fresh temporary path.
std::string generate(llvm::ArrayRef<llvm::StringRef> args) {
  llvm::SmallString<128> dir;
  EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("trit-import", dir));
  std::string out = (dir + "/model").str();
  std::vector<llvm::StringRef> argv = {"/usr/bin/python3", TRIT_GEN_MODEL, out};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(argv[0], argv, std::nullopt, {}, 0, 0,
                                     &error);
  EXPECT_EQ(rc, 0) << error;
  return out;
}

TEST(ModelImport, EveryExternalGlobalResolvesToItsWeight) {
  std::string path = generate({"--format", "gguf", "--seed", "5"});
  auto model = importModel(path);
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  mlir::MLIRContext context;
  auto module = buildModule(context, **model);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
  int resolved = 0;
  module->walk([&](mlir::trit::GlobalOp global) {
    auto external = llvm::dyn_cast<mlir::trit::ExternalAttr>(global.getValue());
    if (!external)
      return;
    const Weight *w =
        (*model)->lookupExternal(external.getSource(), external.getKey());
    ASSERT_TRUE(w) << global.getSymName().str();
    EXPECT_EQ(w->name, global.getSymName());
    EXPECT_EQ(llvm::ArrayRef<int64_t>(w->shape),
              global.getTensorType().getShape());
    ++resolved;
  });
  EXPECT_EQ(resolved, int((*model)->weights.size()));
  EXPECT_FALSE((*model)->lookupExternal(path, "no.such.tensor"));
}

TEST(ModelImport, GGUFAndHuggingFaceFormsDecodeToTheSameTernaryValues) {
  std::string gguf = generate({"--format", "gguf", "--type", "tq1_0"});
  std::string hf = generate({"--format", "hf"});
  auto a = importModel(gguf);
  auto b = importModel(hf);
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  int compared = 0;
  for (const Weight &w : (*a)->weights) {
    if (!w.ternary)
      continue;
    const Weight *other = (*b)->lookup(w.name);
    ASSERT_TRUE(other);
    EXPECT_EQ(w.encoding, WeightEncoding::TQ1_0);
    EXPECT_EQ(other->encoding, WeightEncoding::HFPacked);
    auto x = decodeTernary(w), y = decodeTernary(*other);
    ASSERT_TRUE(x && y);
    EXPECT_EQ(*x, *y) << w.name;
    EXPECT_EQ(w.scale, other->scale) << w.name;
    ++compared;
  }
  EXPECT_EQ(compared, 14); // 2 layers x 7 linears
  EXPECT_EQ((*a)->tokenizer.tokens, (*b)->tokenizer.tokens);
  EXPECT_EQ((*a)->tokenizer.merges, (*b)->tokenizer.merges);
  EXPECT_EQ((*a)->tokenizer.eotId, (*b)->tokenizer.eotId);
}

TEST(ModelImport, EverySourcePacksToTheSameI2SBytes) {
  std::string reference = generate({"--format", "gguf", "--seed", "11"});
  auto i2s = importModel(reference);
  ASSERT_TRUE(bool(i2s)) << llvm::toString(i2s.takeError());
  std::vector<std::vector<llvm::StringRef>> sources = {
      {"--format", "gguf", "--seed", "11", "--type", "tq1_0"},
      {"--format", "gguf", "--seed", "11", "--type", "tq2_0"},
      {"--format", "gguf", "--seed", "11", "--type", "f16"},
      {"--format", "hf", "--seed", "11"}};
  for (const auto &args : sources) {
    auto model = importModel(generate(args));
    ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
    for (const Weight &w : (*i2s)->weights) {
      if (!w.ternary)
        continue;
      std::vector<uint8_t> refStorage, storage;
      auto expected = packWeight(w, WeightLayout::I2_S, refStorage);
      ASSERT_TRUE(bool(expected));
      // An I2_S source is used in place, not copied.
      EXPECT_TRUE(refStorage.empty());
      EXPECT_EQ(expected->data(), w.data.data());
      auto packed =
          packWeight(*(*model)->lookup(w.name), WeightLayout::I2_S, storage);
      ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
      EXPECT_EQ(*packed, *expected) << w.name << " from " << args[1].str();
    }
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Ternary Bonsai (qwen3, group-scaled ternary types)
//===----------------------------------------------------------------------===//

namespace {

using trit::test::GGUFBuilder;

/// A weight of `encoding` over `data`, {rows x cols}.
Weight groupWeight(WeightEncoding encoding, int64_t groupSize, int64_t rows,
                   int64_t cols, const std::vector<uint8_t> &data) {
  Weight w;
  w.name = w.sourceKey = "blk.0.attn_q.weight";
  w.sourceFile = "test.gguf";
  w.shape = {rows, cols};
  w.ternary = true;
  w.encoding = encoding;
  w.groupSize = groupSize;
  w.data = data;
  return w;
}

TEST(GroupTernary, DecodesQ2_0AndPQ2_0) {
  // Codes 0..3 are -1, 0, +1 and (legal, never in a ternary model) +2; four
  // to a byte from bit 0. 0x55 is four zeros.
  for (auto [encoding, group] : {std::pair{WeightEncoding::Q2_0, 64},
                                 std::pair{WeightEncoding::PQ2_0, 128}}) {
    size_t bytes = 2 + group / 4;
    std::vector<uint8_t> data(2 * bytes, 0x55);
    data[0] = 0x00, data[1] = 0x3c;                     // d = 1.0
    data[bytes] = 0x00, data[bytes + 1] = 0xc0;         // d = -2.0
    data[2] = 0b11100100;                               // -1, 0, +1, +2
    data[bytes + 2 + group / 4 - 1] = 0b00011011;       // last: +2, +1, 0, -1
    Weight w = groupWeight(encoding, group, 1, 2 * group, data);
    auto values = decodeTernary(w);
    ASSERT_TRUE(bool(values)) << llvm::toString(values.takeError());
    std::vector<int8_t> expected(2 * group, 0);
    expected[0] = -1, expected[2] = 1, expected[3] = 2;
    expected[2 * group - 4] = 2, expected[2 * group - 3] = 1;
    expected[2 * group - 1] = -1;
    EXPECT_EQ(*values, expected) << getWeightEncodingName(encoding).str();
    auto scales = decodeGroupScales(w);
    ASSERT_TRUE(bool(scales));
    EXPECT_EQ(*scales, (std::vector<uint16_t>{0x3c00, 0xc000}));
  }
}

TEST(GroupTernary, DecodesPTQ1_0InTheForksDigitOrder) {
  // qs[24], qh[2], d. A byte holds ceil(v * 256 / 243) for the base-3 v of
  // its trits (trit 0 most significant; qh bytes four trits, times 3). 128
  // is all ones (zeros). Trits (2, 0, 1, 0, 0) are 181, (0, 2, 2, 1, 0) 80,
  // qh trits (0, 2, 1, 1) 70.
  std::vector<uint8_t> data(28, 128);
  data[0] = 181;  // elements 0, 16, 32, 48, 64 of the 16-byte stage
  data[16] = 80;  // elements 80, 88, 96, 104, 112 of the 8-byte stage
  data[25] = 70;  // qh[1]: elements 121, 123, 125, 127
  data[26] = 0x00, data[27] = 0x38; // d = 0.5, last
  Weight w = groupWeight(WeightEncoding::PTQ1_0, 128, 1, 128, data);
  auto values = decodeTernary(w);
  ASSERT_TRUE(bool(values)) << llvm::toString(values.takeError());
  std::vector<int8_t> expected(128, 0);
  expected[0] = 1, expected[16] = -1, expected[48] = -1, expected[64] = -1;
  expected[80] = -1, expected[88] = 1, expected[96] = 1, expected[112] = -1;
  expected[121] = -1, expected[123] = 1;
  EXPECT_EQ(*values, expected);
  auto scales = decodeGroupScales(w);
  ASSERT_TRUE(bool(scales));
  EXPECT_EQ(*scales, std::vector<uint16_t>{0x3800});

  // Every byte is legal: each of the 256 decodes to trits in {-1, 0, 1},
  // and the five trits of ceil(v * 256 / 243) are those of v.
  for (int v = 0; v < 243; ++v) {
    std::vector<uint8_t> block(28, 128);
    block[0] = uint8_t((v * 256 + 242) / 243);
    Weight one = groupWeight(WeightEncoding::PTQ1_0, 128, 1, 128, block);
    auto trits = decodeTernary(one);
    ASSERT_TRUE(bool(trits));
    int back = 0;
    for (int n = 0; n < 5; ++n)
      back = back * 3 + ((*trits)[16 * n] + 1);
    EXPECT_EQ(back, v);
  }
}

TEST(GroupTernary, DecodesQ1_0Signs) {
  std::vector<uint8_t> data(18, 0);
  data[0] = 0x00, data[1] = 0x40; // d = 2.0
  data[2] = 0x05;                 // elements 0 and 2 set
  data[17] = 0x80;                // element 127 set
  Weight w = groupWeight(WeightEncoding::Q1_0, 128, 1, 128, data);
  auto values = decodeTernary(w);
  ASSERT_TRUE(bool(values)) << llvm::toString(values.takeError());
  std::vector<int8_t> expected(128, -1);
  expected[0] = expected[2] = expected[127] = 1;
  EXPECT_EQ(*values, expected);
  EXPECT_EQ(*decodeGroupScales(w), std::vector<uint16_t>{0x4000});
}

TEST(GroupTernary, ScalesAreRowMajorAndShapesAreChecked) {
  // 2 rows x 256 in Q2_0: 4 groups per row.
  std::vector<uint8_t> data(8 * 18, 0x55);
  for (int g = 0; g < 8; ++g)
    data[g * 18] = uint8_t(g), data[g * 18 + 1] = 0x3c;
  Weight w = groupWeight(WeightEncoding::Q2_0, 64, 2, 256, data);
  auto scales = decodeGroupScales(w);
  ASSERT_TRUE(bool(scales));
  EXPECT_EQ(*scales, (std::vector<uint16_t>{0x3c00, 0x3c01, 0x3c02, 0x3c03,
                                            0x3c04, 0x3c05, 0x3c06, 0x3c07}));

  Weight wrongGroup = w;
  wrongGroup.groupSize = 128;
  EXPECT_EQ(llvm::toString(decodeTernary(wrongGroup).takeError()),
            "test.gguf: tensor 'blk.0.attn_q.weight' (Q2_0) has groups of "
            "128, not 64");
  Weight ragged = groupWeight(WeightEncoding::PQ2_0, 128, 1, 192, data);
  EXPECT_EQ(llvm::toString(decodeGroupScales(ragged).takeError()),
            "test.gguf: tensor 'blk.0.attn_q.weight' has rows of 192 weights, "
            "not a multiple of the 128-weight groups of PQ2_0");
  Weight shortData = groupWeight(WeightEncoding::Q2_0, 64, 4, 256, data);
  EXPECT_EQ(llvm::toString(decodeTernary(shortData).takeError()),
            "test.gguf: tensor 'blk.0.attn_q.weight' holds 144 bytes; its "
            "shape needs 288");
  Weight flat = w;
  flat.groupSize = 0;
  flat.encoding = WeightEncoding::F32;
  EXPECT_EQ(llvm::toString(decodeGroupScales(flat).takeError()),
            "test.gguf: tensor 'blk.0.attn_q.weight' (F32) has no group "
            "scales");
}

/// How a generated Bonsai-like file is stored: a ggml type id per matrix and
/// the block geometry that goes with it.
struct GroupType {
  uint32_t id;
  uint64_t group, blockBytes, scaleAt;
};
constexpr GroupType kQ2_0{42, 64, 18, 0}, kLegacyQ2_0{42, 128, 34, 0},
    kPQ2_0{142, 128, 34, 0}, kPTQ1_0{143, 128, 28, 26}, kQ1_0{41, 128, 18, 0};

/// A small qwen3 model: 1 layer, hidden 128, 4 heads of 64 (key_length is
/// not hidden / heads), 2 KV heads, ffn 256, 6 tokens.
struct Qwen3File {
  GroupType type = kQ2_0;
  bool untied = false;
  uint32_t valueLength = 64;
  std::string architecture = "qwen3";
  /// Tensors to leave out, and ggml types to store some tensors in instead.
  std::vector<std::string> omit;
  std::map<std::string, uint32_t> typeOf;
  std::map<std::string, std::vector<uint64_t>> dimsOf;
  std::function<void(GGUFBuilder &)> extraKeys;

  std::vector<uint8_t> build() const {
    GGUFBuilder b;
    std::string a = architecture + ".";
    b.addString("general.architecture", architecture)
        .add<uint32_t>(a + "block_count", 4, 1)
        .add<uint32_t>(a + "context_length", 4, 4096)
        .add<uint32_t>(a + "embedding_length", 4, 128)
        .add<uint32_t>(a + "feed_forward_length", 4, 256)
        .add<uint32_t>(a + "attention.head_count", 4, 4)
        .add<uint32_t>(a + "attention.head_count_kv", 4, 2)
        .add<uint32_t>(a + "attention.key_length", 4, 64)
        .add<uint32_t>(a + "attention.value_length", 4, valueLength)
        .add<float>(a + "rope.freq_base", 6, 1000000.0f)
        .add<float>(a + "attention.layer_norm_rms_epsilon", 6, 1e-6f)
        .addString("tokenizer.ggml.model", "gpt2")
        .addString("tokenizer.ggml.pre", "qwen2")
        .addStringArray("tokenizer.ggml.tokens",
                        {"a", "b", "c", "<|endoftext|>", "<|im_start|>",
                         "<|im_end|>"})
        .addStringArray("tokenizer.ggml.merges", {"a b"})
        .add<uint32_t>("tokenizer.ggml.eos_token_id", 4, 5);
    if (extraKeys)
      extraKeys(b);
    std::mt19937 rng(1);
    auto matrix = [&](const std::string &name, uint64_t cols, uint64_t rows) {
      if (std::count(omit.begin(), omit.end(), name))
        return;
      std::vector<uint64_t> dims = {cols, rows};
      if (dimsOf.count(name))
        dims = dimsOf.at(name);
      uint64_t n = dims[0] * dims[1];
      auto other = typeOf.find(name);
      if (other != typeOf.end()) {
        uint64_t bytes = other->second == 0 ? 4 : 2;
        b.addTensor({name, dims, other->second,
                     std::vector<uint8_t>(n * bytes, 0)});
        return;
      }
      std::vector<uint8_t> data(n / type.group * type.blockBytes);
      for (uint8_t &byte : data)
        byte = uint8_t(rng());
      for (size_t at = type.scaleAt; at < data.size(); at += type.blockBytes)
        data[at] = 0x00, data[at + 1] = uint8_t(0x2c + rng() % 8); // 2^-4..
      b.addTensor({name, dims, type.id, data});
    };
    auto vector = [&](const std::string &name, uint64_t n) {
      if (std::count(omit.begin(), omit.end(), name))
        return;
      uint32_t t = typeOf.count(name) ? typeOf.at(name) : 0;
      std::vector<uint64_t> dims = {n};
      if (dimsOf.count(name))
        dims = dimsOf.at(name);
      std::vector<uint8_t> data(dims[0] * 4, 0);
      if (t == 42 || t == 142)
        data.resize(dims[0] / 64 * 18);
      b.addTensor({name, dims, t, data});
    };
    matrix("token_embd.weight", 128, 6);
    vector("output_norm.weight", 128);
    if (untied)
      matrix("output.weight", 128, 6);
    vector("blk.0.attn_norm.weight", 128);
    matrix("blk.0.attn_q.weight", 128, 256);
    matrix("blk.0.attn_k.weight", 128, 128);
    matrix("blk.0.attn_v.weight", 128, 128);
    matrix("blk.0.attn_output.weight", 256, 128);
    vector("blk.0.attn_q_norm.weight", 64);
    vector("blk.0.attn_k_norm.weight", 64);
    vector("blk.0.ffn_norm.weight", 128);
    matrix("blk.0.ffn_gate.weight", 128, 256);
    matrix("blk.0.ffn_up.weight", 128, 256);
    matrix("blk.0.ffn_down.weight", 256, 128);
    return b.build();
  }

  /// Writes the file and imports it.
  llvm::Expected<std::unique_ptr<Model>> import(std::string *pathOut = nullptr)
      const {
    llvm::SmallString<128> path;
    EXPECT_FALSE(
        llvm::sys::fs::createTemporaryFile("trit-qwen3", "gguf", path));
    std::vector<uint8_t> bytes = build();
    {
      std::error_code ec;
      llvm::raw_fd_ostream out(path, ec);
      EXPECT_FALSE(ec);
      out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    }
    if (pathOut)
      *pathOut = path.str().str();
    // The model maps the file, which outlives its name.
    auto model = importModel(path);
    llvm::sys::fs::remove(path);
    return model;
  }

  /// The import error, with the file's path cut to "F".
  std::string error() const {
    std::string path;
    auto model = import(&path);
    if (model)
      return "";
    std::string message = llvm::toString(model.takeError());
    if (message.rfind(path, 0) == 0)
      message = "F" + message.substr(path.size());
    return message;
  }
};

TEST(Qwen3Import, ReadsTheConfigAndEveryGroupType) {
  for (auto [type, encoding] :
       {std::pair{kQ2_0, WeightEncoding::Q2_0},
        std::pair{kLegacyQ2_0, WeightEncoding::PQ2_0},
        std::pair{kPQ2_0, WeightEncoding::PQ2_0},
        std::pair{kPTQ1_0, WeightEncoding::PTQ1_0},
        std::pair{kQ1_0, WeightEncoding::Q1_0}}) {
    Qwen3File f;
    f.type = type;
    auto model = f.import();
    ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
    const ModelConfig &c = (*model)->config;
    EXPECT_EQ(c.family, ModelFamily::Qwen3);
    EXPECT_EQ(c.architecture, "qwen3");
    EXPECT_EQ(c.headDim, 64);
    EXPECT_EQ(c.heads, 4);
    EXPECT_EQ(c.kvHeads, 2);
    EXPECT_EQ(c.ffnSize, 256);
    EXPECT_EQ(c.vocabSize, 6);
    EXPECT_EQ(c.ropeTheta, 1000000.0);
    EXPECT_FLOAT_EQ(float(c.normEps), 1e-6f);
    EXPECT_EQ(c.activation, Activation::Silu);
    EXPECT_EQ(c.ropeStyle, RopeStyle::NeoX);
    EXPECT_FALSE(c.subNorms);
    EXPECT_TRUE(c.qkNorm);
    EXPECT_TRUE(c.tiedEmbedding);
    EXPECT_EQ(c.ropeScalingFactor, 0.0);
    int matrices = 0;
    for (const Weight &w : (*model)->weights) {
      if (w.shape.size() == 1) {
        EXPECT_FALSE(w.ternary) << w.name;
        EXPECT_EQ(w.encoding, WeightEncoding::F32);
        continue;
      }
      ++matrices;
      EXPECT_TRUE(w.ternary) << w.name;
      EXPECT_EQ(w.encoding, encoding) << w.name;
      EXPECT_EQ(w.groupSize, int64_t(type.group)) << w.name;
      EXPECT_EQ(w.data.size(),
                size_t(w.shape[0] * w.shape[1]) / type.group * type.blockBytes);
      auto values = decodeTernary(w);
      ASSERT_TRUE(bool(values)) << llvm::toString(values.takeError());
      auto scales = decodeGroupScales(w);
      ASSERT_TRUE(bool(scales)) << llvm::toString(scales.takeError());
      EXPECT_EQ(scales->size(), size_t(w.shape[0] * w.shape[1]) / type.group);
    }
    EXPECT_EQ(matrices, 8); // the embedding and 7 linears
    const Weight *embd = (*model)->lookup("token_embd.weight");
    ASSERT_TRUE(embd);
    EXPECT_EQ(embd->shape, (std::vector<int64_t>{6, 128}));
    EXPECT_EQ((*model)->lookup("blk.0.attn_q.weight")->shape,
              (std::vector<int64_t>{256, 128}));
    EXPECT_EQ((*model)->lookup("blk.0.attn_q_norm.weight")->shape,
              (std::vector<int64_t>{64}));

    std::string summary;
    llvm::raw_string_ostream os(summary);
    ASSERT_FALSE(bool(writeModelSummary(**model, os)));
    EXPECT_NE(summary.find("qk-norm: yes"), std::string::npos);
    EXPECT_NE(summary.find("tensor blk.0.attn_q.weight [256, 128] ternary "
                           "group " +
                           std::to_string(type.group) + " scales "),
              std::string::npos)
        << summary;
  }
}

TEST(Qwen3Import, LegacyAndPQ2_0FilesAreOneModel) {
  // The legacy id-42 layout is PQ2_0's block: the same bytes under either id
  // decode to the same values and scales.
  Qwen3File legacy, pq2;
  legacy.type = kLegacyQ2_0;
  pq2.type = kPQ2_0;
  auto a = legacy.import(), b = pq2.import();
  ASSERT_TRUE(a && b);
  for (const Weight &w : (*a)->weights) {
    if (!w.ternary)
      continue;
    const Weight *other = (*b)->lookup(w.name);
    EXPECT_EQ(*decodeTernary(w), *decodeTernary(*other)) << w.name;
    EXPECT_EQ(*decodeGroupScales(w), *decodeGroupScales(*other)) << w.name;
  }
}

TEST(Qwen3Import, UntiedOutputAndYaRN) {
  Qwen3File f;
  f.untied = true;
  f.extraKeys = [](GGUFBuilder &b) {
    b.addString("qwen3.rope.scaling.type", "yarn")
        .add<float>("qwen3.rope.scaling.factor", 6, 4.0f)
        .add<uint32_t>("qwen3.rope.scaling.original_context_length", 4, 1024);
  };
  auto model = f.import();
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  const ModelConfig &c = (*model)->config;
  EXPECT_FALSE(c.tiedEmbedding);
  EXPECT_EQ(c.ropeScalingFactor, 4.0);
  EXPECT_EQ(c.ropeOriginalContext, 1024);
  const Weight *output = (*model)->lookup("output.weight");
  ASSERT_TRUE(output);
  EXPECT_TRUE(output->ternary);
  EXPECT_EQ(output->groupSize, 64);

  // Without original_context_length, the training context.
  f.extraKeys = [](GGUFBuilder &b) {
    b.addString("qwen3.rope.scaling.type", "yarn")
        .add<float>("qwen3.rope.scaling.factor", 6, 2.0f);
  };
  model = f.import();
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  EXPECT_EQ((*model)->config.ropeScalingFactor, 2.0);
  EXPECT_EQ((*model)->config.ropeOriginalContext, 4096);

  // "none" is no scaling.
  f.extraKeys = [](GGUFBuilder &b) {
    b.addString("qwen3.rope.scaling.type", "none");
  };
  model = f.import();
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  EXPECT_EQ((*model)->config.ropeScalingFactor, 0.0);
}

TEST(Qwen3Import, RefusesWhatItCannotRun) {
  auto withKeys = [](std::function<void(GGUFBuilder &)> keys) {
    Qwen3File f;
    f.extraKeys = std::move(keys);
    return f.error();
  };
  EXPECT_EQ(withKeys([](GGUFBuilder &b) {
              b.addString("qwen3.rope.scaling.type", "linear");
            }),
            "F: RoPE scaling 'linear' (qwen3.rope.scaling.type) is not "
            "supported (Trit implements YaRN)");
  EXPECT_EQ(withKeys([](GGUFBuilder &b) {
              b.addString("qwen3.rope.scaling.type", "yarn");
            }),
            "F: metadata key 'qwen3.rope.scaling.factor' is missing");
  EXPECT_EQ(withKeys([](GGUFBuilder &b) {
              b.addString("qwen3.rope.scaling.type", "yarn")
                  .add<float>("qwen3.rope.scaling.factor", 6, 0.5f);
            }),
            "F: metadata key 'qwen3.rope.scaling.factor' = 0.5 is not a YaRN "
            "factor (at least 1)");
  EXPECT_EQ(withKeys([](GGUFBuilder &b) {
              b.addString("qwen3.rope.scaling.type", "yarn")
                  .add<float>("qwen3.rope.scaling.factor", 6, 4.0f)
                  .add<float>("qwen3.rope.scaling.yarn_beta_fast", 6, 16.0f);
            }),
            "F: metadata key 'qwen3.rope.scaling.yarn_beta_fast' is not "
            "supported (Trit implements YaRN with its default parameters)");
  EXPECT_EQ(withKeys([](GGUFBuilder &b) {
              b.addStringArray("prism.hadamard.weight_names",
                               {"blk.0.attn_q.weight"});
            }),
            "F: metadata key 'prism.hadamard.weight_names': the weights are "
            "Hadamard-folded (Ternary Bonsai 2) and need their activations "
            "rotated, which Trit does not support");

  Qwen3File qwen35;
  qwen35.architecture = "qwen35";
  EXPECT_EQ(qwen35.error(),
            "F: architecture 'qwen35' (Qwen3.5/3.6, as in Ternary Bonsai 27B) "
            "is the hybrid Gated-DeltaNet and attention architecture, which "
            "Trit does not support; Trit imports qwen3 (Ternary Bonsai 1.7B, "
            "4B and 8B)");

  Qwen3File valueLength;
  valueLength.valueLength = 128;
  EXPECT_EQ(valueLength.error(),
            "F: qwen3.attention.value_length 128 differs from the key length "
            "64; Trit needs equal key and value heads");
  Qwen3File rope;
  rope.extraKeys = [](GGUFBuilder &b) {
    b.add<uint32_t>("qwen3.rope.dimension_count", 4, 32);
  };
  EXPECT_EQ(rope.error(), "F: partial rotary embeddings "
                          "(qwen3.rope.dimension_count 32 of a head of 64) "
                          "are not supported");
}

TEST(Qwen3Import, ChecksTheTensors) {
  Qwen3File noQNorm;
  noQNorm.omit = {"blk.0.attn_q_norm.weight"};
  EXPECT_EQ(noQNorm.error(),
            "F: missing tensor 'blk.0.attn_q_norm.weight' of the qwen3 "
            "architecture (the per-head RMSNorm of q and k before RoPE)");
  Qwen3File noKNorm;
  noKNorm.omit = {"blk.0.attn_k_norm.weight"};
  EXPECT_EQ(noKNorm.error(),
            "F: missing tensor 'blk.0.attn_k_norm.weight' of the qwen3 "
            "architecture (the per-head RMSNorm of q and k before RoPE)");
  Qwen3File wideNorm;
  wideNorm.dimsOf["blk.0.attn_q_norm.weight"] = {128};
  EXPECT_EQ(wideNorm.error(),
            "F: tensor 'blk.0.attn_q_norm.weight' (blk.0.attn_q_norm.weight) "
            "has shape [128] but the hyperparameters need [64]");
  Qwen3File wideQ;
  wideQ.dimsOf["blk.0.attn_q.weight"] = {128, 128};
  EXPECT_EQ(wideQ.error(),
            "F: tensor 'blk.0.attn_q.weight' (blk.0.attn_q.weight) has shape "
            "[128, 128] but the hyperparameters need [256, 128]");
  Qwen3File narrowOutput;
  narrowOutput.dimsOf["blk.0.attn_output.weight"] = {128, 128};
  EXPECT_EQ(narrowOutput.error(),
            "F: tensor 'blk.0.attn_output.weight' "
            "(blk.0.attn_output.weight) has shape [128, 128] but the "
            "hyperparameters need [128, 256]");

  Qwen3File floatMatrix;
  floatMatrix.typeOf["blk.0.ffn_up.weight"] = 1;
  EXPECT_EQ(floatMatrix.error(),
            "F: tensor 'blk.0.ffn_up.weight' has type F16: float Qwen3 "
            "matrices are not supported (Trit reads the ternary Bonsai types "
            "Q2_0, PQ2_0, PTQ1_0 and Q1_0)");
  Qwen3File floatEmbedding;
  floatEmbedding.typeOf["token_embd.weight"] = 0;
  EXPECT_EQ(floatEmbedding.error(),
            "F: tensor 'token_embd.weight' has type F32: float Qwen3 matrices "
            "are not supported (Trit reads the ternary Bonsai types Q2_0, "
            "PQ2_0, PTQ1_0 and Q1_0)");
  Qwen3File groupNorm;
  groupNorm.typeOf["output_norm.weight"] = 42;
  groupNorm.dimsOf["output_norm.weight"] = {128};
  EXPECT_EQ(groupNorm.error(), "F: tensor 'output_norm.weight' has type "
                               "Q2_0; Trit needs F32, F16 or BF16 for it");
}

TEST(Qwen3Import, RefusesNonFiniteGroupScales) {
  // Group 5 of blk.0.attn_v.weight gets d = +inf.
  Qwen3File base;
  std::vector<uint8_t> bytes = base.build();
  llvm::Expected<gguf::File> parsed = gguf::File::parse(bytes, "x.gguf");
  ASSERT_TRUE(bool(parsed));
  const gguf::TensorInfo *v = parsed->lookupTensor("blk.0.attn_v.weight");
  size_t at = size_t(v->data.data() - bytes.data()) + 5 * 18;
  bytes[at] = 0x00, bytes[at + 1] = 0x7c;
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("trit-inf", "gguf", path));
  {
    std::error_code ec;
    llvm::raw_fd_ostream out(path, ec);
    out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  }
  auto model = importModel(path);
  llvm::sys::fs::remove(path);
  ASSERT_FALSE(bool(model));
  EXPECT_EQ(llvm::toString(model.takeError()),
            (path + ": tensor 'blk.0.attn_v.weight' holds the invalid scale "
                    "inf (f16 0x7c00) in group 5")
                .str());
}

TEST(Qwen3Import, GroupTypesBelongToQwen3Only) {
  Qwen3File llama;
  llama.architecture = "llama";
  EXPECT_EQ(llama.error(), "F: tensor 'token_embd.weight' has type Q2_0, a "
                           "group-scaled ternary type that Trit reads in "
                           "qwen3 models only");
}

} // namespace
