//===- Target.h - resolving the target CPU ----------------------*- C++ -*-===//

#ifndef TRIT_COMPILER_TARGET_H
#define TRIT_COMPILER_TARGET_H

#include "trit/Dialect/TritOps.h"

#include "llvm/Support/Error.h"

#include <string>

namespace trit {

/// What the user asked for (tritc's --target-triple, --target-cpu,
/// --target-features).
struct TargetOptions {
  /// Empty: the host's triple.
  std::string triple;
  /// "host": the CPU this compiler runs on, with the features it detects.
  /// Empty: "host" for the host's architecture, else the triple's generic
  /// CPU (as clang does without -mcpu).
  std::string cpu;
  /// "+feature,-feature" applied after the CPU's own features.
  std::string features;
};

/// Resolves `options` to a concrete target: a normalized triple, a named CPU
/// and the complete list of enabled features (with LLVM's implications:
/// -avx512f also turns off avx512vnni). Unknown triples, CPUs and features
/// are errors that name them.
llvm::Expected<mlir::trit::TargetAttr>
resolveTarget(mlir::MLIRContext &context, const TargetOptions &options);

} // namespace trit

#endif // TRIT_COMPILER_TARGET_H
