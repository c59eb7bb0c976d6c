//===- WeightLayouts.h - the weight layouts and their packers ---*- C++ -*-===//
//
// The compiler's side of the table in trit/layouts.h: per layout its name,
// the CPU features of the kernels that read it, those kernels, and the
// packer that writes a model's weight in it. The lowering names each
// weight's layout from here (the module's `trit.weights`); the artifact
// writer and the test harness pack through it. It needs LLVM's Support
// library and the model description, not MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_WEIGHTLAYOUTS_H
#define TRIT_COMPILER_WEIGHTLAYOUTS_H

#include "trit/layouts.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace trit {

struct Weight;

/// The layouts of trit/layouts.h, one enumerator per X line.
enum class WeightLayout {
#define TRIT_LAYOUT_ENUM(id, name, role, cols, rows)                           \
  id = TRIT_WEIGHT_LAYOUT_##id,
  TRIT_WEIGHT_LAYOUTS(TRIT_LAYOUT_ENUM)
#undef TRIT_LAYOUT_ENUM
};

/// Writes `weight` in a layout: a view of the source when it already has
/// that layout (no copy), else bytes converted into `storage`. Errors name
/// the tensor and what the layout needs of its shape.
using WeightPacker = llvm::Expected<llvm::ArrayRef<uint8_t>> (*)(
    const Weight &weight, std::vector<uint8_t> &storage);

struct WeightLayoutInfo {
  WeightLayout layout;
  /// The artifact's name for it (trit_weight_layout_name).
  llvm::StringLiteral name;
  /// The CPU features (LLVM's names) that the kernels reading it need;
  /// empty when every kernel family reads it. trit-select-kernels gives a
  /// layout only to targets with all of them.
  llvm::ArrayRef<llvm::StringLiteral> requiredFeatures;
  /// The kernels that read it: trit_op_<kernel>_<isa> (trit/ops.def).
  llvm::ArrayRef<llvm::StringLiteral> kernels;
  WeightPacker pack;

  trit_weight_role getRole() const {
    return trit_weight_layout_role(trit_weight_layout(layout));
  }
  int64_t getColumnMultiple() const {
    return trit_weight_layout_column_multiple(trit_weight_layout(layout));
  }
  int64_t getRowMultiple() const {
    return trit_weight_layout_row_multiple(trit_weight_layout(layout));
  }
  int64_t getBytes(int64_t rows, int64_t cols) const {
    return trit_weight_layout_bytes(trit_weight_layout(layout), rows, cols);
  }
};

/// Every layout, in the order of trit/layouts.h.
llvm::ArrayRef<WeightLayoutInfo> getWeightLayouts();
const WeightLayoutInfo &getWeightLayoutInfo(WeightLayout layout);
llvm::StringRef stringifyWeightLayout(WeightLayout layout);
/// The layout the artifact names `name`, if any.
std::optional<WeightLayout> lookupWeightLayout(llvm::StringRef name);

/// The ternary copy of its table that a reranking head reads when the
/// BitLinears are in `ternary` (I2_S, T3X5 or T3X5_X64): the same packing.
WeightLayout getTernaryRowsLayout(WeightLayout ternary);

/// `weight` in `layout`, by the layout's packer (see WeightPacker).
llvm::Expected<llvm::ArrayRef<uint8_t>>
packWeight(const Weight &weight, WeightLayout layout,
           std::vector<uint8_t> &storage);
/// The same for a layout named as the artifact names it; an error for a
/// name that no layout has.
llvm::Expected<llvm::ArrayRef<uint8_t>>
packWeight(const Weight &weight, llvm::StringRef layout,
           std::vector<uint8_t> &storage);

} // namespace trit

#endif // TRIT_COMPILER_WEIGHTLAYOUTS_H
