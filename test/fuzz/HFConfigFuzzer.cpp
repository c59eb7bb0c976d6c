//===- HFConfigFuzzer.cpp - libFuzzer target for config/tokenizer JSON ----===//
//
// The input is split at the first NUL byte: config.json before it,
// tokenizer.json after it (tokenizer_config.json reuses the config part).
//
//===----------------------------------------------------------------------===//

#include "trit/Frontends/HuggingFace.h"

#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef input(reinterpret_cast<const char *>(data), size);
  auto [config, tokenizer] = input.split('\0');
  llvm::Expected<trit::HFConfig> parsed =
      trit::parseHFConfig(config, "config.json");
  int64_t vocab = 1024;
  if (parsed)
    vocab = std::min<int64_t>(parsed->config.vocabSize, 1 << 16);
  else
    llvm::consumeError(parsed.takeError());
  trit::TokenizerData data_;
  llvm::consumeError(trit::parseHFTokenizer(tokenizer, "tokenizer.json",
                                            config, "tokenizer_config.json",
                                            vocab, data_));
  return 0;
}
