//===- WeightLayouts.cpp - the table of weight layouts --------------------===//

#include "trit/Compiler/WeightLayouts.h"
#include "WeightPacking.h"

#include "trit/Frontends/Model.h"

#include <iterator>

using namespace llvm;

namespace trit {

namespace {

// What the kernels reading each layout need and which kernels they are
// (trit_op_<kernel>_<isa> of trit/ops.def).
constexpr StringLiteral kFloatKernels[] = {
    "embedding_f32", "rms_norm", "norm_quantize", "lm_head", "lm_head_rerank"};
constexpr StringLiteral kHalfKernels[] = {"embedding_f16", "lm_head",
                                          "lm_head_rerank"};
constexpr StringLiteral kI2SKernels[] = {"bitlinear_range"};
constexpr StringLiteral kT3X5Kernels[] = {"bitlinear_t3x5_range",
                                          "bitlinear_t3x5_vbmi_range",
                                          "bitlinear_t3x5_lut_range"};
// The AVX-512 VNNI family's rows-in-lanes kernels look the codes up with
// vpermb; other families have only the slow generic reference.
constexpr StringLiteral kRowsInLanesFeatures[] = {"avx512vnni", "avx512bw",
                                                  "avx512vl", "avx512vbmi"};
constexpr StringLiteral kT3X5x64Kernels[] = {"bitlinear_t3x5x64_range",
                                             "bitlinear_t3x5x64_lut_range"};
constexpr StringLiteral kQ8Kernels[] = {"lm_head_q8"};
constexpr StringLiteral kQ4Kernels[] = {"lm_head_q4"};
constexpr StringLiteral kRerankKernels[] = {"lm_head_rerank"};
constexpr StringLiteral kT2G64Kernels[] = {"bitlinear_t2g64_range",
                                           "embedding_t2g", "lm_head_t2g"};
constexpr StringLiteral kT2G128Kernels[] = {"bitlinear_t2g128_range",
                                            "embedding_t2g", "lm_head_t2g"};

const WeightLayoutInfo kWeightLayouts[] = {
    {WeightLayout::F32, "f32", {}, kFloatKernels, packAs<WeightLayout::F32>},
    {WeightLayout::F16, "f16", {}, kHalfKernels, packAs<WeightLayout::F16>},
    {WeightLayout::I2_S, "i2_s", {}, kI2SKernels, packAs<WeightLayout::I2_S>},
    {WeightLayout::T3X5, "t3x5", {}, kT3X5Kernels, packAs<WeightLayout::T3X5>},
    {WeightLayout::T3X5_X64, "t3x5_x64", kRowsInLanesFeatures,
     kT3X5x64Kernels, packAs<WeightLayout::T3X5_X64>},
    {WeightLayout::Q8_ROWS, "q8_rows", {}, kQ8Kernels,
     packAs<WeightLayout::Q8_ROWS>},
    {WeightLayout::Q4_BLOCKS, "q4_blocks", {}, kQ4Kernels,
     packAs<WeightLayout::Q4_BLOCKS>},
    {WeightLayout::TERNARY_ROWS_I2_S, "ternary_rows_i2_s", {}, kRerankKernels,
     packAs<WeightLayout::TERNARY_ROWS_I2_S>},
    {WeightLayout::TERNARY_ROWS_T3X5, "ternary_rows_t3x5", {}, kRerankKernels,
     packAs<WeightLayout::TERNARY_ROWS_T3X5>},
    {WeightLayout::TERNARY_ROWS_T3X5_X64, "ternary_rows_t3x5_x64",
     kRowsInLanesFeatures, kRerankKernels,
     packAs<WeightLayout::TERNARY_ROWS_T3X5_X64>},
    {WeightLayout::T2G64_X16, "t2g64_x16", {}, kT2G64Kernels,
     packAs<WeightLayout::T2G64_X16>},
    {WeightLayout::T2G128_X16, "t2g128_x16", {}, kT2G128Kernels,
     packAs<WeightLayout::T2G128_X16>},
};

static_assert(std::size(kWeightLayouts) == TRIT_WEIGHT_LAYOUT_COUNT,
              "one entry per layout of trit/layouts.h");

} // namespace

ArrayRef<WeightLayoutInfo> getWeightLayouts() { return kWeightLayouts; }

const WeightLayoutInfo &getWeightLayoutInfo(WeightLayout layout) {
  const WeightLayoutInfo &info = kWeightLayouts[size_t(layout)];
  assert(info.layout == layout &&
         info.name == trit_weight_layout_name(trit_weight_layout(layout)) &&
         "kWeightLayouts is in the order of trit/layouts.h");
  return info;
}

StringRef stringifyWeightLayout(WeightLayout layout) {
  return getWeightLayoutInfo(layout).name;
}

std::optional<WeightLayout> lookupWeightLayout(StringRef name) {
  for (const WeightLayoutInfo &info : kWeightLayouts)
    if (info.name == name)
      return info.layout;
  return std::nullopt;
}

WeightLayout getTernaryRowsLayout(WeightLayout ternary) {
  switch (ternary) {
  case WeightLayout::T3X5:
    return WeightLayout::TERNARY_ROWS_T3X5;
  case WeightLayout::T3X5_X64:
    return WeightLayout::TERNARY_ROWS_T3X5_X64;
  default:
    assert(ternary == WeightLayout::I2_S && "not a BitLinear's layout");
    return WeightLayout::TERNARY_ROWS_I2_S;
  }
}

Expected<ArrayRef<uint8_t>> packWeight(const Weight &weight,
                                       WeightLayout layout,
                                       std::vector<uint8_t> &storage) {
  return getWeightLayoutInfo(layout).pack(weight, storage);
}

Expected<ArrayRef<uint8_t>> packWeight(const Weight &weight, StringRef layout,
                                       std::vector<uint8_t> &storage) {
  std::optional<WeightLayout> known = lookupWeightLayout(layout);
  if (!known)
    return fileError(weight.sourceFile, "unknown weight layout '" + layout +
                                            "' for " + weight.sourceKey);
  return packWeight(weight, *known, storage);
}

} // namespace trit
