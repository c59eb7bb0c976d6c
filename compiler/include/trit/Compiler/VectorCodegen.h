//===- VectorCodegen.h - ops generated as vector-dialect code ---*- C++ -*-===//
//
// The alternative to calling a C kernel: the lowering writes the loop
// itself in the scf, arith and vector dialects, which the standard
// conversions take to LLVM. Used for RMSNorm with
// `trit-lower-to-llvm{norm-codegen=vector}`; docs/design/lowering.md compares
// the two.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_VECTORCODEGEN_H
#define TRIT_COMPILER_VECTORCODEGEN_H

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::trit {

/// Lanes of the generated vector code (one AVX-512 register of f32).
inline constexpr int64_t kVectorRMSNormLanes = 16;

/// Returns (creating it once per width) `trit.rms_norm.vector.<cols>`:
/// (x: ptr, w: ptr, eps: f32, n: i64, out: ptr) -> (), the same arithmetic
/// as the C kernel with the sum of squares in 16 f64 lanes. `cols` must be a
/// multiple of kVectorRMSNormLanes. Built with `builder` (a pattern's
/// rewriter), at the end of `module`.
LLVM::LLVMFuncOp getOrCreateVectorRMSNorm(OpBuilder &builder, ModuleOp module,
                                          int64_t cols);

} // namespace mlir::trit

#endif // TRIT_COMPILER_VECTORCODEGEN_H
