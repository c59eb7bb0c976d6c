//===- ModelFunction.cpp - weights, constants, return and entry points ----===//
//
// The patterns for what is not a kernel call of its own: trit.weight reads
// the context's weight table (or becomes a constant), index constants and
// the return of trit.forward, and each trit.entry_point function becomes an
// exported trit_<name> that checks its inputs and calls trit.forward.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace mlir::trit;
using ::trit::WeightLayout;

namespace {

/// An external weight: its weight-table pointer, or for a scalar scale
/// the f32 value behind it. Inline scalars become constants, other inline
/// tensors constant globals; block scales of a group-scaled weight have no
/// pointer of their own (they are in its layout).
struct WeightLowering : TritOpLowering<WeightOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(WeightOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    KernelCallBuilder b(state, rewriter, op);
    auto type = cast<RankedTensorType>(op.getType());
    bool scalar = type.getRank() == 0 && isa<FloatType>(type.getElementType());
    auto index = state.weightIndex.find(op.getName());
    if (index != state.weightIndex.end()) {
      Value pointer =
          b.call("weight", {state.getContext(), b.i64(index->second)});
      if (!scalar) {
        rewriter.replaceOp(op, pointer);
        return success();
      }
      // Stored as f32 or as f16 (collectWeights).
      bool f16 = state.weightLayout.lookup(op.getName()) == WeightLayout::F16;
      Value value = rewriter.create<LLVM::LoadOp>(
          op.getLoc(), f16 ? rewriter.getF16Type() : rewriter.getF32Type(),
          pointer);
      if (f16)
        value = rewriter.create<LLVM::FPExtOp>(op.getLoc(),
                                               rewriter.getF32Type(), value);
      rewriter.replaceOp(op, value);
      return success();
    }
    if (state.groupScales.contains(op.getName())) {
      rewriter.replaceOp(op, b.null()); // read through the weight's layout
      return success();
    }
    ElementsAttr value = state.inlineWeights.lookup(op.getName());
    if (!value)
      return fail(op, rewriter) << "names no trit.global";
    if (scalar) {
      if (!isa<FloatType>(value.getElementType()))
        return fail(op, rewriter)
               << "has an inline value of " << value.getElementType()
               << " for a float scalar";
      APFloat element = value.getValues<APFloat>()[0];
      bool losesInfo = false;
      element.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                      &losesInfo);
      rewriter.replaceOp(op, b.f32(element.convertToFloat()));
      return success();
    }
    auto dense = dyn_cast<DenseElementsAttr>(value);
    if (!dense)
      return fail(op, rewriter) << "has an inline value that is not dense";
    int64_t count = type.getNumElements();
    auto flat =
        dense.reshape(RankedTensorType::get({count}, type.getElementType()));
    std::string name = ("trit.inline." + op.getName()).str();
    if (!state.module.lookupSymbol(name)) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(state.module.getBody());
      rewriter.create<LLVM::GlobalOp>(
          op.getLoc(), LLVM::LLVMArrayType::get(type.getElementType(), count),
          /*isConstant=*/true, LLVM::Linkage::Internal, name, flat,
          /*alignment=*/kArenaAlignment);
    }
    rewriter.replaceOpWithNewOp<LLVM::AddressOfOp>(
        op, LLVM::LLVMPointerType::get(op.getContext()), name);
    return success();
  }
};

/// Index constants (positions) become i64 constants.
struct ConstantLowering : TritOpLowering<arith::ConstantOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(arith::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<IntegerAttr>(op.getValue());
    if (!value)
      return fail(op, rewriter) << "is not an integer or index constant";
    Type type = getTypeConverter()->convertType(op.getType());
    rewriter.replaceOpWithNewOp<LLVM::ConstantOp>(
        op, type, rewriter.getIntegerAttr(type, value.getInt()));
    return success();
  }
};

/// A widened weight is stored as f32 already (collectWeights).
struct ExtFLowering : TritOpLowering<arith::ExtFOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(arith::ExtFOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (state.getWeightLayout(op.getIn()) != WeightLayout::F32)
      return fail(op, rewriter)
             << "widens a value other than a weight stored as f32";
    rewriter.replaceOp(op, adaptor.getIn());
    return success();
  }
};

