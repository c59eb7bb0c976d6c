//===- ExecutableMain.cpp - main() of a model compiled with --emit=exe ----===//
//
// tritc --emit=exe links this with the runtime and a model whose object
// defines trit_executable_model: the program is trit-run with the model
// built in.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/RunCommand.h"

#include <cstring>

extern "C" const trit_linked_model trit_executable_model;

int main(int argc, char **argv) {
  trit::RunCommandOptions options;
  const char *slash = std::strrchr(argv[0], '/');
  options.programName = slash ? slash + 1 : argv[0];
  options.openBuiltInModel = [](const std::string &containerPath) {
    return trit::Artifact::openLinked(trit_executable_model, containerPath);
  };
  return trit::runCommand(argc, argv, options);
}
