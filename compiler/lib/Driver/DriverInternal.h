//===- DriverInternal.h - the driver's parts --------------------*- C++ -*-===//

#ifndef TRIT_COMPILER_DRIVER_DRIVERINTERNAL_H
#define TRIT_COMPILER_DRIVER_DRIVERINTERNAL_H

#include "trit/Compiler/ArtifactWriter.h"
#include "trit/Compiler/Driver.h"
#include "trit/Compiler/Packaging.h"

#include "llvm/IR/Module.h"

#include <cstdint>
#include <functional>
#include <string>

namespace trit::driver {

/// Whether registerCompileCLOptions ran: MLIR's pass manager options then
/// exist to apply (applyPassManagerCLOptions fails without them).
bool hasCompileCLOptions();

/// A one-line status on stderr: the stage, and the share of weights packed.
/// Redrawn in place, and cleared before anything else is printed and at
/// the end, so only a terminal ever sees it; disabled, it prints nothing.
class Progress {
public:
  explicit Progress(bool enabled) : enabled(enabled) {}
  ~Progress() { clear(); }
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  void setStage(const llvm::Twine &stage);
  /// `done` of `total` units of the current stage.
  void setFraction(uint64_t done, uint64_t total);
  void clear();
  /// setFraction as the artifact writer's packing callback.
  ContainerWriter::PackingProgress packingCallback() { return onPacked; }

private:
  void draw();

  bool enabled;
  bool shown = false;
  std::string stage;
  int percent = -1;
  std::function<void(uint64_t, uint64_t)> onPacked =
      [this](uint64_t done, uint64_t total) { setFraction(done, total); };
};

/// What a linked program (exe, static-lib) needs that is checked before
/// compiling: the target's runtime and the model's C name.
struct ProgramPlan {
  TargetRuntime runtime;
  std::string name;
};

llvm::Expected<ProgramPlan> planProgram(const CompileOptions &options,
                                        const llvm::Triple &triple);

/// Writes the program or library: the model's object (code and the
/// trit_linked_model constant), its container (an object, or the file
/// OUTPUT.weights), linked with the target's runtime.
llvm::Error writeProgram(const CompileOptions &options,
                         const ProgramPlan &plan, mlir::ModuleOp lowered,
                         llvm::Module &code, const Model &model,
                         Progress &progress);

} // namespace trit::driver

#endif // TRIT_COMPILER_DRIVER_DRIVERINTERNAL_H
