//===- InitTritDialects.h - dialects the trit tools use ---------*- C++ -*-===//
//
// Registers the trit dialect and the few upstream dialects that trit
// programs are written with. Tools register only these: MLIR's
// InitAllDialects.h costs 40 s and 1.5 GB per translation unit.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_INITTRITDIALECTS_H
#define TRIT_INITTRITDIALECTS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "trit/Dialect/TritOps.h"

namespace mlir::trit {

inline void registerTritDialects(DialectRegistry &registry) {
  registry.insert<TritDialect, arith::ArithDialect, func::FuncDialect,
                  tensor::TensorDialect>();
}

} // namespace mlir::trit

#endif // TRIT_INITTRITDIALECTS_H
