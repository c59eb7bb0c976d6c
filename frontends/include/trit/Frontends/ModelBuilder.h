//===- ModelBuilder.h - a trit module from an imported model ----*- C++ -*-===//

#ifndef TRIT_FRONTENDS_MODELBUILDER_H
#define TRIT_FRONTENDS_MODELBUILDER_H

#include "trit/Frontends/Model.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace trit {

/// Emits the whole forward pass of `model` as a trit module:
///   - a `trit.global` per weight, external (named by source file and
///     tensor), and an inline f32 scale per ternary weight;
///   - `@forward(tokens, start, cache) -> (logits, cache)`, private, with
///     every layer; `@prefill` (any number of tokens) and `@decode` (one
///     token) call it and carry `trit.entry_point`;
///   - the hyperparameters as the module attribute `trit.model`.
/// The IR never holds weight data: its size is independent of the weights.
mlir::OwningOpRef<mlir::ModuleOp> buildModule(mlir::MLIRContext &context,
                                              const Model &model);

/// Writes the tokenizer data as JSON (the neutral form the runtime reads).
void writeTokenizerJSON(const TokenizerData &tokenizer, llvm::raw_ostream &os);

} // namespace trit

#endif // TRIT_FRONTENDS_MODELBUILDER_H
