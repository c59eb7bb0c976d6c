//===- HuggingFace.h - Hugging Face config and tokenizer parsing -*- C++ -*-===//
//
// The parts of the Hugging Face importer that work on text, exposed for unit
// tests and fuzzing: config.json and tokenizer.json.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_FRONTENDS_HUGGINGFACE_H
#define TRIT_FRONTENDS_HUGGINGFACE_H

#include "trit/Frontends/Model.h"

namespace trit {

struct HFConfig {
  ModelConfig config;
  /// True when weight_scale is 1/scale (BitLinear), false when it is the
  /// multiplier (AutoBitLinear, quantization_config.linear_class
  /// "autobitlinear").
  bool scaleIsInverse = true;
  int64_t bosId = -1;
  int64_t eosId = -1;
};

/// Parses config.json; `file` names it in errors.
llvm::Expected<HFConfig> parseHFConfig(llvm::StringRef text,
                                       llvm::StringRef file);

/// Parses tokenizer.json (and tokenizer_config.json, if not empty) into `t`.
llvm::Error parseHFTokenizer(llvm::StringRef tokenizerJSON,
                             llvm::StringRef tokenizerFile,
                             llvm::StringRef configJSON,
                             llvm::StringRef configFile, int64_t vocabSize,
                             TokenizerData &t);

} // namespace trit

#endif // TRIT_FRONTENDS_HUGGINGFACE_H
