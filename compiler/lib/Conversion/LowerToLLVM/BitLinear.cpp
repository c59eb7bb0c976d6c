//===- BitLinear.cpp - activation quantization and BitLinear --------------===//
//
// A BitLinear is a call of trit_op_bitlinear (or of trit_op_bitlinear_fused
// for two or three weights of one input) with a range function generated
// per kernel family, layout and shape: the runtime's threads run it over
// row chunks, and once the kernel bitcode is inlined into it the shape is
// constant.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "trit/ops.h"

using namespace mlir;
using namespace mlir::trit;
using ::trit::WeightLayout;

namespace {

/// How a family reads a layout: the range operation (trit/ops.def) and
/// the infix of the generated function's name.
struct RangeKernel {
  StringLiteral op;
  StringLiteral infix;
};

/// The one place the range kernel is chosen: by layout, then by what the
/// target and options add (AVX-512 VBMI row dots, lookup tables for
/// prompts), both only for the AVX-512 VNNI family, which
/// trit-select-kernels gives T3X5 with rows in lanes only with VBMI.
RangeKernel selectRangeKernel(const LoweringState &state, KernelKind kind,
                              WeightLayout layout) {
  bool avx512 = kind == KernelKind::AVX512VNNI;
  bool lut = state.promptLut && avx512;
  bool vbmi = state.hasVbmiKernels(kind);
  switch (layout) {
  case WeightLayout::T2G64_X16:
    return {"bitlinear_t2g64_range", "t2g64."};
  case WeightLayout::T2G128_X16:
    return {"bitlinear_t2g128_range", "t2g128."};
  case WeightLayout::T3X5_X64:
    if (lut)
      return {"bitlinear_t3x5x64_lut_range", "t3x5x64lut."};
    return {"bitlinear_t3x5x64_range", "t3x5x64."};
  case WeightLayout::T3X5:
    if (lut)
      return {"bitlinear_t3x5_lut_range", "t3x5lut."};
    if (vbmi)
      return {"bitlinear_t3x5_vbmi_range", "t3x5vbmi."};
    return {"bitlinear_t3x5_range", "t3x5."};
  default:
    return {"bitlinear_range", ""};
  }
}

/// Per-row int8 (BitNet) or Q8_0 activations of an unfused quantize.
struct QuantizeLowering : TritOpLowering<QuantizeOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<QActType>(op.getResult().getType());
    if (!type.isPerRow() && type.getBlock() != 32)
      return fail(op, rewriter)
             << "quantizes in blocks of " << type.getBlock()
             << "; the kernels implement rows and Q8_0's blocks of 32";
    KernelCallBuilder b(state, rewriter, op);
    Value out = b.resultPointer();
    QActLayout layout =
        getQActLayout(getPlannedRows(type.getRows(), state.maxTokens),
                      type.getCols(), type.getBlock());
    b.call(type.isPerRow() ? "norm_quantize" : "norm_quantize_q8_0",
           {state.getContext(), adaptor.getInput(), b.null(), b.f32(0.0f),
            b.rowsOf(op.getInput()), b.i64(type.getCols()), b.null(),
            b.offset(out, layout.codes), b.offset(out, layout.scales),
            b.offset(out, layout.sums)});
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct BitLinearLowering : TritOpLowering<BitLinearOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(BitLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!op.getKernel())
      return fail(op, rewriter)
             << "has no kernel; run trit-select-kernels first";
    KernelCallBuilder b(state, rewriter, op);
    auto qact = cast<QActType>(op.getInput().getType());
    auto weightType = cast<RankedTensorType>(op.getWeight().getType());
    Value scale = b.weightScale(op.getWeightScale(), adaptor.getWeightScale());
    Value out = b.resultPointer();
    QActLayout layout =
        getQActLayout(getPlannedRows(qact.getRows(), state.maxTokens),
                      qact.getCols(), qact.getBlock());
    auto range = getOrCreateRangeFunction(state, rewriter, op.getLoc(),
                                          *op.getKernel(), weightType);
    Value rangePtr = rewriter.create<LLVM::AddressOfOp>(op.getLoc(), range);
    Value tokens = ShapedType::isDynamic(qact.getRows())
                       ? state.getTokenCount()
                       : b.i64(qact.getRows());
    Value input = adaptor.getInput();
    b.call("bitlinear",
           {state.getContext(), rangePtr, adaptor.getWeight(), scale,
            b.offset(input, layout.codes), b.offset(input, layout.scales),
            b.offset(input, layout.sums), tokens,
            b.i64(weightType.getDimSize(0)), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

/// The norm and quantization of the input, then the op's weights: two or
/// three through one parallel range over their rows end to end (one wait
/// for the threads instead of one per weight), then the gating if any.
struct FusedBitLinearLowering : TritOpLowering<FusedBitLinearOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(FusedBitLinearOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!op.getKernel())
      return fail(op, rewriter)
             << "has no kernel; run trit-select-kernels first";
    int64_t block = op.getBlock().value_or(0);
    if (block != 0 && block != 32)
      return fail(op, rewriter)
             << "quantizes in blocks of " << block
             << "; the kernels implement Q8_0's blocks of 32";
    KernelCallBuilder b(state, rewriter, op);
    Value input = op.getInput();
    int64_t cols = b.colsOf(input);
    Value normWeight = adaptor.getNormWeight();
    float eps = 0.0f;
    if (normWeight)
      eps = static_cast<float>(op.getEps()->convertToDouble());
    else
      normWeight = b.null();
    Value normed = b.scratchPointer(0);
    Value quantized = b.scratchPointer(1);
    QActLayout layout = getQActLayout(
        getPlannedRows(cast<RankedTensorType>(input.getType()).getDimSize(0),
                       state.maxTokens),
        cols, block);
    Value codes = b.offset(quantized, layout.codes),
          scales = b.offset(quantized, layout.scales),
          sums = b.offset(quantized, layout.sums), tokens = b.rowsOf(input);
    Value ctx = state.getContext();
    b.call(block ? "norm_quantize_q8_0" : "norm_quantize",
           {ctx, adaptor.getInput(), normWeight, b.f32(eps), tokens,
            b.i64(cols), normed, codes, scales, sums});

    bool gated = op.getGate().has_value();
    SmallVector<Value> outputs;
    size_t count = op.getWeights().size();
    bool together = count == 2 || count == 3;
    SmallVector<Value> fusedArgs = {ctx, codes, scales, sums, tokens};
    for (unsigned k = 0; k < count; ++k) {
      Value out = gated ? b.scratchPointer(2 + k) : b.resultPointer(k);
      Value scale = b.weightScale(op.getScales()[k], adaptor.getScales()[k]);
      auto weightType = cast<RankedTensorType>(op.getWeights()[k].getType());
      int64_t rows = weightType.getDimSize(0);
      auto range = getOrCreateRangeFunction(state, rewriter, op.getLoc(),
                                            *op.getKernel(), weightType);
      Value rangePtr = rewriter.create<LLVM::AddressOfOp>(op.getLoc(), range);
      Value weights = adaptor.getWeights()[k];
      if (together)
        fusedArgs.append({rangePtr, weights, scale, b.i64(rows), out});
      else
        b.call("bitlinear", {ctx, rangePtr, weights, scale, codes, scales, sums,
                             tokens, b.i64(rows), out});
      outputs.push_back(out);
    }
    if (together) {
      if (count == 2)
        fusedArgs.append({b.null(), b.null(), b.f32(0.0f), b.i64(0), b.null()});
      b.call("bitlinear_fused", fusedArgs);
    }
    if (!gated) {
      rewriter.replaceOp(op, outputs);
      return success();
    }
    Value out = b.resultPointer(0);
    trit_gate_kind kind =
        *op.getGate() == GateKind::Relu2 ? TRIT_GATE_RELU2 : TRIT_GATE_SILU;
    b.call("gate", {b.i32(kind), outputs[0], outputs[1],
                    b.elementsOf(op.getResult(0)), out});
    rewriter.replaceOp(op, out);
    return success();
  }
};

} // namespace

