//===- Options.cpp - the names and help of the compiler's option values ---===//

#include "trit/Compiler/Options.h"

#include <cstdio>

using namespace mlir::trit;

llvm::ArrayRef<EnumOptionValue<KernelChoice>>
mlir::trit::getEnumOptionValues(KernelChoice) {
  static constexpr EnumOptionValue<KernelChoice> values[] = {
      {KernelChoice::Auto, "auto", "the best family the target runs (default)"},
      {KernelChoice::Generic, "generic", "portable C: any CPU, slower"},
      {KernelChoice::AVX2, "avx2", "x86 with AVX2"},
      {KernelChoice::AVX512VNNI, "avx512vnni",
       "x86 with AVX-512 VNNI, BW and VL"},
      {KernelChoice::NEONDotprod, "neon_dotprod", "aarch64 with dotprod"}};
  return values;
}

std::optional<KernelKind> mlir::trit::getForcedKernel(KernelChoice choice) {
  switch (choice) {
  case KernelChoice::Auto:
    return std::nullopt;
  case KernelChoice::Generic:
    return KernelKind::Generic;
  case KernelChoice::AVX2:
    return KernelKind::AVX2;
  case KernelChoice::AVX512VNNI:
    return KernelKind::AVX512VNNI;
  case KernelChoice::NEONDotprod:
    return KernelKind::NEONDotprod;
  }
  llvm_unreachable("unknown kernel choice");
}

llvm::ArrayRef<EnumOptionValue<WeightPacking>>
mlir::trit::getEnumOptionValues(WeightPacking) {
  static constexpr EnumOptionValue<WeightPacking> values[] = {
      {WeightPacking::Auto, "auto",
       "t3x5x64 where it can, else t3x5 for the avx512vnni kernels, i2_s "
       "for the others (default)"},
      {WeightPacking::I2_S, "i2_s", "2 bits per weight"},
      {WeightPacking::T3X5, "t3x5",
       "1.67 bits per weight: three weights in a 5-bit code; fewer bytes per "
       "generated token, the same results"},
      {WeightPacking::T3X5X64, "t3x5x64",
       "the t3x5 codes with 64 rows in lanes, for the avx512vnni kernels "
       "with AVX-512 VBMI: faster generation; weights of a multiple of 64 "
       "rows"}};
  return values;
}

llvm::ArrayRef<EnumOptionValue<NormCodegen>>
mlir::trit::getEnumOptionValues(NormCodegen) {
  static constexpr EnumOptionValue<NormCodegen> values[] = {
      {NormCodegen::Kernel, "kernel", "the C kernel (default)"},
      {NormCodegen::Vector, "vector", "generated vector-dialect code"}};
  return values;
}

llvm::ArrayRef<EnumOptionValue<LMHead>>
mlir::trit::getEnumOptionValues(LMHead) {
  static constexpr EnumOptionValue<LMHead> values[] = {
      {LMHead::Auto, "auto",
       "rerank for float tables of 16384 rows or more, else exact "
       "(default)"},
      {LMHead::Exact, "exact",
       "every logit from the table as stored, the reference numerics"},
      {LMHead::Q8, "q8",
       "an int8 copy with a scale per row: half the bytes of f16 per "
       "generated token, inexact"},
      {LMHead::Q4, "q4",
       "a 4-bit copy with a scale per 128 elements: a quarter of the bytes, "
       "inexact"},
      {LMHead::Rerank, "rerank",
       "a ternary copy estimates every logit; the best rerank-candidates, "
       "and every row whose estimate is within rerank-margin of its error "
       "of them, are recomputed from the exact table: the exact head's "
       "greedy token, a fraction of its bytes"}};
  return values;
}

std::string mlir::trit::formatRerankMargin(double margin) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", margin);
  return text;
}

std::vector<std::string> PipelineOptions::getLoweringOptions() const {
  PipelineOptions defaults;
  std::vector<std::string> result;
  auto add = [&](llvm::StringRef name, const llvm::Twine &value) {
    result.push_back((name + "=" + value).str());
  };
  if (normCodegen != defaults.normCodegen)
    add("norm-codegen", stringifyEnumOption(normCodegen));
  if (lmHead != defaults.lmHead)
    add("lm-head", stringifyEnumOption(lmHead));
  // With its head, so readers need not know the default.
  if (lmHead == LMHead::Rerank || rerankCandidates != defaults.rerankCandidates)
    add("rerank-candidates", llvm::Twine(rerankCandidates));
  if (lmHead == LMHead::Rerank || rerankMargin != defaults.rerankMargin)
    add("rerank-margin", formatRerankMargin(rerankMargin));
  if (promptLut != defaults.promptLut)
    add("prompt-lut", promptLut ? "true" : "false");
  return result;
}
