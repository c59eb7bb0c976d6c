//===- trit-run.cpp - run a compiled model ---------------------------------===//
//
// Opens a .trit artifact written by tritc, evaluates a prompt (text or token
// ids) and generates, streaming the text, or holds a chat; ends with prompt
// and generation tokens/s. The command line is the runtime's runCommand,
// which standalone model executables share.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/RunCommand.h"

int main(int argc, char **argv) {
  return trit::runCommand(argc, argv, {"trit-run", nullptr});
}
