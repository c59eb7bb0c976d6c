//===- LoweredModule.h - what a lowered module records for the runtime -*- C++ -*-===//
//
// trit-lower leaves on the module what the runtime needs besides the code:
// the memory plan (trit.memory_plan, trit-plan-memory), the model's shape
// (trit.model, the importer) and the RoPE table (trit.rope, the lowering).
// The artifact writer and the test harness read them through this one
// function, so a field added here reaches both.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_LOWEREDMODULE_H
#define TRIT_COMPILER_LOWEREDMODULE_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <cstdint>

namespace trit {

struct LoweredModuleInfo {
  // trit.memory_plan
  int64_t arenaSize = 0, maxTokens = 0, maxContext = 0;
  // trit.model
  int64_t vocab = 0, layers = 0, hiddenSize = 0, heads = 0, kvHeads = 0,
          headDim = 0, contextLength = 0;
  // trit.rope (absent when no op rotates: ropeDim 0)
  int64_t ropeDim = 0;
  double ropeTheta = 0;
  double ropeYarnFactor = 0; // 0: no YaRN
  int64_t ropeYarnOriginalContext = 0;
};

/// The records of a module lowered by trit-lower; an error when the memory
/// plan or the model's shape is missing.
llvm::Expected<LoweredModuleInfo> getLoweredModuleInfo(mlir::ModuleOp lowered);

} // namespace trit

#endif // TRIT_COMPILER_LOWEREDMODULE_H
