//===- HuggingFaceTest.cpp - safetensors, config.json, tokenizer.json -----===//

#include "trit/Frontends/HuggingFace.h"
#include "trit/Frontends/Safetensors.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace trit;

namespace {

std::vector<uint8_t> makeSafetensors(const std::string &header,
                                     size_t dataBytes) {
  std::vector<uint8_t> out(8);
  uint64_t size = header.size();
  std::memcpy(out.data(), &size, 8);
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + dataBytes, 0x11);
  return out;
}

std::string parseError(const std::vector<uint8_t> &bytes) {
  auto file = safetensors::File::parse(bytes, "m.safetensors");
  return file ? "" : llvm::toString(file.takeError());
}

TEST(Safetensors, ReadsTensorsAndMetadata) {
  auto bytes = makeSafetensors(
      R"({"b": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 12]},
          "a": {"dtype": "U8", "shape": [4], "data_offsets": [12, 16]},
          "__metadata__": {"format": "pt"}})",
      16);
  auto file = safetensors::File::parse(bytes, "m.safetensors");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  ASSERT_EQ(file->getTensors().size(), 2u);
  EXPECT_EQ(file->getTensors()[0].name, "a"); // sorted by name
  const safetensors::TensorInfo *b = file->lookup("b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->dtype, safetensors::DType::BF16);
  EXPECT_EQ(b->getElementCount(), 6);
  EXPECT_EQ(b->data.size(), 12u);
  EXPECT_EQ(file->getMetadata().lookup("format"), "pt");
}

TEST(Safetensors, ReportsEveryKindOfDamage) {
  EXPECT_EQ(parseError({1, 2, 3}),
            "m.safetensors: truncated: 3 bytes, too short for the 8-byte "
            "header length");
  std::vector<uint8_t> huge(16, 0);
  huge[7] = 0x10;
  EXPECT_EQ(parseError(huge), "m.safetensors: header length 1152921504606846976 "
                              "exceeds the 8 bytes after it");
  EXPECT_NE(parseError(makeSafetensors("{\"a\": ", 0))
                .find("m.safetensors: invalid JSON header: "),
            std::string::npos);
  EXPECT_EQ(parseError(makeSafetensors(std::string(1 << 20, '['), 0)),
            "m.safetensors: invalid JSON header: nests deeper than 64 levels "
            "at byte 64");
  // Brackets inside strings do not count.
  EXPECT_EQ(parseError(makeSafetensors(
                "{\"__metadata__\": {\"x\": \"" + std::string(100, '[') +
                    "\\\"\"}}",
                0)),
            "");
  EXPECT_EQ(parseError(makeSafetensors("[1]", 0)),
            "m.safetensors: the header is not a JSON object");
  EXPECT_EQ(parseError(makeSafetensors(
                R"({"t": {"dtype": "Q4", "shape": [1], "data_offsets": [0, 1]}})",
                1)),
            "m.safetensors: tensor 't': unknown dtype 'Q4'");
  EXPECT_EQ(parseError(makeSafetensors(
                R"({"t": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}})",
                4)),
            "m.safetensors: tensor 't': shape holds something other than a "
            "non-negative integer");
  EXPECT_EQ(parseError(makeSafetensors(
                R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}})",
                4)),
            "m.safetensors: tensor 't': holds 4 bytes but F32 of this shape "
            "needs 8");
  EXPECT_EQ(parseError(makeSafetensors(
                R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
                4)),
            "m.safetensors: tensor 't': data [0, 8) extends past the 4 bytes "
            "of data in the file");
  EXPECT_EQ(parseError(makeSafetensors(
                R"({"t": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}})",
                8)),
            "m.safetensors: tensor 't': data_offsets must be integers 0 <= "
            "begin <= end");
  EXPECT_EQ(
      parseError(makeSafetensors(
          R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
              "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
          12)),
      "m.safetensors: the data of tensors 'a' and 'b' overlap");
  EXPECT_EQ(parseError(makeSafetensors(
                R"({"t": {"dtype": "F32", "shape": [1, 1099511627776, 1099511627776], "data_offsets": [0, 4]}})",
                4)),
            "m.safetensors: tensor 't': element count overflows");
}

const char *kConfig = R"({
  "architectures": ["BitNetForCausalLM"], "hidden_size": 2560,
  "intermediate_size": 6912, "num_hidden_layers": 30,
  "num_attention_heads": 20, "num_key_value_heads": 5, "vocab_size": 128256,
  "max_position_embeddings": 4096, "rope_theta": 500000.0,
  "rms_norm_eps": 1e-05, "hidden_act": "relu2", "tie_word_embeddings": true,
  "quantization_config": {"quant_method": "bitnet",
                          "linear_class": "autobitlinear"}})";

