//===- TritDialect.h - trit dialect -----------------------------*- C++ -*-===//

#ifndef TRIT_DIALECT_TRITDIALECT_H
#define TRIT_DIALECT_TRITDIALECT_H

#include "mlir/IR/Dialect.h"

#include "trit/Dialect/TritDialect.h.inc"

#endif // TRIT_DIALECT_TRITDIALECT_H
