//===- KernelAbi.h - the kernel operations the compiler calls --*- C++ -*-===//
//
// The compiler's copy of kernels/include/trit/ops.def: each operation's name,
// result and parameter types, and which families define it. The types come
// from the C prototypes themselves (decltype), so this table cannot drift
// from the kernels; the lowering checks every call it builds against it.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_KERNELABI_H
#define TRIT_COMPILER_KERNELABI_H

#include "trit/Dialect/TritAttrs.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <optional>

namespace mlir::trit {

/// The types that cross the kernel ABI.
enum class KernelAbiType : uint8_t { Void, Pointer, I32, I64, F32 };

struct KernelOpSignature {
  llvm::StringLiteral name; // trit_op_<name>_<isa>
  KernelAbiType result;
  llvm::ArrayRef<KernelAbiType> params;
  /// TRIT_OP_AVX512VBMI: only the AVX-512 VNNI family defines it.
  bool avx512vbmiOnly;
};

/// Every operation of trit/ops.def, in its order.
llvm::ArrayRef<KernelOpSignature> getKernelOps();
/// The operation called `name`, or null.
const KernelOpSignature *lookupKernelOp(llvm::StringRef name);

/// Declares the kernels' operations in a module on first use and calls
/// them. A call that does not match trit/ops.def (an operation it does not
/// list, one the family does not define, the wrong argument count or
/// types) is a bug of the lowering: it is reported as an error at the call's
/// location, the call is not built, and hadError() says so.
class KernelCalls {
public:
  KernelCalls(ModuleOp module, KernelKind defaultKind);

  /// Calls trit_op_<op>_<isa of `kind`, else the default family> with
  /// `args`; returns its result (null for void, poison after an error).
  Value call(OpBuilder &builder, Location loc, llvm::StringRef op,
             ValueRange args, std::optional<KernelKind> kind = std::nullopt);

  /// The families called so far (the default one always), in first-use
  /// order: the bitcode to link.
  llvm::ArrayRef<llvm::StringRef> getUsedFamilies() const {
    return families.getArrayRef();
  }
  KernelKind getDefaultKind() const { return defaultKind; }
  bool hadError() const { return failed; }

private:
  ModuleOp module;
  KernelKind defaultKind;
  llvm::StringMap<LLVM::LLVMFuncOp> declarations;
  llvm::SetVector<llvm::StringRef> families;
  bool failed = false;
};

} // namespace mlir::trit

#endif // TRIT_COMPILER_KERNELABI_H
