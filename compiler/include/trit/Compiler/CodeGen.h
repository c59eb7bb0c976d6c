//===- CodeGen.h - LLVM dialect module to optimized machine code -*- C++ -*-===//
//
// The last stage of the compiler: translate a module lowered by
// trit-lower-to-llvm to LLVM IR, link the kernel bitcode it calls
// (embedded in the compiler at build time), optimize at O3 with a
// TargetMachine for the module's #trit.target, and emit assembly or an
// object file.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_CODEGEN_H
#define TRIT_COMPILER_CODEGEN_H

#include "mlir/IR/BuiltinOps.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace trit {

/// Adds the translations from the builtin and LLVM dialects to LLVM IR.
void registerCodeGenTranslations(mlir::DialectRegistry &registry);

/// Translates `module`, links its kernels and runs the O3 pipeline for its
/// target. The result is what `tritc --emit=llvm` prints.
llvm::Expected<std::unique_ptr<llvm::Module>>
buildOptimizedLLVMModule(mlir::ModuleOp module, llvm::LLVMContext &context);

enum class MachineCodeKind { Assembly, Object };

/// Emits `module` (from buildOptimizedLLVMModule) as assembly or an ELF
/// relocatable object for the target recorded in it.
llvm::Error emitMachineCode(llvm::Module &module, MachineCodeKind kind,
                            llvm::raw_pwrite_stream &os);

/// Emits `module` as an object and links it with ld.lld into the ELF shared
/// library an artifact carries; returns the library's bytes.
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
linkSharedObject(llvm::Module &module);

/// The kernel bitcode compiled for `isa` on `arch` ("x86_64", "aarch64"),
/// empty when the compiler was built without it.
llvm::StringRef getKernelBitcode(llvm::StringRef isa, llvm::StringRef arch);

} // namespace trit

#endif // TRIT_COMPILER_CODEGEN_H
