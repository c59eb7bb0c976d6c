//===- Passes.h - passes on trit IR -----------------------------*- C++ -*-===//

#ifndef TRIT_COMPILER_PASSES_H
#define TRIT_COMPILER_PASSES_H

#include "trit/Compiler/Options.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::trit {

#define GEN_PASS_DECL
#include "trit/Compiler/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trit/Compiler/Passes.h.inc"

/// The trit-level optimization pipeline: canonicalize and CSE, fuse
/// norm + quantization + BitLinears, fold the gating, clean up, choose the
/// kernels and weight layouts for the module's target. Reads the
/// trit-optimize fields of `options`.
void buildOptimizePipeline(OpPassManager &pm, const PipelineOptions &options);

/// From optimized trit IR to LLVM dialect: trit-plan-memory, then
/// trit-lower-to-llvm. Reads the trit-lower fields of `options`.
void buildLowerToLLVMPipeline(OpPassManager &pm,
                              const PipelineOptions &options);

/// Registers every trit pass and the `trit-optimize` and `trit-lower`
/// pipelines.
void registerTritPassesAndPipelines();

} // namespace mlir::trit

#endif // TRIT_COMPILER_PASSES_H
