//===- SelectKernels.cpp - choose kernels and weight layouts per target ---===//

#include "trit/Compiler/Passes.h"
#include "trit/Dialect/TritOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITSELECTKERNELS
#include "trit/Compiler/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

/// The features each kernel family needs; empty for the portable kernel.
static SmallVector<StringRef> getRequiredFeatures(KernelKind kind) {
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

static bool isAArch64Kernel(KernelKind kind) {
  return kind == KernelKind::NEONDotprod;
}

static bool canRun(TargetAttr target, KernelKind kind) {
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

struct SelectKernelsPass
    : public mlir::trit::impl::TritSelectKernelsBase<SelectKernelsPass> {
  using TritSelectKernelsBase::TritSelectKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    TargetAttr target = TargetAttr::lookup(module);
    if (!target) {
      module.emitError() << "has no " << TargetAttr::getAttrName()
                         << " attribute; tritc sets it from --target-cpu";
      return signalPassFailure();
    }
    std::optional<KernelKind> kind = chooseKernel(module, target);
    if (!kind)
      return signalPassFailure();
    if (failed(assignLayouts(module)) || failed(assignKernels(module, *kind)))
      return signalPassFailure();
  }

  std::optional<KernelKind> chooseKernel(ModuleOp module, TargetAttr target) {
    if (kernel != "auto") {
      std::optional<KernelKind> forced = symbolizeKernelKind(kernel);
      if (!forced) {
        module.emitError() << "unknown kernel '" << kernel
                           << "'; expected auto, generic, avx2, avx512vnni or "
                              "neon_dotprod";
        return std::nullopt;
      }
      if (!canRun(target, *forced)) {
        module.emitError() << "kernel " << kernel << " needs "
                           << llvm::join(getRequiredFeatures(*forced), ", ")
                           << (isAArch64Kernel(*forced) ? " on aarch64"
                                                        : " on x86")
                           << ", which the target " << target.getCpu()
                           << " (" << target.getTriple() << ") lacks";
        return std::nullopt;
      }
      return forced;
    }
    for (KernelKind candidate : {KernelKind::AVX512VNNI, KernelKind::AVX2,
                                 KernelKind::NEONDotprod})
      if (canRun(target, candidate))
        return candidate;
    return KernelKind::Generic;
  }

  /// Every ternary weight takes the I2_S layout the kernels read.
  LogicalResult assignLayouts(ModuleOp module) {
    MLIRContext *ctx = module.getContext();
    auto i2s = PackingAttr::get(ctx, PackingKind::I2_S);
    llvm::StringMap<RankedTensorType> newTypes;
    for (GlobalOp global : module.getOps<GlobalOp>()) {
      RankedTensorType type = global.getTensorType();
      if (!isa<TernaryType>(type.getElementType()))
        continue;
      if (type.getRank() != 2 || type.getDimSize(1) % i2s.getBlock() != 0)
        return global.emitOpError()
               << "has rows of " << type.getDimSize(type.getRank() - 1)
               << " weights; the kernels need a multiple of "
               << i2s.getBlock();
      auto packed =
          RankedTensorType::get(type.getShape(), type.getElementType(), i2s);
      global.setType(packed);
      newTypes[global.getSymName()] = packed;
    }
    module.walk([&](WeightOp weight) {
      auto it = newTypes.find(weight.getName());
      if (it != newTypes.end())
        weight.getResult().setType(it->second);
    });
    return success();
  }

  LogicalResult assignKernels(ModuleOp module, KernelKind kind) {
    auto attr = KernelKindAttr::get(module.getContext(), kind);
    auto perTensor = [](Value scale) {
      return cast<RankedTensorType>(scale.getType()).getRank() < 2;
    };
    WalkResult result = module.walk([&](Operation *op) {
      if (auto bitlinear = dyn_cast<BitLinearOp>(op)) {
        if (!bitlinear.getInput().getType().isPerRow())
          return bitlinear.emitOpError()
                     << "has per-block activations, which no kernel "
                        "implements",
                 WalkResult::interrupt();
        if (!perTensor(bitlinear.getWeightScale()))
          return bitlinear.emitOpError()
                     << "has per-block weight scales, which the I2_S kernels "
                        "do not apply",
                 WalkResult::interrupt();
        bitlinear.setKernelAttr(attr);
      } else if (auto fused = dyn_cast<FusedBitLinearOp>(op)) {
        if (!llvm::all_of(fused.getScales(), perTensor))
          return fused.emitOpError()
                     << "has per-block weight scales, which the I2_S kernels "
                        "do not apply",
                 WalkResult::interrupt();
        fused.setKernelAttr(attr);
      }
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }
};

} // namespace
