//===- Lowering.cpp - what the lowering's patterns share ------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace mlir::trit;
using ::trit::WeightLayout;

std::optional<WeightLayout> LoweringState::getWeightLayout(Value value) const {
  auto weight = value.getDefiningOp<WeightOp>();
  if (!weight)
    return std::nullopt;
  auto it = weightLayout.find(weight.getName());
  if (it == weightLayout.end())
    return std::nullopt;
  return it->second;
}

WeightLayout mlir::trit::getTernaryLayout(RankedTensorType type) {
  auto packing = dyn_cast_or_null<PackingAttr>(type.getEncoding());
  if (packing && packing.getKind() == PackingKind::T2G)
    return packing.getBlock() == 128 ? WeightLayout::T2G128_X16
                                     : WeightLayout::T2G64_X16;
  if (!packing || packing.getKind() != PackingKind::T3X5)
    return WeightLayout::I2_S;
  return packing.getInterleave() == 64 ? WeightLayout::T3X5_X64
                                       : WeightLayout::T3X5;
}

//===----------------------------------------------------------------------===//
// KernelCallBuilder
//===----------------------------------------------------------------------===//

Value KernelCallBuilder::i64(int64_t v) {
  return builder.create<LLVM::ConstantOp>(loc, builder.getI64Type(),
                                          builder.getI64IntegerAttr(v));
}

Value KernelCallBuilder::i32(int32_t v) {
  return builder.create<LLVM::ConstantOp>(loc, builder.getI32Type(),
                                          builder.getI32IntegerAttr(v));
}

Value KernelCallBuilder::f32(float v) {
  return builder.create<LLVM::ConstantOp>(loc, builder.getF32Type(),
                                          builder.getF32FloatAttr(v));
}

Value KernelCallBuilder::null() {
  return builder.create<LLVM::ZeroOp>(
      loc, LLVM::LLVMPointerType::get(builder.getContext()));
}

Value KernelCallBuilder::offset(Value base, Value bytes) {
  return builder.create<LLVM::GEPOp>(
      loc, LLVM::LLVMPointerType::get(builder.getContext()),
      builder.getI8Type(), base, ArrayRef<LLVM::GEPArg>{bytes});
}

Value KernelCallBuilder::offset(Value base, int64_t bytes) {
  return offset(base, i64(bytes));
}

Value KernelCallBuilder::rowsOf(Value tensor) {
  int64_t rows = cast<RankedTensorType>(tensor.getType()).getDimSize(0);
  return ShapedType::isDynamic(rows) ? state.getTokenCount() : i64(rows);
}

Value KernelCallBuilder::elementsOf(Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  int64_t perRow = 1;
  for (int64_t dim : type.getShape().drop_front())
    perRow *= dim;
  return builder.create<LLVM::MulOp>(loc, rowsOf(tensor), i64(perRow));
}

Value KernelCallBuilder::fail(const Twine &message) {
  state.failed = true;
  op->emitOpError() << message;
  return builder.create<LLVM::PoisonOp>(
      loc, LLVM::LLVMPointerType::get(builder.getContext()));
}

Value KernelCallBuilder::resultPointer(unsigned i) {
  if (op->getResult(i) == state.returnedLogits)
    return state.getLogits();
  auto buffers = op->getAttrOfType<DenseI64ArrayAttr>(kBuffersAttr);
  if (!buffers || buffers.size() != static_cast<int64_t>(op->getNumResults()) ||
      buffers[i] < 0)
    return fail("has no " + kBuffersAttr + " entry for result " + Twine(i) +
                "; run trit-plan-memory first");
  return arenaAt(buffers[i]);
}

Value KernelCallBuilder::scratchPointer(unsigned i) {
  auto scratch = op->getAttrOfType<DenseI64ArrayAttr>(kScratchAttr);
  if (!scratch || scratch.size() <= static_cast<int64_t>(i))
    return fail("has no " + kScratchAttr +
                " entry; run trit-plan-memory first");
  return arenaAt(scratch[i]);
}

Value KernelCallBuilder::weightScale(Value original, Value converted) {
  if (auto weight = original.getDefiningOp<WeightOp>();
      weight && state.groupScales.contains(weight.getName()))
    return f32(0.0f);
  return converted;
}

//===----------------------------------------------------------------------===//
// LoweringError
//===----------------------------------------------------------------------===//

LoweringError::LoweringError(LoweringState &state, Operation *op,
                             ConversionPatternRewriter &rewriter)
    : diagnostic(op->emitOpError()) {
  state.failed = true;
  if (op->getNumResults() == 0) {
    rewriter.eraseOp(op);
    return;
  }
  SmallVector<Value> poison;
  for (Type type : op->getResultTypes())
    poison.push_back(rewriter.create<LLVM::PoisonOp>(
        op->getLoc(), state.converter->convertType(type)));
  rewriter.replaceOp(op, poison);
}

//===----------------------------------------------------------------------===//
// LoweringTypeConverter
//===----------------------------------------------------------------------===//

LoweringTypeConverter::LoweringTypeConverter(MLIRContext *ctx) {
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  // Conversions are tried last added first.
  addConversion([](Type type) { return type; });
  addConversion(
      [](IndexType type) { return IntegerType::get(type.getContext(), 64); });
  addConversion([ptr](KVCacheType) { return ptr; });
  addConversion([ptr](QActType) { return ptr; });
  addConversion([ptr](RankedTensorType type) -> Type {
    if (type.getRank() == 0 && isa<FloatType>(type.getElementType()))
      return Float32Type::get(type.getContext());
    return ptr;
  });
  // The model function's arguments are casts of trit.forward's (see
  // LowerToLLVM.cpp): their converted values are the casts' inputs.
  addTargetMaterialization([](OpBuilder &, Type type, ValueRange inputs,
                              Location) -> std::optional<Value> {
    if (inputs.size() != 1)
      return std::nullopt;
    auto cast = inputs.front().getDefiningOp<UnrealizedConversionCastOp>();
    if (cast && cast.getNumOperands() == 1 &&
        cast.getOperand(0).getType() == type)
      return cast.getOperand(0);
    return std::nullopt;
  });
}
