//===- CompileAndLoad.h - compile a trit module and load its code -*- C++ -*-===//
//
// For test harnesses and benchmarks, ahead of the artifact: runs the lowering
// and code generation on a module in memory, links the object into a shared
// library with ld.lld and loads it, as tritc and the runtime do.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TEST_HARNESS_COMPILEANDLOAD_H
#define TRIT_TEST_HARNESS_COMPILEANDLOAD_H

#include "trit/Compiler/Options.h"
#include "trit/Compiler/WeightLayouts.h"
#include "trit/Runtime/Executor.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/Error.h"

namespace trit::harness {

/// Runs trit-optimize and trit-lower on `module` (which has its target) as
/// tritc does (the driver's runPipelines), then code generation; loads the
/// result. Fills the code and memory-plan fields of `info`, and the weight
/// table's names and layouts.
llvm::Error compileAndLoad(mlir::ModuleOp module,
                           const mlir::trit::PipelineOptions &options,
                           CompiledModelInfo &info,
                           std::vector<std::pair<std::string, WeightLayout>>
                               &weightTable);

} // namespace trit::harness

#endif // TRIT_TEST_HARNESS_COMPILEANDLOAD_H
