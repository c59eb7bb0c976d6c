//===- Passes.h - passes on trit IR -----------------------------*- C++ -*-===//

#ifndef TRIT_COMPILER_PASSES_H
#define TRIT_COMPILER_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::trit {

#define GEN_PASS_DECL
#include "trit/Compiler/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trit/Compiler/Passes.h.inc"

/// Options of the `trit-optimize` pipeline.
struct OptimizePipelineOptions
    : public PassPipelineOptions<OptimizePipelineOptions> {
  Option<bool> fuseGating{*this, "fuse-gating",
                          llvm::cl::desc("Fold the FFN gating into the fused "
                                         "gate/up BitLinear"),
                          llvm::cl::init(true)};
};

/// The trit-level optimization pipeline: canonicalize and CSE, fuse
/// norm + quantization + BitLinears, fold the gating, clean up.
void buildOptimizePipeline(OpPassManager &pm,
                           const OptimizePipelineOptions &options);

/// Registers every trit pass and the `trit-optimize` pipeline.
void registerTritPassesAndPipelines();

} // namespace mlir::trit

#endif // TRIT_COMPILER_PASSES_H
