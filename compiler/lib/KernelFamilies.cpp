//===- KernelFamilies.cpp - which microkernel families a target runs ------===//

#include "trit/Compiler/KernelFamilies.h"

#include "llvm/ADT/STLExtras.h"

namespace mlir::trit {

/// The features each kernel family needs; empty for the portable kernel.
SmallVector<StringRef> getRequiredFeatures(KernelKind kind) {
  switch (kind) {
  case KernelKind::Generic:
    return {};
  case KernelKind::AVX2: // its f16 conversions and float ops use F16C and FMA
    return {"avx2", "fma", "f16c"};
  case KernelKind::AVX512VNNI:
    return {"avx512vnni", "avx512bw", "avx512vl"};
  case KernelKind::NEONDotprod:
    return {"dotprod"};
  }
  return {};
}

bool isAArch64Kernel(KernelKind kind) {
  return kind == KernelKind::NEONDotprod;
}

bool canRun(TargetAttr target, KernelKind kind) {
  StringRef triple = target.getTriple();
  bool x86 = triple.starts_with("x86_64") || triple.starts_with("i686") ||
             triple.starts_with("i386");
  bool aarch64 = triple.starts_with("aarch64") || triple.starts_with("arm64");
  if (kind != KernelKind::Generic &&
      !(isAArch64Kernel(kind) ? aarch64 : x86))
    return false;
  return llvm::all_of(getRequiredFeatures(kind), [&](StringRef feature) {
    return target.hasFeature(feature);
  });
}

TargetAttr lookupTargetOrEmitError(ModuleOp module) {
  TargetAttr target = TargetAttr::lookup(module);
  if (!target)
    module.emitError() << "has no " << TargetAttr::getAttrName()
                       << " attribute; tritc sets it from --target-cpu";
  return target;
}

KernelKind getBestKernel(TargetAttr target) {
  for (KernelKind candidate : {KernelKind::AVX512VNNI, KernelKind::AVX2,
                               KernelKind::NEONDotprod})
    if (canRun(target, candidate))
      return candidate;
  return KernelKind::Generic;
}

} // namespace mlir::trit
