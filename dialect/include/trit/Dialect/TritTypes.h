//===- TritTypes.h - trit types ---------------------------------*- C++ -*-===//

#ifndef TRIT_DIALECT_TRITTYPES_H
#define TRIT_DIALECT_TRITTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "trit/Dialect/TritTypes.h.inc"

#endif // TRIT_DIALECT_TRITTYPES_H
