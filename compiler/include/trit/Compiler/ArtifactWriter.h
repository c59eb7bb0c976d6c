//===- ArtifactWriter.h - write a compiled model as a .trit file -*- C++ -*-===//
//
// The container is described in runtime/include/trit/Runtime/ArtifactFormat.h
// and runtime/schema/artifact.fbs: a FlatBuffer header with the model's
// metadata, tokenizer, target and required CPU features, entry points,
// memory plan and weight table; the compiled code as an ELF shared object;
// the weights in the layouts the code reads, 64-byte aligned so the runtime
// maps them in place; a checksum of it all.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_ARTIFACTWRITER_H
#define TRIT_COMPILER_ARTIFACTWRITER_H

#include "trit/Frontends/Model.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

namespace trit {

/// Writes `path` from a module lowered by trit-lower (its trit.weights,
/// trit.memory_plan, trit.rope, trit.model and trit.target attributes), the
/// LLVM module built from it, and the model its weights come from.
llvm::Error writeArtifact(llvm::StringRef path, mlir::ModuleOp lowered,
                          llvm::Module &code, const Model &model);

} // namespace trit

#endif // TRIT_COMPILER_ARTIFACTWRITER_H
