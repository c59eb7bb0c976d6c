//===- Passes.h - passes on trit IR -----------------------------*- C++ -*-===//

#ifndef TRIT_COMPILER_PASSES_H
#define TRIT_COMPILER_PASSES_H

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

/// Options of the `trit-optimize` pipeline.
struct OptimizePipelineOptions
    : public PassPipelineOptions<OptimizePipelineOptions> {
  Option<bool> fuseGating{*this, "fuse-gating",
                          llvm::cl::desc("Fold the FFN gating into the fused "
                                         "gate/up BitLinear"),
                          llvm::cl::init(true)};
  Option<std::string> kernel{
      *this, "kernel",
      llvm::cl::desc("Microkernel family: auto (the best the target runs), "
                     "generic, avx2, avx512vnni or neon_dotprod"),
      llvm::cl::init("auto")};
  Option<std::string> packing{
      *this, "packing",
      llvm::cl::desc("Ternary weight layout: i2_s (2 bits per weight), "
                     "t3x5 (1.67 bits per weight), t3x5x64 (t3x5 with 64 "
                     "rows in lanes; avx512vnni kernels with AVX-512 VBMI) "
                     "or auto (t3x5x64 where it can, else t3x5 for the "
                     "avx512vnni kernels, i2_s for the others)"),
      llvm::cl::init("auto")};
};

/// The trit-level optimization pipeline: canonicalize and CSE, fuse
/// norm + quantization + BitLinears, fold the gating, clean up, choose the
/// kernels and weight layouts for the module's target.
void buildOptimizePipeline(OpPassManager &pm,
                           const OptimizePipelineOptions &options);

/// Options of the `trit-lower` pipeline.
struct LowerToLLVMPipelineOptions
    : public PassPipelineOptions<LowerToLLVMPipelineOptions> {
  Option<int64_t> maxTokens{
      *this, "max-tokens",
      llvm::cl::desc("Prompt tokens one prefill call evaluates (the runtime "
                     "splits longer prompts)"),
      llvm::cl::init(64)};
  Option<int64_t> maxContext{
      *this, "max-context",
      llvm::cl::desc("Largest context the runtime may create (0: the "
                     "model's context length)"),
      llvm::cl::init(0)};
  Option<std::string> normCodegen{
      *this, "norm-codegen",
      llvm::cl::desc("RMSNorm through the C kernel (kernel) or generated "
                     "vector-dialect code (vector)"),
      llvm::cl::init("kernel")};
  Option<std::string> lmHead{
      *this, "lm-head",
      llvm::cl::desc("LM head from the table as stored (exact), an int8 "
                     "copy (q8), a 4-bit copy (q4) or a ternary copy whose "
                     "best rows are recomputed exactly (rerank)"),
      llvm::cl::init("exact")};
  Option<int64_t> rerankCandidates{
      *this, "rerank-candidates",
      llvm::cl::desc("Rows per token that lm-head=rerank recomputes from "
                     "the exact table (1 to 8192)"),
      llvm::cl::init(1024)};
  Option<bool> promptLut{
      *this, "prompt-lut",
      llvm::cl::desc("T3X5 BitLinears of prompts through int8 lookup "
                     "tables: faster, inexact (needs AVX-512 VBMI)"),
      llvm::cl::init(false)};
};

/// From optimized trit IR to LLVM dialect: trit-plan-memory, then
/// trit-lower-to-llvm.
void buildLowerToLLVMPipeline(OpPassManager &pm,
                              const LowerToLLVMPipelineOptions &options);

/// Registers every trit pass and the `trit-optimize` and `trit-lower`
/// pipelines.
void registerTritPassesAndPipelines();

} // namespace mlir::trit

#endif // TRIT_COMPILER_PASSES_H
