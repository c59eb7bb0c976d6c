//===- KernelAbiTest.cpp - the compiler's table of the kernel ABI ---------===//
//
// The table comes from trit/ops.def and the C prototypes' types; the
// lowering's calls are checked against it. Lit tests see only calls that
// match, so the refusals are tested here.
//
//===----------------------------------------------------------------------===//

#include "trit/Compiler/KernelAbi.h"
#include "trit/InitTritDialects.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::trit;

namespace {

TEST(KernelAbi, TableHoldsTheOpsWithTheirCTypes) {
  using T = KernelAbiType;
  const KernelOpSignature *rmsNorm = lookupKernelOp("rms_norm");
  ASSERT_NE(rmsNorm, nullptr);
  EXPECT_EQ(rmsNorm->result, T::Void);
  std::vector<T> expected = {T::Pointer, T::Pointer, T::F32,
                             T::I64,     T::I64,     T::Pointer};
  EXPECT_EQ(std::vector<T>(rmsNorm->params.begin(), rmsNorm->params.end()),
            expected);
  EXPECT_FALSE(rmsNorm->avx512vbmiOnly);

  const KernelOpSignature *check = lookupKernelOp("check_inputs");
  ASSERT_NE(check, nullptr);
  EXPECT_EQ(check->result, T::I32);
  EXPECT_EQ(lookupKernelOp("weight")->result, T::Pointer);

  const KernelOpSignature *lut = lookupKernelOp("bitlinear_t3x5_lut_range");
  ASSERT_NE(lut, nullptr);
  EXPECT_TRUE(lut->avx512vbmiOnly);
  EXPECT_EQ(lookupKernelOp("no_such_op"), nullptr);

  // Names are unique.
  for (const KernelOpSignature &a : getKernelOps())
    EXPECT_EQ(lookupKernelOp(a.name), &a) << a.name.str();
}

class KernelCallsTest : public ::testing::Test {
protected:
  KernelCallsTest() {
    DialectRegistry registry;
    registerTritDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadDialect<LLVM::LLVMDialect>();
    module = ModuleOp::create(UnknownLoc::get(&context));
    builder.setInsertionPointToEnd(module->getBody());
    auto func = builder.create<LLVM::LLVMFuncOp>(
        builder.getUnknownLoc(), "f",
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(&context), {}));
    builder.setInsertionPointToStart(func.addEntryBlock(builder));
  }

  /// Calls `op` with `args` and returns the diagnostics, one per line.
  std::string call(KernelCalls &calls, StringRef op, ValueRange args,
                   std::optional<KernelKind> kind = std::nullopt) {
    std::string messages;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      messages += diag.str() + "\n";
      return success();
    });
    calls.call(builder, builder.getUnknownLoc(), op, args, kind);
    return messages;
  }

  Value i64(int64_t v) {
    return builder.create<LLVM::ConstantOp>(builder.getUnknownLoc(),
                                            builder.getI64Type(),
                                            builder.getI64IntegerAttr(v));
  }
  Value ptr() {
    return builder.create<LLVM::ZeroOp>(builder.getUnknownLoc(),
                                        LLVM::LLVMPointerType::get(&context));
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  OpBuilder builder{&context};
};

TEST_F(KernelCallsTest, DeclaresOnFirstUseAndRecordsTheFamily) {
  KernelCalls calls(*module, KernelKind::AVX2);
  EXPECT_EQ(call(calls, "weight", {ptr(), i64(0)}), "");
  EXPECT_EQ(call(calls, "weight", {ptr(), i64(1)}), "");
  EXPECT_EQ(call(calls, "bitlinear_t3x5_vbmi_range",
                 {ptr(), i64(64), i64(64), ptr()}, KernelKind::AVX512VNNI),
            "");
  EXPECT_FALSE(calls.hadError());
  EXPECT_TRUE(module->lookupSymbol("trit_op_weight_avx2"));
  EXPECT_TRUE(
      module->lookupSymbol("trit_op_bitlinear_t3x5_vbmi_range_avx512vnni"));
  std::vector<StringRef> families(calls.getUsedFamilies().begin(),
                                  calls.getUsedFamilies().end());
  EXPECT_EQ(families,
            (std::vector<StringRef>{"generic", "avx2", "avx512vnni"}));
}

TEST_F(KernelCallsTest, RefusesCallsThatDoNotMatchTheAbi) {
  KernelCalls calls(*module, KernelKind::AVX2);
  EXPECT_EQ(call(calls, "weight", {ptr()}),
            "the lowering calls trit_op_weight_avx2, with (!llvm.ptr) but it "
            "takes (ptr, i64) (kernels/include/trit/ops.def)\n");
  EXPECT_EQ(call(calls, "weight", {ptr(), ptr()}),
            "the lowering calls trit_op_weight_avx2, with (!llvm.ptr, "
            "!llvm.ptr) but it takes (ptr, i64) "
            "(kernels/include/trit/ops.def)\n");
  EXPECT_EQ(
      call(calls, "bitlinear_t3x5_lut_range", {ptr(), i64(64), i64(64), ptr()}),
      "the lowering calls trit_op_bitlinear_t3x5_lut_range_avx2, which "
      "only the avx512vnni family defines "
      "(kernels/include/trit/ops.def)\n");
  EXPECT_EQ(call(calls, "softmax", {}),
            "the lowering calls trit_op_softmax_avx2, an operation that the "
            "kernel ABI does not list (kernels/include/trit/ops.def)\n");
  EXPECT_TRUE(calls.hadError());
  EXPECT_FALSE(module->lookupSymbol("trit_op_weight_avx2"));
}

} // namespace
