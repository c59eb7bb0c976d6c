//===- KernelFamilies.h - which microkernel families a target runs --*- C++ -*-===//
//
// Shared by trit-select-kernels (the BitLinear kernels) and the lowering
// (every other op's kernels, and the bitcode to link).
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_KERNELFAMILIES_H
#define TRIT_COMPILER_KERNELFAMILIES_H

#include "trit/Dialect/TritAttrs.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/SmallVector.h"

namespace mlir::trit {

/// The CPU features a family needs; empty for the portable kernels.
llvm::SmallVector<llvm::StringRef> getRequiredFeatures(KernelKind kind);

/// True for families that only exist on aarch64.
bool isAArch64Kernel(KernelKind kind);

/// Whether `target` can run `kind`: right architecture, every feature.
bool canRun(TargetAttr target, KernelKind kind);

/// The module's #trit.target; null after an error saying how to set it.
TargetAttr lookupTargetOrEmitError(ModuleOp module);

/// The fastest family the target runs (generic when nothing else fits).
KernelKind getBestKernel(TargetAttr target);

} // namespace mlir::trit

#endif // TRIT_COMPILER_KERNELFAMILIES_H
