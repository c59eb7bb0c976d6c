//===- TritAttrs.h - trit attributes and enums ------------------*- C++ -*-===//

#ifndef TRIT_DIALECT_TRITATTRS_H
#define TRIT_DIALECT_TRITATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TensorEncoding.h"

#include "trit/Dialect/TritEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "trit/Dialect/TritAttrs.h.inc"

namespace mlir::trit {
/// Whether a packing scales each block by its own f16 value (Ternary
/// Bonsai's q2_0, ptq1_0, q1_0 and the kernels' t2g).
bool isGroupScaled(PackingKind kind);
} // namespace mlir::trit

#endif // TRIT_DIALECT_TRITATTRS_H
