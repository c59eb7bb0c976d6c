//===- TritOps.h - trit operations ------------------------------*- C++ -*-===//
//
// The one header to include for the trit dialect: dialect, attributes, types
// and operations.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DIALECT_TRITOPS_H
#define TRIT_DIALECT_TRITOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "trit/Dialect/TritAttrs.h"
#include "trit/Dialect/TritDialect.h"
#include "trit/Dialect/TritTypes.h"

#define GET_OP_CLASSES
#include "trit/Dialect/TritOps.h.inc"

#endif // TRIT_DIALECT_TRITOPS_H
