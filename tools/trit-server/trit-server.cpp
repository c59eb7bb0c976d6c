//===- trit-server.cpp - serve a compiled model over the OpenAI API -------===//
//
// Opens a .trit artifact written by tritc and serves it over HTTP: the
// OpenAI API with continuous batching across requests. The command line is
// the runtime's serveCommand, which `./model --serve` shares.
//
//===----------------------------------------------------------------------===//

#include "trit/Server/Server.h"

int main(int argc, char **argv) {
  return trit::serveCommand(argc, argv, {"trit-server", nullptr});
}