/// trit.forward returns nothing: the logits are in the caller's buffer.
struct ReturnLowering : OpConversionPattern<func::ReturnOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(func::ReturnOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<LLVM::ReturnOp>(op, ValueRange{});
    return success();
  }
};

/// An entry point: `trit_<name>(ctx, tokens, n, start, logits, logit_rows)
/// -> status` checks its inputs against the memory plan, the context and
/// the vocabulary, then runs trit.forward.
struct EntryPointLowering : TritOpLowering<func::FuncOp> {
  using TritOpLowering::TritOpLowering;
  LogicalResult
  matchAndRewrite(func::FuncOp entry, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto name =
        entry->getAttrOfType<StringAttr>(TritDialect::kEntryPointAttrName);
    if (!name)
      return fail(entry, rewriter)
             << "has a " << TritDialect::kEntryPointAttrName
             << " that is not a string";
    bool callsModel = false;
    entry.walk([&](func::CallOp call) {
      callsModel |= call.getCallee() == state.modelName;
    });
    if (!callsModel)
      return fail(entry, rewriter)
             << "is an entry point that does not call the model function @"
             << state.modelName;
    if (entry.getNumArguments() == 0)
      return fail(entry, rewriter)
             << "is an entry point without a tokens argument";
    // A static token count (decode: tensor<1xi32>) bounds n further.
    int64_t maxTokens = state.maxTokens;
    if (auto tokens = dyn_cast<RankedTensorType>(entry.getArgumentTypes()[0]))
      if (tokens.hasStaticShape())
        maxTokens = std::min(maxTokens, tokens.getDimSize(0));

    MLIRContext *ctx = entry.getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx), i64 = rewriter.getI64Type(),
         i32 = rewriter.getI32Type();
    // After trit.forward and the range functions, as the module reads.
    rewriter.setInsertionPointToEnd(state.module.getBody());
    auto lowered = rewriter.create<LLVM::LLVMFuncOp>(
        entry.getLoc(), ("trit_" + name.getValue()).str(),
        LLVM::LLVMFunctionType::get(i32, {ptr, ptr, i64, i64, ptr, i64}));
    Block *body = rewriter.createBlock(
        &lowered.getBody(), {}, {ptr, ptr, i64, i64, ptr, i64},
        SmallVector<Location>(6, entry.getLoc()));
    Block *run = rewriter.createBlock(&lowered.getBody());
    Block *fail = rewriter.createBlock(&lowered.getBody());
    rewriter.setInsertionPointToStart(body);
    KernelCallBuilder b(state, rewriter, entry);
    Value status =
        b.call("check_inputs", {body->getArgument(0), body->getArgument(1),
                                body->getArgument(2), body->getArgument(3),
                                body->getArgument(5), b.i64(maxTokens),
                                b.i64(state.maxContext), b.i64(state.vocab)});
    Value ok = rewriter.create<LLVM::ICmpOp>(
        entry.getLoc(), LLVM::ICmpPredicate::eq, status, b.i32(0));
    rewriter.create<LLVM::CondBrOp>(entry.getLoc(), ok, run, fail);
    rewriter.setInsertionPointToStart(run);
    rewriter.create<LLVM::CallOp>(entry.getLoc(), state.forward,
                                  body->getArguments());
    rewriter.create<LLVM::ReturnOp>(entry.getLoc(), ValueRange{b.i32(0)});
    rewriter.setInsertionPointToStart(fail);
    rewriter.create<LLVM::ReturnOp>(entry.getLoc(), ValueRange{status});
    rewriter.eraseOp(entry);
    return success();
  }
};

} // namespace

void mlir::trit::populateModelFunctionPatterns(
    const LoweringTypeConverter &converter, LoweringState &state,
    RewritePatternSet &patterns) {
  patterns
      .add<WeightLowering, ConstantLowering, ExtFLowering, EntryPointLowering>(
          converter, state);
  patterns.add<ReturnLowering>(converter, patterns.getContext());
}
