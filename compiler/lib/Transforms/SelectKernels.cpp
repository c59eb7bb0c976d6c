//===- SelectKernels.cpp - choose kernels and weight layouts per target ---===//

#include "trit/Compiler/KernelFamilies.h"
#include "trit/Compiler/Passes.h"
#include "trit/Compiler/WeightLayouts.h"
#include "trit/Dialect/TritOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITSELECTKERNELS
#include "trit/Compiler/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;
using ::trit::getWeightLayoutInfo;
using ::trit::WeightLayout;

namespace {

struct SelectKernelsPass
    : public mlir::trit::impl::TritSelectKernelsBase<SelectKernelsPass> {
  using TritSelectKernelsBase::TritSelectKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    TargetAttr target = lookupTargetOrEmitError(module);
    if (!target)
      return signalPassFailure();
    std::optional<KernelKind> kind = chooseKernel(module, target);
    if (!kind)
      return signalPassFailure();
    if (failed(assignLayouts(module, *kind, target)) ||
        failed(assignKernels(module, *kind)))
      return signalPassFailure();
  }

  std::optional<KernelKind> chooseKernel(ModuleOp module, TargetAttr target) {
    std::optional<KernelKind> forced = getForcedKernel(kernel);
    if (!forced)
      return getBestKernel(target);
    if (!canRun(target, *forced)) {
      module.emitError() << "kernel " << stringifyKernelKind(*forced)
                         << " needs "
                         << llvm::join(getRequiredFeatures(*forced), ", ")
                         << (isAArch64Kernel(*forced) ? " on aarch64"
                                                      : " on x86")
                         << ", which the target " << target.getCpu() << " ("
                         << target.getTriple() << ") lacks";
      return std::nullopt;
    }
    return forced;
  }

  /// Every ternary weight takes the layout the kernels read: I2_S, T3X5,
  /// or T3X5 with rows in lanes (t3x5x64: the AVX-512 VNNI kernels with
  /// AVX-512 VBMI, for weights of a multiple of 64 rows). `auto` takes the
  /// fewest bytes the kernels decode fastest: rows in lanes where it can
  /// (generation looks up exact triple sums there, ~1.4x the row-major
  /// T3X5 decoding), else T3X5 for the AVX-512 VNNI kernels (which decode
  /// it at about DRAM speed), else I2_S (the others' T3X5 decoding costs
  /// more than the bytes save).
  LogicalResult assignLayouts(ModuleOp module, KernelKind kernelKind,
                              TargetAttr target) {
    MLIRContext *ctx = module.getContext();
    const ::trit::WeightLayoutInfo &lanesInfo =
        getWeightLayoutInfo(WeightLayout::T3X5_X64);
    bool lanesKernel =
        kernelKind == KernelKind::AVX512VNNI &&
        llvm::all_of(lanesInfo.requiredFeatures, [&](StringRef feature) {
          return target.hasFeature(feature);
        });
    bool forcedLanes = packing == WeightPacking::T3X5X64;
    bool rowsInLanes =
        forcedLanes || (packing == WeightPacking::Auto && lanesKernel);
    PackingKind kind =
        packing == WeightPacking::I2_S ||
                (packing == WeightPacking::Auto &&
                 kernelKind != KernelKind::AVX512VNNI)
            ? PackingKind::I2_S
            : PackingKind::T3X5;
    if (forcedLanes && kernelKind != KernelKind::AVX512VNNI)
      return module.emitError()
             << "weight packing t3x5x64 needs the avx512vnni kernels; the "
                "target "
             << target.getCpu() << " runs the "
             << stringifyKernelKind(kernelKind) << " kernels";
    if (forcedLanes && !lanesKernel)
      return module.emitError()
             << "weight packing t3x5x64 needs AVX-512 VBMI, which the target "
             << target.getCpu() << " lacks";
    auto layout = PackingAttr::get(ctx, kind);
    auto lanes = PackingAttr::get(ctx, kind, layout.getBlock(),
                                  lanesInfo.getRowMultiple());
    int64_t columnMultiple =
        getWeightLayoutInfo(kind == PackingKind::T3X5 ? WeightLayout::T3X5
                                                      : WeightLayout::I2_S)
            .getColumnMultiple();
    llvm::StringMap<RankedTensorType> newTypes;
    for (GlobalOp global : module.getOps<GlobalOp>()) {
      RankedTensorType type = global.getTensorType();
      if (!isa<TernaryType>(type.getElementType()))
        continue;
      // Group-scaled weights (Ternary Bonsai) take T2G whatever the target:
      // every kernel family reads it, at 2 + 16/B bits per weight.
      if (auto source = dyn_cast_or_null<PackingAttr>(type.getEncoding());
          source && isGroupScaled(source.getKind())) {
        auto packed = RankedTensorType::get(
            type.getShape(), type.getElementType(),
            PackingAttr::get(ctx, PackingKind::T2G, source.getBlock(), 16));
        global.setType(packed);
        newTypes[global.getSymName()] = packed;
        continue;
      }
      if (type.getRank() != 2 || type.getDimSize(1) % columnMultiple != 0)
        return global.emitOpError()
               << "has rows of " << type.getDimSize(type.getRank() - 1)
               << " weights; the " << stringifyPackingKind(kind)
               << " kernels need a multiple of " << columnMultiple;
      // The row dots keep a token's tables on the stack, 11 bytes per
      // column (kernels.h): past 65536 columns (704 KB) rows stay in rows.
      constexpr int64_t kMaxLanesColumns = 65536;
      bool inLanes = rowsInLanes &&
                     type.getDimSize(0) % lanesInfo.getRowMultiple() == 0 &&
                     type.getDimSize(1) <= kMaxLanesColumns;
      if (forcedLanes && !inLanes)
        return global.emitOpError()
               << "has " << type.getDimSize(0) << " rows of "
               << type.getDimSize(1)
               << " weights; weight packing t3x5x64 needs a multiple of 64 "
                  "rows of at most "
               << kMaxLanesColumns;
      auto packed = RankedTensorType::get(type.getShape(),
                                          type.getElementType(),
                                          inLanes ? lanes : layout);
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
    auto groupScaled = [](Value weight) {
      auto packing = dyn_cast_or_null<PackingAttr>(
          cast<RankedTensorType>(weight.getType()).getEncoding());
      return packing && isGroupScaled(packing.getKind());
    };
    WalkResult result = module.walk([&](Operation *op) {
      if (auto bitlinear = dyn_cast<BitLinearOp>(op)) {
        // Group-scaled weights read Q8_0 blocks of 32; the others rows.
        bool grouped = groupScaled(bitlinear.getWeight());
        QActType input = bitlinear.getInput().getType();
        if (grouped ? input.getBlock() != 32 : !input.isPerRow())
          return bitlinear.emitOpError()
                     << (grouped ? "has a group-scaled weight, whose kernels "
                                   "read activations in Q8_0 blocks of 32"
                                 : "has per-block activations, which no "
                                   "kernel implements for its weight"),
                 WalkResult::interrupt();
        if (!grouped && !perTensor(bitlinear.getWeightScale()))
          return bitlinear.emitOpError()
                     << "has per-block weight scales, which the I2_S kernels "
                        "do not apply",
                 WalkResult::interrupt();
        bitlinear.setKernelAttr(attr);
      } else if (auto fused = dyn_cast<FusedBitLinearOp>(op)) {
        // Its verifier pairs group-scaled weights with Q8_0 blocks.
        if (!fused.getBlock() && !llvm::all_of(fused.getScales(), perTensor))
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
