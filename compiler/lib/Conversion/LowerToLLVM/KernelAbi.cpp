//===- KernelAbi.cpp - the kernels' operations as the compiler sees them --===//

#include "trit/Compiler/KernelAbi.h"

#include "trit/ops.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

#include <array>
#include <type_traits>

using namespace mlir;
using namespace mlir::trit;

namespace {

/// The ABI type of a C parameter or result type of trit/ops.h.
template <typename T> constexpr KernelAbiType getAbiType() {
  if constexpr (std::is_void_v<T>)
    return KernelAbiType::Void;
  else if constexpr (std::is_pointer_v<T>)
    return KernelAbiType::Pointer;
  else if constexpr (std::is_same_v<T, int64_t>)
    return KernelAbiType::I64;
  else if constexpr (std::is_same_v<T, int32_t>)
    return KernelAbiType::I32;
  else if constexpr (std::is_same_v<T, float>)
    return KernelAbiType::F32;
  else
    static_assert(!sizeof(T), "a type that trit/ops.def does not allow");
}

template <typename Fn> struct Signature;
template <typename R, typename... Args> struct Signature<R(Args...)> {
  static constexpr KernelAbiType result = getAbiType<R>();
  static constexpr std::array<KernelAbiType, sizeof...(Args)> params = {
      getAbiType<Args>()...};
};

// Each family's prototypes come from the same line of ops.def, so the
// generic (or, for VBMI-only operations, the avx512vnni) one stands for all.
const KernelOpSignature kKernelOps[] = {
#define TRIT_OP(name, ret, parameters)                                         \
  {#name, Signature<decltype(trit_op_##name##_generic)>::result,               \
   Signature<decltype(trit_op_##name##_generic)>::params, false},
#define TRIT_OP_AVX512VBMI(name, ret, parameters)                              \
  {#name, Signature<decltype(trit_op_##name##_avx512vnni)>::result,            \
   Signature<decltype(trit_op_##name##_avx512vnni)>::params, true},
#include "trit/ops.def"
};

StringRef stringifyAbiType(KernelAbiType type) {
  switch (type) {
  case KernelAbiType::Void:
    return "void";
  case KernelAbiType::Pointer:
    return "ptr";
  case KernelAbiType::I32:
    return "i32";
  case KernelAbiType::I64:
    return "i64";
  case KernelAbiType::F32:
    return "f32";
  }
  return "?";
}

Type getLLVMType(MLIRContext *ctx, KernelAbiType type) {
  switch (type) {
  case KernelAbiType::Void:
    return LLVM::LLVMVoidType::get(ctx);
  case KernelAbiType::Pointer:
    return LLVM::LLVMPointerType::get(ctx);
  case KernelAbiType::I32:
    return IntegerType::get(ctx, 32);
  case KernelAbiType::I64:
    return IntegerType::get(ctx, 64);
  case KernelAbiType::F32:
    return Float32Type::get(ctx);
  }
  return {};
}

} // namespace

ArrayRef<KernelOpSignature> mlir::trit::getKernelOps() { return kKernelOps; }

const KernelOpSignature *mlir::trit::lookupKernelOp(StringRef name) {
  const auto *it = llvm::find_if(
      kKernelOps, [&](const KernelOpSignature &op) { return op.name == name; });
  return it == std::end(kKernelOps) ? nullptr : it;
}

KernelCalls::KernelCalls(ModuleOp module, KernelKind defaultKind)
    : module(module), defaultKind(defaultKind) {
  families.insert(stringifyKernelKind(KernelKind::Generic));
  families.insert(stringifyKernelKind(defaultKind));
}

Value KernelCalls::call(OpBuilder &builder, Location loc, StringRef op,
                        ValueRange args, std::optional<KernelKind> kind) {
  MLIRContext *ctx = module.getContext();
  KernelKind family = kind.value_or(defaultKind);
  StringRef familyName = stringifyKernelKind(family);
  std::string symbol = ("trit_op_" + op + "_" + familyName).str();
  const KernelOpSignature *signature = lookupKernelOp(op);
  auto fail = [&](const Twine &why) -> Value {
    failed = true;
    emitError(loc) << "the lowering calls " << symbol << ", " << why
                   << " (kernels/include/trit/ops.def)";
    Type result = signature ? getLLVMType(ctx, signature->result) : Type();
    if (!result || isa<LLVM::LLVMVoidType>(result))
      return {};
    return builder.create<LLVM::PoisonOp>(loc, result);
  };
  if (!signature)
    return fail("an operation that the kernel ABI does not list");
  if (signature->avx512vbmiOnly && family != KernelKind::AVX512VNNI)
    return fail("which only the avx512vnni family defines");
  SmallVector<Type> params;
  for (KernelAbiType type : signature->params)
    params.push_back(getLLVMType(ctx, type));
  if (!llvm::equal(args.getTypes(), params)) {
    std::string passed, declared;
    llvm::raw_string_ostream passedOs(passed), declaredOs(declared);
    llvm::interleaveComma(args.getTypes(), passedOs);
    llvm::interleaveComma(signature->params, declaredOs, [&](KernelAbiType t) {
      declaredOs << stringifyAbiType(t);
    });
    return fail("with (" + passed + ") but it takes (" + declared + ")");
  }
  families.insert(familyName);
  LLVM::LLVMFuncOp &declaration = declarations[symbol];
  if (!declaration) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(module.getBody());
    declaration = builder.create<LLVM::LLVMFuncOp>(
        loc, symbol,
        LLVM::LLVMFunctionType::get(getLLVMType(ctx, signature->result),
                                    params));
  }
  auto call = builder.create<LLVM::CallOp>(loc, declaration, args);
  return signature->result == KernelAbiType::Void ? Value() : call.getResult();
}
