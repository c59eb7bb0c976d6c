//===- Pipeline.cpp - the trit-optimize pipeline and pass registration ----===//

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

void buildOptimizePipeline(OpPassManager &pm,
                           const OptimizePipelineOptions &options) {
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createTritFuseBitLinear());
  if (options.fuseGating)
    pm.addPass(createTritFuseGating());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createTritSelectKernels({options.kernel, options.packing}));
}

void buildLowerToLLVMPipeline(OpPassManager &pm,
                              const LowerToLLVMPipelineOptions &options) {
  pm.addPass(createTritPlanMemory({options.maxTokens, options.maxContext}));
  pm.addPass(createTritLowerToLLVM(
      {options.normCodegen, options.lmHead, options.rerankCandidates,
       options.promptLut}));
  // Generated vector-dialect code (norm-codegen=vector) to LLVM.
  pm.addPass(createConvertSCFToCFPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void registerTritPassesAndPipelines() {
  registerTritFuseBitLinear();
  registerTritFuseGating();
  registerTritSelectKernels();
  registerTritPlanMemory();
  registerTritLowerToLLVM();
  PassPipelineRegistration<LowerToLLVMPipelineOptions>(
      "trit-lower",
      "Plan the activation memory and lower to LLVM dialect kernel calls "
      "(after trit-optimize)",
      buildLowerToLLVMPipeline);
  PassPipelineRegistration<OptimizePipelineOptions>(
      "trit-optimize",
      "The trit-level optimizations: canonicalize, CSE, fuse RMSNorm + "
      "quantization + BitLinears, fold the gating, choose kernels and weight "
      "layouts for the module's target",
      buildOptimizePipeline);
}

} // namespace mlir::trit
