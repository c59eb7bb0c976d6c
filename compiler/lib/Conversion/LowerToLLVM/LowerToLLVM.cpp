//===- LowerToLLVM.cpp - planned trit IR to LLVM dialect kernel calls -----===//
//
// The pass: checks the module's shape, builds the weight table and the
// LoweringState, moves the model function's body into trit.forward, runs
// the dialect conversion of Lowering.h's pattern families, and records for
// the runtime and the code generator what they need (trit.weights,
// trit.kernel_isas, trit.memory_plan, trit.rope). See the pass description
// in Passes.td and the ABI in kernels/include/trit/abi.h.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "trit/Compiler/KernelFamilies.h"
#include "trit/Compiler/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITLOWERTOLLVM
#include "trit/Compiler/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;
using ::trit::WeightLayout;

namespace {

/// True when every use of the global goes through arith.extf to f32.
bool isOnlyExtended(GlobalOp global) {
  bool onlyExtended = true;
  global->getParentOp()->walk([&](WeightOp weight) {
    if (weight.getName() != global.getSymName())
      return;
    for (Operation *user : weight->getUsers())
      onlyExtended &= isa<arith::ExtFOp>(user);
  });
  return onlyExtended;
}

/// The weight table: per external global (but a group-scaled weight's
/// block scales) an entry with the layout the kernels read it in.
LogicalResult collectWeights(LoweringState &state) {
  Builder builder(state.module.getContext());
  for (GlobalOp global : state.module.getOps<GlobalOp>()) {
    if (auto value = dyn_cast<ElementsAttr>(global.getValue())) {
      state.inlineWeights[global.getSymName()] = value;
      continue;
    }
    auto external = dyn_cast<ExternalAttr>(global.getValue());
    if (external && external.getPart() == WeightPart::Scale &&
        global.getTensorType().getRank() == 2) {
      state.groupScales.insert(global.getSymName());
      continue;
    }
    // A 16-bit weight that is only ever widened (a norm weight of a
    // Hugging Face model) is stored as f32, exactly. A bf16 table
    // (embedding, LM head) is stored as f16, as bitnet.cpp's converter
    // stores it, so a Hugging Face model computes what its GGUF conversion
    // computes.
    Type element = global.getTensorType().getElementType();
    WeightLayout layout;
    if (isa<TernaryType>(element)) {
      layout = getTernaryLayout(global.getTensorType());
      if ((layout == WeightLayout::T3X5 || layout == WeightLayout::T3X5_X64) &&
          state.ternaryLayout != WeightLayout::T3X5_X64)
        state.ternaryLayout = layout;
    } else if (element.isF32()) {
      layout = WeightLayout::F32;
    } else if (element.isF16() || element.isBF16()) {
      layout = isOnlyExtended(global) ? WeightLayout::F32 : WeightLayout::F16;
    } else {
      return global.emitOpError()
             << "holds " << element << " values, which the kernels do not read";
    }
    state.weightLayout[global.getSymName()] = layout;
    state.weightIndex[global.getSymName()] = state.weightTable.size();
    state.weightTable.push_back(builder.getDictionaryAttr(
        {builder.getNamedAttr(
             "layout",
             builder.getStringAttr(::trit::stringifyWeightLayout(layout))),
         builder.getNamedAttr("name",
                              builder.getStringAttr(global.getSymName()))}));
  }
  return success();
}

/// Lookup tables exist for T3X5 weights (in rows or in lanes) in the
/// AVX-512 VNNI family, whose table lookups need AVX-512 VBMI. Other
/// BitLinears of the module (rows the layout cannot hold) stay exact; a
/// module without any is an error.
LogicalResult checkPromptLut(ModuleOp module, TargetAttr target) {
  if (!target.hasFeature("avx512vbmi"))
    return module.emitError()
           << "prompt-lut needs AVX-512 VBMI, which target CPU '"
           << target.getCpu() << "' lacks";
  bool any = false;
  module.walk([&](Operation *op) {
    SmallVector<Value> weights;
    std::optional<KernelKind> kind;
    if (auto bitLinear = dyn_cast<BitLinearOp>(op)) {
      weights.push_back(bitLinear.getWeight());
      kind = bitLinear.getKernel();
    } else if (auto fused = dyn_cast<FusedBitLinearOp>(op)) {
      llvm::append_range(weights, fused.getWeights());
      kind = fused.getKernel();
    }
    for (Value weight : weights) {
      WeightLayout layout =
          getTernaryLayout(cast<RankedTensorType>(weight.getType()));
      any |= kind == KernelKind::AVX512VNNI &&
             (layout == WeightLayout::T3X5 || layout == WeightLayout::T3X5_X64);
    }
  });
  if (!any)
    return module.emitError()
           << "prompt-lut has no BitLinear to take: it needs T3X5 weights "
              "and the avx512vnni kernel family (tritc --weight-packing=t3x5 "
              "--kernel=avx512vnni)";
  return success();
}

/// Replaces the model function by trit.forward(ctx, tokens, n, start,
/// logits, logit_rows), which allocates nothing: its body moves over as it
/// is, its arguments become casts of trit.forward's (the KV caches of the
/// context), and the conversion lowers the ops in place.
LogicalResult prepareForward(LoweringState &state, func::FuncOp model) {
  // The model function's contract: (tokens, start, caches...) ->
  // (logits, caches...).
  Block &body = model.getBody().front();
  Value tokens, start, logits;
  for (BlockArgument arg : body.getArguments()) {
    auto tensor = dyn_cast<RankedTensorType>(arg.getType());
    if (tensor && tensor.getRank() == 1 &&
        tensor.getElementType().isInteger(32) && !tokens)
      tokens = arg;
    else if (arg.getType().isIndex() && !start)
      start = arg;
    else if (!isa<KVCacheType>(arg.getType()))
      return model.emitOpError()
             << "has an argument of type " << arg.getType()
             << "; a model function takes tokens, a start position and KV "
                "caches";
  }
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (Value v : ret.getOperands()) {
    if (isa<KVCacheType>(v.getType()))
      continue;
    if (logits || !isa<RankedTensorType>(v.getType()))
      return model.emitOpError()
             << "must return one logits tensor and KV caches";
    logits = v;
  }
  if (!tokens || !start || !logits)
    return model.emitOpError() << "must take tokens (tensor<?xi32>) and a "
                                  "start position and return logits, not "
                               << model.getFunctionType();
  if (!logits.getDefiningOp() ||
      !isa<TritDialect>(logits.getDefiningOp()->getDialect()))
    return model.emitOpError() << "must return logits computed by a trit op";
  for (auto embedding : model.getOps<EmbeddingOp>())
    state.vocab =
        cast<RankedTensorType>(embedding.getTable().getType()).getDimSize(0);
  if (state.vocab == 0)
    return model.emitOpError() << "has no trit.embedding";

  MLIRContext *ctx = model.getContext();
  OpBuilder builder(ctx);
  builder.setInsertionPointToEnd(state.module.getBody());
  Type ptr = LLVM::LLVMPointerType::get(ctx), i64 = builder.getI64Type();
  SmallVector<Type> params = {ptr, ptr, i64, i64, ptr, i64};
  state.forward = builder.create<LLVM::LLVMFuncOp>(
      model.getLoc(), "trit.forward",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), params),
      LLVM::Linkage::Internal);
  Block *entry =
      builder.createBlock(&state.forward.getBody(), {}, params,
                          SmallVector<Location>(params.size(), model.getLoc()));
  KernelCallBuilder calls(state, builder, model);
  state.arena = calls.call("arena", {state.getContext()});

  auto castFrom = [&](Value lowered, Value original) {
    auto cast = builder.create<UnrealizedConversionCastOp>(
        original.getLoc(), original.getType(), lowered);
    original.replaceAllUsesWith(cast.getResult(0));
    return cast.getResult(0);
  };
  for (BlockArgument arg : body.getArguments()) {
    if (arg == tokens)
      state.modelTokens = castFrom(state.getTokens(), arg);
    else if (arg == start)
      state.modelStart = castFrom(state.getStart(), arg);
    else
      castFrom(state.getContext(), arg); // a KV cache: the context's
  }
  state.returnedLogits = logits;
  entry->getOperations().splice(entry->end(), body.getOperations());
  state.modelName = model.getSymName();
  return success();
}