TEST(HFConfig, ReadsTheBitNet2B4TConfig) {
  auto config = parseHFConfig(kConfig, "config.json");
  ASSERT_TRUE(bool(config)) << llvm::toString(config.takeError());
  const ModelConfig &c = config->config;
  EXPECT_EQ(c.architecture, "bitnet-b1.58");
  EXPECT_EQ(c.family, ModelFamily::BitNetB158);
  EXPECT_EQ(c.hiddenSize, 2560);
  EXPECT_EQ(c.kvHeads, 5);
  EXPECT_EQ(c.headDim, 128);
  EXPECT_EQ(c.activation, Activation::Relu2);
  EXPECT_EQ(c.ropeTheta, 500000.0);
  EXPECT_TRUE(c.tiedEmbedding);
  EXPECT_FALSE(config->scaleIsInverse); // autobitlinear multiplies

  // Without linear_class (HF1BitLLM, Falcon packings) the scale divides.
  std::string llama = R"({"architectures": ["LlamaForCausalLM"],
      "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 1,
      "num_attention_heads": 2, "vocab_size": 10,
      "max_position_embeddings": 32, "hidden_act": "silu",
      "quantization_config": {"quant_method": "bitnet"}})";
  auto l = parseHFConfig(llama, "config.json");
  ASSERT_TRUE(bool(l)) << llvm::toString(l.takeError());
  EXPECT_TRUE(l->scaleIsInverse);
  EXPECT_EQ(l->config.kvHeads, 2); // defaults to the head count
  EXPECT_FALSE(l->config.tiedEmbedding);
  EXPECT_FALSE(l->config.subNorms);
}

TEST(HFConfig, ReportsMissingAndInvalidFields) {
  auto error = [](const std::string &text) {
    auto c = parseHFConfig(text, "config.json");
    return c ? "" : llvm::toString(c.takeError());
  };
  EXPECT_EQ(error(R"({"architectures": ["BitNetForCausalLM"]})"),
            "config.json: missing 'hidden_size'");
  EXPECT_EQ(error(R"({"architectures": ["Qwen3ForCausalLM"]})"),
            "config.json: Qwen3 models (Qwen3ForCausalLM) are imported from "
            "GGUF files only (Ternary Bonsai's Q2_0, PQ2_0, PTQ1_0 or Q1_0), "
            "not from Hugging Face folders");
  std::string bad = kConfig;
  bad.replace(bad.find("\"relu2\""), 7, "\"gelu\"");
  EXPECT_EQ(error(bad), "config.json: unsupported hidden_act 'gelu' (Trit "
                        "supports relu2 and silu)");
  bad = kConfig;
  bad.replace(bad.find("2560"), 4, "2560.5");
  EXPECT_EQ(error(bad), "config.json: 'hidden_size' must be a positive integer");
  EXPECT_NE(error("{").find("config.json: invalid JSON"), std::string::npos);
  EXPECT_EQ(error("[]"), "config.json: not a JSON object");
}

TEST(HFTokenizer, ReadsVocabMergesSpecialsAndConfig) {
  const char *tokenizer = R"({
    "added_tokens": [{"id": 5, "content": "<|begin_of_text|>", "special": true},
                     {"id": 6, "content": "<|eot_id|>", "special": true}],
    "pre_tokenizer": {"type": "Split",
                      "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|..."}},
    "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3,
                                       "\u0120ab": 4},
              "merges": ["a b", ["\u0120", "ab"]]}})";
  const char *config = R"({"bos_token": "<|begin_of_text|>",
      "eos_token": {"content": "<|eot_id|>"}, "add_bos_token": true,
      "chat_template": "{{ messages }}"})";
  TokenizerData t;
  llvm::Error e = parseHFTokenizer(tokenizer, "tokenizer.json", config,
                                   "tokenizer_config.json", 8, t);
  ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
  ASSERT_EQ(t.tokens.size(), 7u);
  EXPECT_EQ(t.tokens[4], "\xc4\xa0" "ab");
  EXPECT_EQ(t.tokenTypes[4], 1);
  EXPECT_EQ(t.tokenTypes[5], 3);
  EXPECT_EQ(t.merges, (std::vector<std::string>{"a b", "\xc4\xa0 ab"}));
  EXPECT_EQ(t.bosId, 5);
  EXPECT_EQ(t.eosId, 6);
  EXPECT_EQ(t.eotId, 6);
  EXPECT_EQ(t.pre, "llama-bpe");
  EXPECT_EQ(t.chatTemplate, "{{ messages }}");
  EXPECT_EQ(t.model, "gpt2");

  TokenizerData spm;
  llvm::Error e2 = parseHFTokenizer(
      R"({"model": {"type": "BPE", "byte_fallback": true,
                    "vocab": {"<unk>": 0, "▁the": 1}}})",
      "tokenizer.json", "", "", 8, spm);
  ASSERT_FALSE(bool(e2)) << llvm::toString(std::move(e2));
  EXPECT_EQ(spm.model, "llama");

  TokenizerData other;
  llvm::Error outOfRange = parseHFTokenizer(
      R"({"model": {"type": "BPE", "vocab": {"a": 99}}})", "tokenizer.json",
      "", "", 8, other);
  EXPECT_EQ(llvm::toString(std::move(outOfRange)),
            "tokenizer.json: token 'a' has an id outside [0, 8)");
  llvm::Error unigram = parseHFTokenizer(
      R"({"model": {"type": "Unigram"}})", "tokenizer.json", "", "", 8, other);
  EXPECT_EQ(llvm::toString(std::move(unigram)),
            "tokenizer.json: tokenizer model type 'Unigram' is not supported "
            "(Trit reads byte-level BPE)");
}

} // namespace
