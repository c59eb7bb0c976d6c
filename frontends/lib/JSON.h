//===- JSON.h - JSON parsing for untrusted model files ----------*- C++ -*-===//

#ifndef TRIT_FRONTENDS_LIB_JSON_H
#define TRIT_FRONTENDS_LIB_JSON_H

#include "llvm/Support/JSON.h"

namespace trit {

/// Parses `text` as JSON. llvm::json::parse recurses once per nesting level,
/// so deeper nesting than any real config holds is rejected first: a file of
/// a million '[' is an error, not a stack overflow. `prefix` starts the
/// error message ("FILE: invalid JSON").
llvm::Expected<llvm::json::Value> parseUntrustedJSON(llvm::StringRef text,
                                                     const llvm::Twine &prefix);

} // namespace trit

#endif // TRIT_FRONTENDS_LIB_JSON_H