/// Removes the casts that stood for the model function's arguments and the
/// values of block scales, which the lowered code no longer uses.
LogicalResult cleanUp(LLVM::LLVMFuncOp forward) {
  SmallVector<Operation *> dead;
  forward.walk([&](Operation *op) {
    if (isa<UnrealizedConversionCastOp, LLVM::ZeroOp>(op) && op->use_empty())
      dead.push_back(op);
  });
  for (Operation *op : dead)
    op->erase();
  WalkResult live = forward.walk([&](UnrealizedConversionCastOp cast) {
    cast.emitError() << "is a value the lowering could not convert";
    return WalkResult::interrupt();
  });
  return failure(live.wasInterrupted());
}

struct LowerToLLVMPass
    : public mlir::trit::impl::TritLowerToLLVMBase<LowerToLLVMPass> {
  using TritLowerToLLVMBase::TritLowerToLLVMBase;
  void runOnOperation() override;
};

void LowerToLLVMPass::runOnOperation() {
  ModuleOp module = getOperation();
  MLIRContext *ctx = module.getContext();
  TargetAttr target = lookupTargetOrEmitError(module);
  if (!target)
    return signalPassFailure();
  if (rerankCandidates < 1 || rerankCandidates > kMaxRerankCandidates) {
    module.emitError() << "rerank-candidates is "
                       << static_cast<int64_t>(rerankCandidates)
                       << "; expected 1 to " << kMaxRerankCandidates;
    return signalPassFailure();
  }
  if (!(rerankMargin >= 0 && rerankMargin <= 1000)) {
    module.emitError() << "rerank-margin is "
                       << formatRerankMargin(rerankMargin)
                       << "; expected 0 to 1000";
    return signalPassFailure();
  }
  if (promptLut && failed(checkPromptLut(module, target)))
    return signalPassFailure();

  SmallVector<func::FuncOp> models, entries, others;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func->hasAttr(TritDialect::kEntryPointAttrName))
      entries.push_back(func);
    else if (func->hasAttr(kMemoryPlanAttr))
      models.push_back(func);
    else
      others.push_back(func);
  }
  if (models.size() != 1) {
    module.emitError() << "needs exactly one model function with a "
                       << kMemoryPlanAttr
                       << " (run trit-plan-memory first), found "
                       << models.size();
    return signalPassFailure();
  }
  if (!others.empty()) {
    others.front().emitOpError()
        << "is neither the planned model function nor an entry point";
    return signalPassFailure();
  }

  func::FuncOp model = models.front();
  LoweringState state(module, target, getBestKernel(target));
  state.vectorNorms = normCodegen == NormCodegen::Vector;
  state.lmHead = lmHead;
  state.rerankCandidates = rerankCandidates;
  state.rerankMargin = rerankMargin;
  state.promptLut = promptLut;
  auto plan = model->getAttrOfType<DictionaryAttr>(kMemoryPlanAttr);
  state.maxTokens = plan.getAs<IntegerAttr>("max_tokens").getInt();
  state.maxContext = plan.getAs<IntegerAttr>("max_context").getInt();
  if (failed(collectWeights(state)) || failed(prepareForward(state, model)))
    return signalPassFailure();
  module->setAttr(kMemoryPlanAttr, plan);
  model.erase();

  LoweringTypeConverter converter(ctx);
  state.converter = &converter;
  RewritePatternSet patterns(ctx);
  populateModelFunctionPatterns(converter, state, patterns);
  populateElementwisePatterns(converter, state, patterns);
  populateBitLinearPatterns(converter, state, patterns);
  populateAttentionPatterns(converter, state, patterns);
  populateLMHeadPatterns(converter, state, patterns);

  ConversionTarget conversionTarget(*ctx);
  conversionTarget.addLegalDialect<LLVM::LLVMDialect>();
  conversionTarget.addLegalOp<UnrealizedConversionCastOp, GlobalOp>();
  conversionTarget.addIllegalDialect<TritDialect, func::FuncDialect>();
  // Every other op in trit.forward must be converted (an op no pattern
  // lowers is an error); generated vector code keeps its own ops.
  auto outsideForward = [&](Operation *op) {
    return op->getParentOfType<LLVM::LLVMFuncOp>() != state.forward;
  };
  conversionTarget.markUnknownOpDynamicallyLegal(outsideForward);
  conversionTarget.addDynamicallyLegalDialect<arith::ArithDialect>(
      outsideForward);
  if (failed(applyPartialConversion(module, conversionTarget,
                                    std::move(patterns))) ||
      state.failed || state.calls.hadError() || failed(cleanUp(state.forward)))
    return signalPassFailure();
  if (entries.empty()) {
    module.emitError() << "has no " << TritDialect::kEntryPointAttrName
                       << " function";
    return signalPassFailure();
  }

  // What the runtime and the code generator need to know.
  module->setAttr(TritDialect::kWeightsAttrName,
                  ArrayAttr::get(ctx, state.weightTable));
  SmallVector<Attribute> isas;
  for (StringRef isa : state.calls.getUsedFamilies())
    isas.push_back(StringAttr::get(ctx, isa));
  module->setAttr(TritDialect::kKernelIsasAttrName, ArrayAttr::get(ctx, isas));
  if (state.ropeTable)
    module->setAttr(TritDialect::kRopeAttrName, state.ropeTable);
  for (GlobalOp global : llvm::make_early_inc_range(module.getOps<GlobalOp>()))
    global.erase();
}

} // namespace
