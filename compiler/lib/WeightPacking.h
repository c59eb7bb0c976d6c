//===- WeightPacking.h - the packers of the weight layouts ------*- C++ -*-===//
//
// One packer per layout of trit/layouts.h (a WeightPacker), which the table
// in WeightLayouts.cpp refers to: the reference implementations of the
// layouts the kernels read, in WeightPacking.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_LIB_WEIGHTPACKING_H
#define TRIT_COMPILER_LIB_WEIGHTPACKING_H

#include "trit/Compiler/WeightLayouts.h"

namespace trit {

template <WeightLayout layout>
llvm::Expected<llvm::ArrayRef<uint8_t>> packAs(const Weight &weight,
                                               std::vector<uint8_t> &storage);

#define TRIT_DECLARE_PACKER(id, name, role, cols, rows)                        \
  template <>                                                                  \
  llvm::Expected<llvm::ArrayRef<uint8_t>> packAs<WeightLayout::id>(            \
      const Weight &weight, std::vector<uint8_t> &storage);
TRIT_WEIGHT_LAYOUTS(TRIT_DECLARE_PACKER)
#undef TRIT_DECLARE_PACKER

} // namespace trit

#endif // TRIT_COMPILER_LIB_WEIGHTPACKING_H