LLVM::LLVMFuncOp
mlir::trit::getOrCreateRangeFunction(LoweringState &state, OpBuilder &builder,
                                     Location loc, KernelKind kind,
                                     RankedTensorType weightType) {
  int64_t rows = weightType.getDimSize(0), cols = weightType.getDimSize(1);
  RangeKernel kernel =
      selectRangeKernel(state, kind, getTernaryLayout(weightType));
  std::string name = ("trit.bitlinear." + stringifyKernelKind(kind) + "." +
                      kernel.infix + Twine(rows) + "x" + Twine(cols))
                         .str();
  if (auto existing = state.module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointAfter(
      state.lastRangeFunction ? state.lastRangeFunction : state.forward);
  Type ptr = LLVM::LLVMPointerType::get(builder.getContext());
  auto func = builder.create<LLVM::LLVMFuncOp>(
      loc, name,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(builder.getContext()),
                                  {ptr, ptr}),
      LLVM::Linkage::Internal);
  Block *body =
      builder.createBlock(&func.getBody(), {}, {ptr, ptr}, {loc, loc});
  builder.setInsertionPointToStart(body);
  KernelCallBuilder b(state, builder, func);
  b.call(kernel.op,
         {body->getArgument(0), b.i64(cols), b.i64(rows), body->getArgument(1)},
         kind);
  builder.create<LLVM::ReturnOp>(loc, ValueRange{});
  state.lastRangeFunction = func;
  return func;
}

void mlir::trit::populateBitLinearPatterns(
    const LoweringTypeConverter &converter, LoweringState &state,
    RewritePatternSet &patterns) {
  patterns.add<QuantizeLowering, BitLinearLowering, FusedBitLinearLowering>(
      converter, state);
}
