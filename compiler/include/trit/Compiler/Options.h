//===- Options.h - the compiler's options, stated once ----------*- C++ -*-===//
//
// Every choice the trit passes and pipelines offer, as an enum with its
// names and help (Options.cpp), and PipelineOptions, the one struct that
// trit-optimize and trit-lower are built from. The passes' options
// (Passes.td), the pipelines registered for trit-opt (Pipeline.cpp), tritc
// (Driver) and the test harnesses all use these types, so they accept the
// same values and share the defaults and the policies between options.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_OPTIONS_H
#define TRIT_COMPILER_OPTIONS_H

#include "trit/Compiler/EnumOption.h"
#include "trit/Dialect/TritAttrs.h"
#include "trit/layouts.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::trit {

/// The BitLinears' microkernel family (trit-select-kernels `kernel`).
enum class KernelChoice { Auto, Generic, AVX2, AVX512VNNI, NEONDotprod };
llvm::ArrayRef<EnumOptionValue<KernelChoice>>
getEnumOptionValues(KernelChoice);
/// The family a choice forces; none for Auto.
std::optional<KernelKind> getForcedKernel(KernelChoice choice);

/// The ternary weights' layout (trit-select-kernels `packing`).
enum class WeightPacking { Auto, I2_S, T3X5, T3X5X64 };
llvm::ArrayRef<EnumOptionValue<WeightPacking>>
getEnumOptionValues(WeightPacking);

/// How a standalone RMSNorm is lowered (trit-lower-to-llvm `norm-codegen`).
enum class NormCodegen { Kernel, Vector };
llvm::ArrayRef<EnumOptionValue<NormCodegen>> getEnumOptionValues(NormCodegen);

/// What the LM head reads (trit-lower-to-llvm `lm-head`).
enum class LMHead { Auto, Exact, Q8, Q4, Rerank };
llvm::ArrayRef<EnumOptionValue<LMHead>> getEnumOptionValues(LMHead);

inline constexpr int64_t kDefaultMaxTokens = 64;
/// With prompt-lut, a call's tables and weight decoding serve twice the
/// tokens.
inline constexpr int64_t kPromptLutMaxTokens = 128;
inline constexpr int64_t kDefaultRerankCandidates =
    TRIT_RERANK_DEFAULT_CANDIDATES;
/// How many of its error's estimated standard deviations a reranking
/// head's estimate must stay below the best exact logit for its row to be
/// left estimated (0: no check).
inline constexpr double kDefaultRerankMargin = 8.0;
/// lm-head=auto reranks float tables of at least this many rows (smaller
/// ones cost little to read, and the candidates would be most of them).
inline constexpr int64_t kAutoRerankMinRows = 16384;
/// A rerank-margin as tritc's flag and diagnostics spell it (`8`, `6.5`).
std::string formatRerankMargin(double margin);

/// What the trit-optimize and trit-lower pipelines are built from.
struct PipelineOptions {
  // trit-optimize
  bool fuseGating = true;
  KernelChoice kernel = KernelChoice::Auto;
  WeightPacking packing = WeightPacking::Auto;

  // trit-lower
  /// Unset: see getMaxTokens.
  std::optional<int64_t> maxTokens;
  /// 0: the model's context length.
  int64_t maxContext = 0;
  NormCodegen normCodegen = NormCodegen::Kernel;
  LMHead lmHead = LMHead::Auto;
  int64_t rerankCandidates = kDefaultRerankCandidates;
  double rerankMargin = kDefaultRerankMargin;
  bool promptLut = false;

  /// Prompt tokens one prefill call evaluates: maxTokens if set, else
  /// kDefaultMaxTokens, or kPromptLutMaxTokens with promptLut.
  int64_t getMaxTokens() const {
    return maxTokens.value_or(promptLut ? kPromptLutMaxTokens
                                        : kDefaultMaxTokens);
  }

  /// The trit-lower-to-llvm options that differ from their defaults, each
  /// as `name=value` with tritc's flag name (`lm-head=rerank`,
  /// `prompt-lut=true`); rerank-candidates and rerank-margin come with
  /// lm-head=rerank even at their defaults. What an artifact records of how its
  /// code computes, beyond what its weight layouts and memory plan show.
  std::vector<std::string> getLoweringOptions() const;
};

} // namespace mlir::trit

TRIT_ENUM_OPTION_PARSER(mlir::trit::KernelChoice)
TRIT_ENUM_OPTION_PARSER(mlir::trit::WeightPacking)
TRIT_ENUM_OPTION_PARSER(mlir::trit::NormCodegen)
TRIT_ENUM_OPTION_PARSER(mlir::trit::LMHead)

#endif // TRIT_COMPILER_OPTIONS_H
