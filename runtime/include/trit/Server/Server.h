//===- Server.h - the OpenAI-compatible HTTP server -------------*- C++ -*-===//
//
// trit-server and `./model --serve` (programs built by tritc --emit=exe):
// the OpenAI API (/v1/models, /v1/completions, /v1/chat/completions) and
// llama-server's /health, /metrics, /tokenize and /detokenize over
// cpp-httplib, generating with an Engine (continuous batching over the
// model's sequences). See docs/trit-server.md.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_SERVER_SERVER_H
#define TRIT_SERVER_SERVER_H

#include "trit/Runtime/RunCommand.h"

#include <cstdint>
#include <string>

namespace trit {

namespace server {

/// The command line's settings, with their defaults.
struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080; // 0: any free port (the one taken is printed)
  int threads = 0; // 0: the host's default (HostThreads)
  int parallel = 4;
  int64_t contextSize = 0; // per sequence; 0: the compiled context
  std::string apiKey;
  int timeout = 600; // seconds, for reading and writing a connection
  int queueSize = 64;
  std::string alias; // the model's name; "": the file's or program's name
  int64_t payloadLimit = int64_t(8) << 20;
  /// Access-Control-Allow-Origin: "*", origins separated by commas (the
  /// request's Origin is echoed when listed), or "" for no CORS headers.
  std::string corsOrigin = "*";
  bool logDisable = false; // no line on stderr per request
  /// A thinking model's chat (Qwen3): -1 thinks, 0 pre-fills an empty
  /// think block (llama-server's spelling; token budgets are refused).
  int reasoningBudget = -1;
  /// "none": the answer as generated; "auto" or "deepseek": its leading
  /// think block as reasoning_content.
  std::string reasoningFormat = "auto";
};

} // namespace server

/// The server's whole command line: with `options.openBuiltInModel` the
/// model is built in (the arguments of `./model --serve`, which is taken
/// out); otherwise the first positional argument is a .trit file. Returns
/// the exit code: 0 after SIGTERM or SIGINT, 1 after printing an error.
int serveCommand(int argc, char **argv, const RunCommandOptions &options);

} // namespace trit

#endif // TRIT_SERVER_SERVER_H
