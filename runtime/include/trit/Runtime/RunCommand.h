//===- RunCommand.h - trit-run's command line as a function -----*- C++ -*-===//
//
// trit-run and the standalone model executables share one command line:
// prompt, chat, sampling and tokens/s. It lives in the runtime (and needs no
// LLVM) so that an executable with its model built in is just a main() that
// calls runCommand with a way to open that model.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_RUNCOMMAND_H
#define TRIT_RUNTIME_RUNCOMMAND_H

#include "trit/Runtime/Error.h"

#include <functional>
#include <memory>
#include <string>

namespace trit {

class Artifact;

struct RunCommandOptions {
  /// The program name used in messages and --help ("trit-run" or the model
  /// executable's name).
  std::string programName;
  /// When set, the model is built in (a standalone executable): no
  /// positional model path is accepted, and this opens it, with the
  /// --weights FILE given (or "": the program's own). When empty, the first
  /// positional argument is a .trit file opened with Artifact::open.
  std::function<Expected<std::unique_ptr<Artifact>>(
      const std::string &weightsPath)>
      openBuiltInModel;
};

/// trit-run's whole command line (see docs/trit-run.md); returns the process
/// exit code: 0, or 1 after printing "<program>: error: <message>" on
/// stderr.
int runCommand(int argc, char **argv, const RunCommandOptions &options);

} // namespace trit

#endif // TRIT_RUNTIME_RUNCOMMAND_H
