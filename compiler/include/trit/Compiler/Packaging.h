//===- Packaging.h - ship a compiled model as a program or library -*- C++ -*-===//
//
// tritc --emit=exe and --emit=static-lib link a model into a program instead
// of writing a .trit file for trit-run. The model's object exports one
// constant, a trit_linked_model (kernels/include/trit/abi.h), that holds
// its entry points and finds its container (header and weights, no code):
// in a page-aligned read-only section of the program, or in a file beside it.
// The runtime for the target (lib/trit/<arch>/ beside tritc) is built by
// Trit's build for each architecture it can compile for.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_PACKAGING_H
#define TRIT_COMPILER_PACKAGING_H

#include "llvm/ADT/StringRef.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

#include <string>
#include <vector>

namespace trit {

class ContainerWriter;

/// Adds the trit_linked_model constant `symbol` to a module built by
/// buildOptimizedLLVMModule and makes the entry points internal, so that
/// models linked into one program do not collide. The container is the
/// symbol `containerSymbol` when it is embedded (see writeContainerObject),
/// or the file `containerFile` when it is not.
llvm::Error addLinkedModel(llvm::Module &code, llvm::StringRef symbol,
                           llvm::StringRef containerSymbol,
                           llvm::StringRef containerFile,
                           const ContainerWriter &container);

/// Writes an ELF relocatable object whose only content is `container`, in a
/// page-aligned read-only section (a large-data section on x86-64, so a
/// multi-gigabyte model stays out of the code's PC-relative range), defining
/// the hidden symbol `symbol`. The container is streamed, never held in
/// memory.
llvm::Error writeContainerObject(llvm::StringRef path,
                                 const llvm::Triple &triple,
                                 llvm::StringRef symbol,
                                 const ContainerWriter &container);

/// The Trit runtime built for a target architecture: its archive (the
/// runtime with PCRE2) and the object with an executable's main().
struct TargetRuntime {
  std::string archive, mainObject;
};

/// Looks in `directory`, or by default in <tritc's prefix>/lib/trit/<arch>.
llvm::Expected<TargetRuntime> findTargetRuntime(const llvm::Triple &triple,
                                                llvm::StringRef directory,
                                                const char *argv0);

struct ExecutableOptions {
  /// Links libstdc++ and libgcc statically (then only the C library is
  /// needed at run time).
  bool staticCxxRuntime = false;
};

/// Links `objects`, the runtime and its main() into the executable `output`
/// with the system's clang driver and lld for `triple`.
llvm::Error linkExecutable(const llvm::Triple &triple,
                           const TargetRuntime &runtime,
                           llvm::ArrayRef<std::string> objects,
                           llvm::StringRef output,
                           const ExecutableOptions &options);

/// Writes the archive `output`: `objects` and every member of the runtime's
/// archive, so a program needs nothing else from Trit.
llvm::Error writeStaticLibrary(const TargetRuntime &runtime,
                               llvm::ArrayRef<std::string> objects,
                               llvm::StringRef output);

/// Writes the C header of a static library: the runtime's C API (trit.h)
/// and the model's trit_linked_model `symbol` with an open function.
void writeLinkedModelHeader(llvm::raw_ostream &os, llvm::StringRef name,
                            llvm::StringRef symbol, llvm::StringRef library,
                            llvm::StringRef description);

/// A C identifier from a file name: "models/libmy-model.a" -> "my_model".
std::string getModelNameFromPath(llvm::StringRef path);
bool isCIdentifier(llvm::StringRef name);
/// The C API function that trit_model_NAME or trit_model_NAME_open would
/// collide with (trit_model_open for "open"), or "".
std::string getCApiClash(llvm::StringRef name);

} // namespace trit

#endif // TRIT_COMPILER_PACKAGING_H
