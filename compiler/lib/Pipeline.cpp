//===- Pipeline.cpp - the trit pipelines and pass registration ------------===//

#include "trit/Compiler/Passes.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace mlir::trit {

void buildOptimizePipeline(OpPassManager &pm, const PipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createTritFuseBitLinear());
  if (options.fuseGating)
    pm.addPass(createTritFuseGating());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createTritSelectKernels({options.kernel, options.packing}));
}

void buildLowerToLLVMPipeline(OpPassManager &pm,
                              const PipelineOptions &options) {
  pm.addPass(
      createTritPlanMemory({options.getMaxTokens(), options.maxContext}));
  pm.addPass(createTritLowerToLLVM({options.normCodegen, options.lmHead,
                                    options.rerankCandidates,
                                    options.rerankMargin, options.promptLut}));
  // Generated vector-dialect code (norm-codegen=vector) to LLVM.
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

namespace {

/// Copies the options given in a textual pipeline; the others keep
/// PipelineOptions' defaults.
template <typename T, typename OptionT>
void copyIfSet(T &field, const OptionT &option) {
  if (option.hasValue())
    field = option;
}
template <typename T, typename OptionT>
void copyIfSet(std::optional<T> &field, const OptionT &option) {
  if (option.hasValue())
    field = T(option);
}

/// `trit-optimize`'s options in trit-opt's textual pipelines.
struct OptimizeOptions : public PassPipelineOptions<OptimizeOptions> {
  Option<bool> fuseGating{*this, "fuse-gating",
                          llvm::cl::desc("Fold the FFN gating into the fused "
                                         "gate/up BitLinear (default: on)")};
  Option<KernelChoice> kernel{*this, "kernel",
                              llvm::cl::desc("Microkernel family")};
  Option<WeightPacking> packing{*this, "packing",
                                llvm::cl::desc("Ternary weight layout")};

  PipelineOptions get() const {
    PipelineOptions options;
    copyIfSet(options.fuseGating, fuseGating);
    copyIfSet(options.kernel, kernel);
    copyIfSet(options.packing, packing);
    return options;
  }
};

/// `trit-lower`'s options in trit-opt's textual pipelines.
struct LowerOptions : public PassPipelineOptions<LowerOptions> {
  Option<int64_t> maxTokens{
      *this, "max-tokens",
      llvm::cl::desc("Prompt tokens one prefill call evaluates (default: "
                     "64, or 128 with prompt-lut; the runtime splits longer "
                     "prompts)")};
  Option<int64_t> maxContext{
      *this, "max-context",
      llvm::cl::desc("Largest context the runtime may create (default: the "
                     "model's context length)")};
  Option<NormCodegen> normCodegen{
      *this, "norm-codegen",
      llvm::cl::desc("How a standalone RMSNorm is lowered")};
  Option<LMHead> lmHead{*this, "lm-head",
                        llvm::cl::desc("What the LM head reads")};
  Option<int64_t> rerankCandidates{
      *this, "rerank-candidates",
      llvm::cl::desc("Rows per token that lm-head=rerank recomputes from "
                     "the exact table (1 to 8192, default 1024)")};
  Option<double> rerankMargin{
      *this, "rerank-margin",
      llvm::cl::desc("Standard deviations of a reranking head's estimate "
                     "error within which a row is recomputed exactly "
                     "(default 8; 0: no check, inexact)")};
  Option<bool> promptLut{
      *this, "prompt-lut",
      llvm::cl::desc("T3X5 BitLinears of prompts through int8 lookup "
                     "tables: faster, inexact (needs AVX-512 VBMI)")};

  PipelineOptions get() const {
    PipelineOptions options;
    copyIfSet(options.maxTokens, maxTokens);
    copyIfSet(options.maxContext, maxContext);
    copyIfSet(options.normCodegen, normCodegen);
    copyIfSet(options.lmHead, lmHead);
    copyIfSet(options.rerankCandidates, rerankCandidates);
    copyIfSet(options.rerankMargin, rerankMargin);
    copyIfSet(options.promptLut, promptLut);
    return options;
  }
};

} // namespace

void registerTritPassesAndPipelines() {
  registerTritFuseBitLinear();
  registerTritFuseGating();
  registerTritSelectKernels();
  registerTritPlanMemory();
  registerTritLowerToLLVM();
  PassPipelineRegistration<LowerOptions>(
      "trit-lower",
      "Plan the activation memory and lower to LLVM dialect kernel calls "
      "(after trit-optimize)",
      [](OpPassManager &pm, const LowerOptions &options) {
        buildLowerToLLVMPipeline(pm, options.get());
      });
  PassPipelineRegistration<OptimizeOptions>(
      "trit-optimize",
      "The trit-level optimizations: canonicalize, CSE, fuse RMSNorm + "
      "quantization + BitLinears, fold the gating, choose kernels and weight "
      "layouts for the module's target",
      [](OpPassManager &pm, const OptimizeOptions &options) {
        buildOptimizePipeline(pm, options.get());
      });
}

} // namespace mlir::trit
