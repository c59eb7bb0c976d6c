//===- TritAttrs.h - trit attributes and enums ------------------*- C++ -*-===//

#ifndef TRIT_DIALECT_TRITATTRS_H
#define TRIT_DIALECT_TRITATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TensorEncoding.h"

#include "trit/Dialect/TritEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "trit/Dialect/TritAttrs.h.inc"

#endif // TRIT_DIALECT_TRITATTRS_H
