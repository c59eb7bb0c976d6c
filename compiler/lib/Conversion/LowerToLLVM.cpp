//===- LowerToLLVM.cpp - planned trit IR to LLVM dialect kernel calls -----===//
//
// Each trit op becomes a call of a kernel from kernels/src/ops.h with
// constant shapes and pointers from the memory plan; see the pass
// description in Passes.td and the ABI in kernels/include/trit/abi.h.
//
//===----------------------------------------------------------------------===//

#include "trit/Compiler/KernelFamilies.h"
#include "trit/Compiler/MemoryPlan.h"
#include "trit/Compiler/Passes.h"
#include "trit/Compiler/VectorCodegen.h"
#include "trit/Compiler/WeightLayouts.h"
#include "trit/Dialect/TritOps.h"
#include "trit/ops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

namespace mlir::trit {
#define GEN_PASS_DEF_TRITLOWERTOLLVM
#include "trit/Compiler/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;
using ::trit::getWeightLayoutInfo;
using ::trit::stringifyWeightLayout;
using ::trit::WeightLayout;

namespace {

/// Lowers one module: the planned model function and its entry points.
class ModuleLowering {
public:
  /// `lmHead` is what the LM head reads (with `rerankCandidates` exact
  /// rows for a reranking head); `promptLut` takes the T3X5 BitLinears of
  /// prompts through lookup tables.
  ModuleLowering(ModuleOp module, TargetAttr target, bool vectorNorms,
                 LMHead lmHead, int64_t rerankCandidates, bool promptLut)
      : module(module), builder(module.getContext()),
        opsKernel(getBestKernel(target)), vectorNorms(vectorNorms),
        lmHead(lmHead), rerankCandidates(rerankCandidates),
        promptLut(promptLut), vbmi(target.hasFeature("avx512vbmi")) {
    MLIRContext *ctx = module.getContext();
    ptrType = LLVM::LLVMPointerType::get(ctx);
    i64Type = builder.getI64Type();
    i32Type = builder.getI32Type();
    f32Type = builder.getF32Type();
    voidType = LLVM::LLVMVoidType::get(ctx);
    kernelIsas.insert(stringifyKernelKind(KernelKind::Generic));
    kernelIsas.insert(stringifyKernelKind(opsKernel));
  }

  LogicalResult run();

private:
  LogicalResult collectWeights();
  LogicalResult lowerModelFunction(func::FuncOp func);
  LogicalResult lowerEntryPoint(func::FuncOp entry, func::FuncOp model);
  LogicalResult lowerOp(Operation *op);
  LogicalResult lowerFusedBitLinear(FusedBitLinearOp op);
  LogicalResult lowerBitLinear(BitLinearOp op);
  LogicalResult checkRope(RopeOp op);

  // Building blocks.
  Value constI64(int64_t v) {
    return builder.create<LLVM::ConstantOp>(loc, i64Type,
                                            builder.getI64IntegerAttr(v));
  }
  Value constI32(int32_t v) {
    return builder.create<LLVM::ConstantOp>(loc, i32Type,
                                            builder.getI32IntegerAttr(v));
  }
  Value constF32(float v) {
    return builder.create<LLVM::ConstantOp>(loc, f32Type,
                                            builder.getF32FloatAttr(v));
  }
  Value nullPtr() { return builder.create<LLVM::ZeroOp>(loc, ptrType); }
  Value arenaAt(int64_t offset) {
    return builder.create<LLVM::GEPOp>(loc, ptrType, builder.getI8Type(),
                                       arena,
                                       ArrayRef<LLVM::GEPArg>{constI64(offset)});
  }
  /// Calls trit_op_<name>_<isa>, declaring it on first use.
  Value callKernel(StringRef name, ValueRange args, Type result = {},
                   std::optional<KernelKind> kind = std::nullopt);
  /// The worker range function of a BitLinear with this kernel family and
  /// weight type (shape and packing), created on first use.
  LLVM::LLVMFuncOp getOrCreateRangeFunction(KernelKind kind,
                                            RankedTensorType weightType);

  /// The row count of a value whose leading dimension may be dynamic.
  Value rowsOf(Value tensor) {
    int64_t rows = cast<RankedTensorType>(tensor.getType()).getDimSize(0);
    return ShapedType::isDynamic(rows) ? tokenCount : constI64(rows);
  }
  Value elementsOf(Value tensor) {
    auto type = cast<RankedTensorType>(tensor.getType());
    int64_t perRow = 1;
    for (int64_t dim : type.getShape().drop_front())
      perRow *= dim;
    return builder.create<LLVM::MulOp>(loc, rowsOf(tensor), constI64(perRow));
  }
  static int64_t colsOf(Value tensor) {
    return cast<RankedTensorType>(tensor.getType()).getDimSize(1);
  }
  /// Where result `i` of `op` lives: its arena buffer or the caller's.
  FailureOr<Value> resultPointer(Operation *op, unsigned i);
  FailureOr<Value> scratchPointer(Operation *op, unsigned i);
  FailureOr<Value> operand(Operation *op, Value v);
  FailureOr<Value> scaleOf(Operation *op, Value v);
  /// The layout of the weight-table entry a trit.weight value reads.
  WeightLayout weightLayoutOf(Value v) {
    auto weight = v.getDefiningOp<WeightOp>();
    return weight ? weightLayout.lookup(weight.getName()) : WeightLayout::F32;
  }
  FailureOr<Value> indexOf(Operation *op, Value v);

  ModuleOp module;
  OpBuilder builder;
  Location loc = UnknownLoc::get(module.getContext());
  KernelKind opsKernel;
  bool vectorNorms;
  LMHead lmHead;
  int64_t rerankCandidates;
  bool promptLut;
  /// The target has AVX-512 VBMI: the AVX-512 VNNI family's T3X5 row dots
  /// look their weights up with vpermb.
  bool vbmi;
  /// The ternary layout of the module's BitLinears, which a reranking
  /// head's ternary copy takes too (T3X5 if any has it, with rows in lanes
  /// if any has them).
  WeightLayout ternaryLayout = WeightLayout::I2_S;
  Type ptrType, i64Type, i32Type, f32Type, voidType;

  // The weight table, in module order, and inline values.
  llvm::StringMap<int64_t> weightIndex;
  SmallVector<Attribute> weightNames;
  llvm::StringMap<ElementsAttr> inlineWeights;
  llvm::StringMap<WeightLayout> weightLayout;
  /// Globals that are the block scales of a group-scaled (T2G) weight.
  llvm::StringSet<> groupScales;
  DenseMap<Value, bool> f16Tables;

  // Per model function.
  int64_t maxTokens = 0, maxContext = 0, vocab = 0;
  Value ctxArg, tokensArg, tokenCount, startArg, logitsArg, logitRowsArg,
      arena;
  Value returnedLogits, modelTokens;
  DenseMap<Value, Value> pointers, scalars;
  llvm::StringMap<LLVM::LLVMFuncOp> kernelDecls;
  llvm::SetVector<StringRef> kernelIsas;
  std::optional<RopeOp> ropeReference;
};

Value ModuleLowering::callKernel(StringRef name, ValueRange args,
                                 Type result, std::optional<KernelKind> kind) {
  std::string symbol = ("trit_op_" + name + "_" +
                        stringifyKernelKind(kind.value_or(opsKernel)))
                           .str();
  kernelIsas.insert(stringifyKernelKind(kind.value_or(opsKernel)));
  LLVM::LLVMFuncOp &decl = kernelDecls[symbol];
  if (!decl) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(module.getBody());
    SmallVector<Type> argTypes(args.getTypes());
    decl = builder.create<LLVM::LLVMFuncOp>(
        loc, symbol,
        LLVM::LLVMFunctionType::get(result ? result : voidType, argTypes));
  }
  auto call = builder.create<LLVM::CallOp>(loc, decl, args);
  return result ? call.getResult() : Value();
}

/// The layout the kernels read a ternary weight type in: T3X5 for
/// #trit.packing<t3x5>, T3X5_X64 for its rows in lanes (interleave 64,
/// which the AVX-512 VBMI kernels read), else I2_S.
static WeightLayout getTernaryLayout(RankedTensorType type) {
  auto packing = dyn_cast_or_null<PackingAttr>(type.getEncoding());
  if (packing && packing.getKind() == PackingKind::T2G)
    return packing.getBlock() == 128 ? WeightLayout::T2G128_X16
                                     : WeightLayout::T2G64_X16;
  if (!packing || packing.getKind() != PackingKind::T3X5)
    return WeightLayout::I2_S;
  return packing.getInterleave() == 64 ? WeightLayout::T3X5_X64
                                       : WeightLayout::T3X5;
}

LLVM::LLVMFuncOp
ModuleLowering::getOrCreateRangeFunction(KernelKind kind,
                                         RankedTensorType weightType) {
  int64_t rows = weightType.getDimSize(0), cols = weightType.getDimSize(1);
  // SelectKernels gives rows in lanes to the AVX-512 VNNI family only when
  // the target has AVX-512 VBMI.
  WeightLayout layout = getTernaryLayout(weightType);
  bool rowsInLanes = layout == WeightLayout::T3X5_X64;
  bool t3x5 = layout == WeightLayout::T3X5;
  // The pass checked that lookup tables have their kernel family.
  bool lut = (t3x5 || rowsInLanes) && promptLut &&
             kind == KernelKind::AVX512VNNI;
  bool t3x5Vbmi = t3x5 && vbmi && kind == KernelKind::AVX512VNNI;
  bool t2g64 = layout == WeightLayout::T2G64_X16,
       t2g128 = layout == WeightLayout::T2G128_X16;
  std::string name = ("trit.bitlinear." + stringifyKernelKind(kind) + "." +
                      (t2g64              ? "t2g64."
                       : t2g128           ? "t2g128."
                       : rowsInLanes && lut ? "t3x5x64lut."
                       : rowsInLanes      ? "t3x5x64."
                       : lut              ? "t3x5lut."
                       : t3x5Vbmi         ? "t3x5vbmi."
                       : t3x5             ? "t3x5."
                                          : "") +
                      Twine(rows) + "x" + Twine(cols))
                         .str();
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  auto func = builder.create<LLVM::LLVMFuncOp>(
      loc, name,
      LLVM::LLVMFunctionType::get(voidType, {ptrType, ptrType}),
      LLVM::Linkage::Internal);
  Block *body = func.addEntryBlock(builder);
  builder.setInsertionPointToStart(body);
  callKernel(t2g64              ? "bitlinear_t2g64_range"
             : t2g128           ? "bitlinear_t2g128_range"
             : rowsInLanes && lut ? "bitlinear_t3x5x64_lut_range"
             : rowsInLanes      ? "bitlinear_t3x5x64_range"
             : lut              ? "bitlinear_t3x5_lut_range"
             : t3x5Vbmi  ? "bitlinear_t3x5_vbmi_range"
             : t3x5      ? "bitlinear_t3x5_range"
                         : "bitlinear_range",
             {body->getArgument(0), constI64(cols), constI64(rows),
              body->getArgument(1)},
             {}, kind);
  builder.create<LLVM::ReturnOp>(loc, ValueRange{});
  return func;
}

FailureOr<Value> ModuleLowering::operand(Operation *op, Value v) {
  auto it = pointers.find(v);
  if (it == pointers.end())
    return op->emitOpError() << "has an operand the lowering has no buffer "
                                "for (not produced by a planned trit op)";
  return it->second;
}

FailureOr<Value> ModuleLowering::scaleOf(Operation *op, Value v) {
  if (Value constant = scalars.lookup(v))
    return constant;
  // Block scales of a group-scaled weight live in its T2G layout.
  if (auto weight = v.getDefiningOp<WeightOp>();
      weight && groupScales.contains(weight.getName()))
    return constF32(0.0f);
  FailureOr<Value> ptr = operand(op, v);
  if (failed(ptr))
    return failure();
  Type element = cast<RankedTensorType>(v.getType()).getElementType();
  if (element.isF32())
    return builder.create<LLVM::LoadOp>(loc, f32Type, *ptr).getResult();
  Value half = builder.create<LLVM::LoadOp>(loc, element, *ptr);
  return builder.create<LLVM::FPExtOp>(loc, f32Type, half).getResult();
}

FailureOr<Value> ModuleLowering::indexOf(Operation *op, Value v) {
  if (Value constant = scalars.lookup(v))
    return constant;
  return op->emitOpError() << "has a position that is neither the model "
                              "function's start argument nor a constant";
}

FailureOr<Value> ModuleLowering::resultPointer(Operation *op, unsigned i) {
  Value result = op->getResult(i);
  if (result == returnedLogits)
    return logitsArg;
  auto buffers = op->getAttrOfType<DenseI64ArrayAttr>(kBuffersAttr);
  if (!buffers || buffers.size() != static_cast<int64_t>(op->getNumResults()) ||
      buffers[i] < 0)
    return op->emitOpError() << "has no " << kBuffersAttr
                             << " entry for result " << i
                             << "; run trit-plan-memory first";
  return arenaAt(buffers[i]);
}

FailureOr<Value> ModuleLowering::scratchPointer(Operation *op, unsigned i) {
  auto scratch = op->getAttrOfType<DenseI64ArrayAttr>(kScratchAttr);
  if (!scratch || scratch.size() <= static_cast<int64_t>(i))
    return op->emitOpError() << "has no " << kScratchAttr
                             << " entry; run trit-plan-memory first";
  return arenaAt(scratch[i]);
}

/// True when every use of the global goes through arith.extf to f32.
static bool isOnlyExtended(GlobalOp global) {
  bool onlyExtended = true;
  global->getParentOp()->walk([&](WeightOp weight) {
    if (weight.getName() != global.getSymName())
      return;
    for (Operation *user : weight->getUsers())
      onlyExtended &= isa<arith::ExtFOp>(user);
  });
  return onlyExtended;
}

LogicalResult ModuleLowering::collectWeights() {
  for (GlobalOp global : module.getOps<GlobalOp>()) {
    if (auto value = dyn_cast<ElementsAttr>(global.getValue())) {
      inlineWeights[global.getSymName()] = value;
      continue;
    }
    // The block scales of a group-scaled ternary weight are part of its
    // T2G layout, not a weight of their own.
    auto external = dyn_cast<ExternalAttr>(global.getValue());
    if (external && external.getPart() == WeightPart::Scale &&
        global.getTensorType().getRank() == 2) {
      groupScales.insert(global.getSymName());
      continue;
    }
    // The layout the kernels read the weight in. A 16-bit weight that is
    // only ever widened (a norm weight of a Hugging Face model) is stored as
    // f32, exactly. A bf16 table (embedding, LM head) is stored as f16, as
    // bitnet.cpp's converter stores it, so a Hugging Face model computes
    // what its GGUF conversion computes.
    Type element = global.getTensorType().getElementType();
    WeightLayout layout;
    if (isa<TernaryType>(element)) {
      layout = getTernaryLayout(global.getTensorType());
      if ((layout == WeightLayout::T3X5 || layout == WeightLayout::T3X5_X64) &&
          ternaryLayout != WeightLayout::T3X5_X64)
        ternaryLayout = layout;
    } else if (element.isF32()) {
      layout = WeightLayout::F32;
    } else if (element.isF16() || element.isBF16()) {
      layout = isOnlyExtended(global) ? WeightLayout::F32 : WeightLayout::F16;
    } else {
      return global.emitOpError() << "holds " << element
                                  << " values, which the kernels do not read";
    }
    weightLayout[global.getSymName()] = layout;
    weightIndex[global.getSymName()] = weightNames.size();
    weightNames.push_back(builder.getDictionaryAttr(
        {builder.getNamedAttr(
             "layout", builder.getStringAttr(stringifyWeightLayout(layout))),
         builder.getNamedAttr("name",
                              builder.getStringAttr(global.getSymName()))}));
  }
  return success();
}

LogicalResult ModuleLowering::checkRope(RopeOp op) {
  if (!ropeReference) {
    ropeReference = op;
    return success();
  }
  if (op.getHeadDim() != ropeReference->getHeadDim() ||
      op.getTheta().convertToDouble() !=
          ropeReference->getTheta().convertToDouble() ||
      op.getYarnFactorAttr() != ropeReference->getYarnFactorAttr() ||
      op.getYarnOriginalContext() != ropeReference->getYarnOriginalContext())
    return op.emitOpError()
           << "uses head_dim " << op.getHeadDim() << " and theta "
           << op.getTheta().convertToDouble()
           << (op.getYarnFactor() ? " with YaRN" : "")
           << ", but the runtime provides one RoPE table and an earlier "
              "rope uses head_dim "
           << ropeReference->getHeadDim() << " and theta "
           << ropeReference->getTheta().convertToDouble();
  return success();
}

LogicalResult ModuleLowering::lowerBitLinear(BitLinearOp op) {
  if (!op.getKernel())
    return op.emitOpError() << "has no kernel; run trit-select-kernels first";
  auto qact = cast<QActType>(op.getInput().getType());
  auto weightType = cast<RankedTensorType>(op.getWeight().getType());
  FailureOr<Value> input = operand(op, op.getInput());
  FailureOr<Value> weights = operand(op, op.getWeight());
  FailureOr<Value> scale = scaleOf(op, op.getWeightScale());
  FailureOr<Value> out = resultPointer(op, 0);
  if (failed(input) || failed(weights) || failed(scale) || failed(out))
    return failure();
  QActLayout layout = getQActLayout(getPlannedRows(qact.getRows(), maxTokens),
                                    qact.getCols(), qact.getBlock());
  auto at = [&](int64_t offset) {
    return builder.create<LLVM::GEPOp>(loc, ptrType, builder.getI8Type(),
                                       *input,
                                       ArrayRef<LLVM::GEPArg>{constI64(offset)});
  };
  int64_t rows = weightType.getDimSize(0);
  auto range = getOrCreateRangeFunction(*op.getKernel(), weightType);
  Value rangePtr = builder.create<LLVM::AddressOfOp>(loc, range);
  Value tokens = ShapedType::isDynamic(qact.getRows()) ? tokenCount
                                                       : constI64(qact.getRows());
  callKernel("bitlinear", {ctxArg, rangePtr, *weights, *scale,
                           at(layout.codes), at(layout.scales),
                           at(layout.sums), tokens, constI64(rows), *out});
  pointers[op.getResult()] = *out;
  return success();
}

LogicalResult ModuleLowering::lowerFusedBitLinear(FusedBitLinearOp op) {
  if (!op.getKernel())
    return op.emitOpError() << "has no kernel; run trit-select-kernels first";
  Value input = op.getInput();
  int64_t cols = colsOf(input);
  FailureOr<Value> x = operand(op, input);
  if (failed(x))
    return failure();
  Value normWeight = nullPtr();
  float eps = 0.0f;
  if (op.getNormWeight()) {
    FailureOr<Value> w = operand(op, op.getNormWeight());
    if (failed(w))
      return failure();
    normWeight = *w;
    eps = static_cast<float>(op.getEps()->convertToDouble());
  }
  FailureOr<Value> normed = scratchPointer(op, 0);
  FailureOr<Value> quantized = scratchPointer(op, 1);
  if (failed(normed) || failed(quantized))
    return failure();
  int64_t block = op.getBlock().value_or(0);
  QActLayout layout = getQActLayout(
      getPlannedRows(cast<RankedTensorType>(input.getType()).getDimSize(0),
                     maxTokens),
      cols, block);
  auto at = [&](int64_t offset) {
    return builder.create<LLVM::GEPOp>(loc, ptrType, builder.getI8Type(),
                                       *quantized,
                                       ArrayRef<LLVM::GEPArg>{constI64(offset)});
  };
  Value codes = at(layout.codes), scales = at(layout.scales),
        sums = at(layout.sums), tokens = rowsOf(input);
  if (block != 0 && block != 32)
    return op.emitOpError() << "quantizes in blocks of " << block
                            << "; the kernels implement Q8_0's blocks of 32";
  callKernel(block ? "norm_quantize_q8_0" : "norm_quantize",
             {ctxArg, *x, normWeight, constF32(eps), tokens, constI64(cols),
              *normed, codes, scales, sums});

  bool gated = op.getGate().has_value();
  SmallVector<Value> outputs;
  // Two or three weights go through one parallel range over their rows
  // end to end (one wait for the threads instead of one per weight).
  size_t count = op.getWeights().size();
  bool together = count == 2 || count == 3;
  SmallVector<Value> fusedArgs = {ctxArg, codes, scales, sums, tokens};
  for (unsigned k = 0; k < count; ++k) {
    FailureOr<Value> out =
        gated ? scratchPointer(op, 2 + k) : resultPointer(op, k);
    FailureOr<Value> weights = operand(op, op.getWeights()[k]);
    FailureOr<Value> scale = scaleOf(op, op.getScales()[k]);
    if (failed(out) || failed(weights) || failed(scale))
      return failure();
    auto weightType = cast<RankedTensorType>(op.getWeights()[k].getType());
    int64_t rows = weightType.getDimSize(0);
    auto range = getOrCreateRangeFunction(*op.getKernel(), weightType);
    Value rangePtr = builder.create<LLVM::AddressOfOp>(loc, range);
    if (together)
      fusedArgs.append({rangePtr, *weights, *scale, constI64(rows), *out});
    else
      callKernel("bitlinear", {ctxArg, rangePtr, *weights, *scale, codes,
                               scales, sums, tokens, constI64(rows), *out});
    outputs.push_back(*out);
  }
  if (together) {
    if (count == 2)
      fusedArgs.append({nullPtr(), nullPtr(), constF32(0.0f), constI64(0),
                        nullPtr()});
    callKernel("bitlinear_fused", fusedArgs);
  }
  if (!gated) {
    for (auto [result, out] : llvm::zip(op.getResults(), outputs))
      pointers[result] = out;
    return success();
  }
  FailureOr<Value> out = resultPointer(op, 0);
  if (failed(out))
    return failure();
  trit_gate_kind kind =
      *op.getGate() == GateKind::Relu2 ? TRIT_GATE_RELU2 : TRIT_GATE_SILU;
  callKernel("gate", {constI32(kind), outputs[0], outputs[1],
                      elementsOf(op.getResult(0)), *out});
  pointers[op.getResult(0)] = *out;
  return success();
}

LogicalResult ModuleLowering::lowerOp(Operation *op) {
  loc = op->getLoc();
  // Scalars first: constants and weights need no buffer.
  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    auto value = dyn_cast<IntegerAttr>(constant.getValue());
    if (!value)
      return op->emitOpError() << "is not an integer or index constant";
    scalars[constant.getResult()] = constI64(value.getInt());
    return success();
  }
  if (auto weight = dyn_cast<WeightOp>(op)) {
    auto it = weightIndex.find(weight.getName());
    if (it != weightIndex.end()) {
      pointers[weight.getResult()] =
          callKernel("weight", {ctxArg, constI64(it->second)}, ptrType);
      f16Tables[weight.getResult()] =
          weightLayout.lookup(weight.getName()) == WeightLayout::F16;
      return success();
    }
    if (groupScales.contains(weight.getName()))
      return success(); // read from the weight's T2G layout (scaleOf)
    ElementsAttr value = inlineWeights.lookup(weight.getName());
    if (!value)
      return op->emitOpError() << "names no trit.global";
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getRank() == 0 && type.getElementType().isF32()) {
      scalars[weight.getResult()] =
          constF32(value.getValues<APFloat>()[0].convertToFloat());
      return success();
    }
    // Other inline tensors become constant globals.
    auto dense = dyn_cast<DenseElementsAttr>(value);
    if (!dense)
      return op->emitOpError() << "has an inline value that is not dense";
    int64_t count = type.getNumElements();
    auto flat = dense.reshape(RankedTensorType::get({count}, type.getElementType()));
    std::string name = ("trit.inline." + weight.getName()).str();
    if (!module.lookupSymbol(name)) {
      OpBuilder::InsertionGuard guard(builder);
      builder.setInsertionPointToStart(module.getBody());
      builder.create<LLVM::GlobalOp>(
          loc, LLVM::LLVMArrayType::get(type.getElementType(), count),
          /*isConstant=*/true, LLVM::Linkage::Internal, name, flat,
          /*alignment=*/kArenaAlignment);
    }
    pointers[weight.getResult()] =
        builder.create<LLVM::AddressOfOp>(loc, ptrType, name);
    return success();
  }
  if (auto extend = dyn_cast<arith::ExtFOp>(op)) {
    // Weights widened to f32 are stored as f32 (collectWeights).
    auto weight = extend.getIn().getDefiningOp<WeightOp>();
    auto layout = weight ? weightLayout.find(weight.getName())
                         : weightLayout.end();
    if (layout == weightLayout.end() || layout->second != WeightLayout::F32)
      return op->emitOpError() << "widens a value other than a weight stored "
                                  "as f32";
    pointers[extend.getResult()] = pointers.lookup(extend.getIn());
    return success();
  }
  if (auto ret = dyn_cast<func::ReturnOp>(op)) {
    builder.create<LLVM::ReturnOp>(loc, ValueRange{});
    return success();
  }
  if (!isa<TritDialect>(op->getDialect()))
    return op->emitOpError() << "cannot be lowered to kernel calls";

  // Ops whose results live in a buffer.
  auto setResult = [&](Value ptr) { pointers[op->getResult(0)] = ptr; };
  return TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](EmbeddingOp e) -> LogicalResult {
        auto table = cast<RankedTensorType>(e.getTable().getType());
        bool f16 = f16Tables.lookup(e.getTable());
        if (e.getTokens() != modelTokens)
          return e.emitOpError() << "must read the model function's tokens";
        FailureOr<Value> t = operand(e, e.getTable());
        FailureOr<Value> out = resultPointer(e, 0);
        if (failed(t) || failed(out))
          return failure();
        vocab = table.getDimSize(0);
        WeightLayout layout = weightLayoutOf(e.getTable());
        if (layout == WeightLayout::T2G64_X16 ||
            layout == WeightLayout::T2G128_X16) {
          callKernel("embedding_t2g",
                     {*t, tokensArg, rowsOf(e.getResult()),
                      constI64(table.getDimSize(1)),
                      constI64(layout == WeightLayout::T2G128_X16 ? 128 : 64),
                      *out});
          setResult(*out);
          return success();
        }
        callKernel(f16 ? "embedding_f16" : "embedding_f32",
                   {*t, tokensArg, rowsOf(e.getResult()),
                    constI64(table.getDimSize(1)), *out});
        setResult(*out);
        return success();
      })
      .Case([&](RMSNormOp n) -> LogicalResult {
        FailureOr<Value> x = operand(n, n.getInput());
        FailureOr<Value> w = operand(n, n.getWeight());
        FailureOr<Value> out = resultPointer(n, 0);
        if (failed(x) || failed(w) || failed(out))
          return failure();
        Value eps =
            constF32(static_cast<float>(n.getEps().convertToDouble()));
        // A narrower weight (QK-norm) normalizes each slice of its width:
        // rows of that width, `slices` times as many.
        int64_t cols = cast<RankedTensorType>(n.getWeight().getType())
                           .getDimSize(0);
        int64_t slices = colsOf(n.getInput()) / cols;
        Value rows = rowsOf(n.getInput());
        if (slices != 1)
          rows = builder.create<LLVM::MulOp>(loc, rows, constI64(slices));
        if (vectorNorms && cols % kVectorRMSNormLanes == 0) {
          builder.create<LLVM::CallOp>(
              loc, getOrCreateVectorRMSNorm(module, cols),
              ValueRange{*x, *w, eps, rows, *out});
        } else {
          callKernel("rms_norm", {*x, *w, eps, rows, constI64(cols), *out});
        }
        setResult(*out);
        return success();
      })
      .Case([&](QuantizeOp q) -> LogicalResult {
        auto type = cast<QActType>(q.getResult().getType());
        if (!type.isPerRow() && type.getBlock() != 32)
          return q.emitOpError()
                 << "quantizes in blocks of " << type.getBlock()
                 << "; the kernels implement rows and Q8_0's blocks of 32";
        FailureOr<Value> x = operand(q, q.getInput());
        FailureOr<Value> out = resultPointer(q, 0);
        if (failed(x) || failed(out))
          return failure();
        QActLayout layout =
            getQActLayout(getPlannedRows(type.getRows(), maxTokens),
                          type.getCols(), type.getBlock());
        auto at = [&](int64_t offset) {
          return builder.create<LLVM::GEPOp>(
              loc, ptrType, builder.getI8Type(), *out,
              ArrayRef<LLVM::GEPArg>{constI64(offset)});
        };
        callKernel(type.isPerRow() ? "norm_quantize" : "norm_quantize_q8_0",
                   {ctxArg, *x, nullPtr(), constF32(0.0f), rowsOf(q.getInput()),
                    constI64(type.getCols()), nullPtr(), at(layout.codes),
                    at(layout.scales), at(layout.sums)});
        setResult(*out);
        return success();
      })
      .Case([&](BitLinearOp b) { return lowerBitLinear(b); })
      .Case([&](FusedBitLinearOp f) { return lowerFusedBitLinear(f); })
      .Case([&](RopeOp r) -> LogicalResult {
        if (failed(checkRope(r)))
          return failure();
        FailureOr<Value> x = operand(r, r.getInput());
        FailureOr<Value> start = indexOf(r, r.getStart());
        FailureOr<Value> out = resultPointer(r, 0);
        if (failed(x) || failed(start) || failed(out))
          return failure();
        callKernel("rope", {ctxArg, *x, rowsOf(r.getInput()),
                            constI64(colsOf(r.getInput())),
                            constI64(r.getHeadDim()), *start,
                            constI32(r.getMode() == RopeMode::NeoX), *out});
        setResult(*out);
        return success();
      })
      .Case([&](KVStoreOp s) -> LogicalResult {
        auto cache = cast<KVCacheType>(s.getCache().getType());
        if (!cache.getElementType().isF16())
          return s.emitOpError() << "stores into a " << cache.getElementType()
                                 << " cache; the kernels keep the KV cache "
                                    "in f16";
        FailureOr<Value> k = operand(s, s.getKeys());
        FailureOr<Value> v = operand(s, s.getValues());
        FailureOr<Value> start = indexOf(s, s.getStart());
        if (failed(k) || failed(v) || failed(start))
          return failure();
        callKernel("kv_store",
                   {ctxArg, constI64(s.getLayer()), *k, *v,
                    rowsOf(s.getKeys()), *start,
                    constI64(cache.getKvHeads() * cache.getHeadDim())});
        return success();
      })
      .Case([&](AttentionOp a) -> LogicalResult {
        auto cache = cast<KVCacheType>(a.getCache().getType());
        FailureOr<Value> q = operand(a, a.getQuery());
        FailureOr<Value> start = indexOf(a, a.getStart());
        FailureOr<Value> scratch = scratchPointer(a, 0);
        FailureOr<Value> out = resultPointer(a, 0);
        if (failed(q) || failed(start) || failed(scratch) || failed(out))
          return failure();
        int64_t headDim = cache.getHeadDim();
        float scale = a.getScale()
                          ? static_cast<float>(a.getScale()->convertToDouble())
                          : 1.0f / std::sqrt(static_cast<float>(headDim));
        callKernel("attention",
                   {ctxArg, constI64(a.getLayer()), *q, rowsOf(a.getQuery()),
                    *start, constI64(a.getNumHeads()),
                    constI64(cache.getKvHeads()), constI64(headDim),
                    constF32(scale), constI64(maxContext), *scratch, *out});
        setResult(*out);
        return success();
      })
      .Case([&](GateOp g) -> LogicalResult {
        FailureOr<Value> gate = operand(g, g.getGate());
        FailureOr<Value> up = operand(g, g.getUp());
        FailureOr<Value> out = resultPointer(g, 0);
        if (failed(gate) || failed(up) || failed(out))
          return failure();
        callKernel("gate",
                   {constI32(g.getKind() == GateKind::Relu2 ? TRIT_GATE_RELU2
                                                            : TRIT_GATE_SILU),
                    *gate,
                    *up, elementsOf(g.getResult()), *out});
        setResult(*out);
        return success();
      })
      .Case<AddOp, MulOp>([&](auto e) -> LogicalResult {
        if (e.getLhs().getType() != e.getRhs().getType())
          return e.emitOpError() << "broadcasts, which the kernels do not";
        FailureOr<Value> lhs = operand(e, e.getLhs());
        FailureOr<Value> rhs = operand(e, e.getRhs());
        FailureOr<Value> out = resultPointer(e, 0);
        if (failed(lhs) || failed(rhs) || failed(out))
          return failure();
        callKernel(isa<AddOp>(e.getOperation()) ? "add" : "mul",
                   {*lhs, *rhs, elementsOf(e.getResult()), *out});
        setResult(*out);
        return success();
      })
      .Case([&](LMHeadOp h) -> LogicalResult {
        auto table = cast<RankedTensorType>(h.getTable().getType());
        bool f16 = f16Tables.lookup(h.getTable());
        FailureOr<Value> x = operand(h, h.getInput());
        FailureOr<Value> t = operand(h, h.getTable());
        FailureOr<Value> scratch = scratchPointer(h, 0);
        FailureOr<Value> out = resultPointer(h, 0);
        if (failed(x) || failed(t) || failed(scratch) || failed(out))
          return failure();
        // The returned logits: only the caller's last logit_rows positions.
        Value rows = rowsOf(h.getInput());
        if (h.getResult() == returnedLogits) {
          Value skipped = builder.create<LLVM::SubOp>(loc, rows, logitRowsArg);
          Value bytes = builder.create<LLVM::MulOp>(
              loc, skipped, constI64(colsOf(h.getInput()) * 4));
          *x = builder.create<LLVM::GEPOp>(loc, ptrType, builder.getI8Type(),
                                           *x, ArrayRef<LLVM::GEPArg>{bytes});
          rows = logitRowsArg;
        }
        if (isa<TernaryType>(table.getElementType())) {
          // A group-scaled ternary head: a BitLinear over the vocabulary.
          if (lmHead != LMHead::Exact)
            return h.emitOpError()
                   << "has a ternary table, which lm-head="
                   << stringifyEnumOption(lmHead)
                   << " does not apply to (it makes compact copies of "
                      "float tables)";
          auto range = getOrCreateRangeFunction(opsKernel, table);
          Value rangePtr = builder.create<LLVM::AddressOfOp>(loc, range);
          callKernel("lm_head_t2g",
                     {ctxArg, rangePtr, *x, rows,
                      constI64(colsOf(h.getInput())), *t,
                      constI64(table.getDimSize(0)), *scratch, *out});
          setResult(*out);
          return success();
        }
        if (lmHead != LMHead::Exact) {
          // An int8 (q8_rows), 4-bit (q4_blocks) or ternary
          // (ternary_rows_<packing>) copy of the table, as an extra
          // weight-table entry.
          bool q4 = lmHead == LMHead::Q4, rerank = lmHead == LMHead::Rerank;
          // A reranking head's copy has the BitLinears' packing, rows in
          // lanes included (its rows padded to superblocks of 64).
          WeightLayout copyLayout =
              rerank ? ::trit::getTernaryRowsLayout(ternaryLayout)
              : q4   ? WeightLayout::Q4_BLOCKS
                     : WeightLayout::Q8_ROWS;
          StringRef layout = stringifyWeightLayout(copyLayout);
          auto weight = h.getTable().getDefiningOp<WeightOp>();
          if (!weight || !weightIndex.count(weight.getName()))
            return h.emitOpError() << "has a table that is not an external "
                                      "weight; lm-head="
                                   << stringifyEnumOption(lmHead)
                                   << " needs one";
          int64_t multiple =
              getWeightLayoutInfo(copyLayout).getColumnMultiple();
          if (colsOf(h.getInput()) % multiple != 0)
            return h.emitOpError()
                   << "has rows of " << colsOf(h.getInput())
                   << " elements; lm-head=" << stringifyEnumOption(lmHead)
                   << " needs a multiple of " << multiple;
          std::string key = (weight.getName() + "@" + layout).str();
          auto [it, added] = weightIndex.try_emplace(key, weightNames.size());
          if (added) {
            SmallVector<NamedAttribute> entry = {
                builder.getNamedAttr("layout", builder.getStringAttr(layout)),
                builder.getNamedAttr("name",
                                     builder.getStringAttr(weight.getName()))};
            // What trit-bench counts as read per token (artifact.fbs).
            if (rerank)
              entry.push_back(builder.getNamedAttr(
                  "rerank_rows", builder.getI64IntegerAttr(rerankCandidates)));
            weightNames.push_back(builder.getDictionaryAttr(entry));
          }
          Value q8 = callKernel("weight", {ctxArg, constI64(it->second)},
                                ptrType);
          if (rerank) {
            // How lm_head_rerank reads the copy (trit/ops.h).
            trit_rerank_copy copy =
                copyLayout == WeightLayout::TERNARY_ROWS_I2_S
                    ? TRIT_RERANK_COPY_I2_S
                : copyLayout == WeightLayout::TERNARY_ROWS_T3X5_X64
                    ? TRIT_RERANK_COPY_T3X5_X64
                : vbmi && opsKernel == KernelKind::AVX512VNNI
                    ? TRIT_RERANK_COPY_T3X5_VBMI
                    : TRIT_RERANK_COPY_T3X5;
            callKernel("lm_head_rerank",
                       {ctxArg, *x, rows, constI64(colsOf(h.getInput())), q8,
                        constI32(copy), *t, constI32(f16),
                        constI64(table.getDimSize(0)),
                        constI64(rerankCandidates), *scratch, *out});
            setResult(*out);
            return success();
          }
          callKernel(q4 ? "lm_head_q4" : "lm_head_q8",
                     {ctxArg, *x, rows,
                      constI64(colsOf(h.getInput())), q8,
                      constI64(table.getDimSize(0)), *scratch, *out});
          setResult(*out);
          return success();
        }
        callKernel("lm_head",
                   {ctxArg, *x, rows,
                    constI64(colsOf(h.getInput())), *t,
                    constI32(f16), constI64(table.getDimSize(0)),
                    *scratch, *out});
        setResult(*out);
        return success();
      })
      .Default([](Operation *op) {
        return op->emitOpError() << "has no lowering to kernel calls";
      });
}

LogicalResult ModuleLowering::lowerModelFunction(func::FuncOp func) {
  auto plan = func->getAttrOfType<DictionaryAttr>(kMemoryPlanAttr);
  maxTokens = plan.getAs<IntegerAttr>("max_tokens").getInt();
  maxContext = plan.getAs<IntegerAttr>("max_context").getInt();

  // The model function's contract: (tokens, start, caches...) ->
  // (logits, caches...).
  FunctionType type = func.getFunctionType();
  Block &body = func.getBody().front();
  Value tokens, start, logits;
  for (BlockArgument arg : body.getArguments()) {
    auto tensor = dyn_cast<RankedTensorType>(arg.getType());
    if (tensor && tensor.getRank() == 1 &&
        tensor.getElementType().isInteger(32) && !tokens)
      tokens = arg;
    else if (arg.getType().isIndex() && !start)
      start = arg;
    else if (!isa<KVCacheType>(arg.getType()))
      return func.emitOpError()
             << "has an argument of type " << arg.getType()
             << "; a model function takes tokens, a start position and KV "
                "caches";
  }
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  for (Value v : ret.getOperands()) {
    if (isa<KVCacheType>(v.getType()))
      continue;
    if (logits || !isa<RankedTensorType>(v.getType()))
      return func.emitOpError()
             << "must return one logits tensor and KV caches";
    logits = v;
  }
  if (!tokens || !start || !logits)
    return func.emitOpError() << "must take tokens (tensor<?xi32>) and a "
                                 "start position and return logits, not "
                              << type;
  if (logits.getDefiningOp() == nullptr ||
      !isa<TritDialect>(logits.getDefiningOp()->getDialect()))
    return func.emitOpError() << "must return logits computed by a trit op";

  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  auto lowered = builder.create<LLVM::LLVMFuncOp>(
      func.getLoc(), "trit.forward",
      LLVM::LLVMFunctionType::get(
          voidType, {ptrType, ptrType, i64Type, i64Type, ptrType, i64Type}),
      LLVM::Linkage::Internal);
  Block *entry = lowered.addEntryBlock(builder);
  builder.setInsertionPointToStart(entry);
  ctxArg = entry->getArgument(0);
  tokensArg = entry->getArgument(1);
  tokenCount = entry->getArgument(2);
  startArg = entry->getArgument(3);
  logitsArg = entry->getArgument(4);
  logitRowsArg = entry->getArgument(5);
  returnedLogits = logits;
  loc = func.getLoc();
  arena = callKernel("arena", {ctxArg}, ptrType);

  // Map the function's arguments to the lowered ones, then its ops.
  pointers.clear();
  scalars.clear();
  pointers[tokens] = tokensArg;
  scalars[start] = startArg;
  modelTokens = tokens;
  for (Operation &op : body)
    if (failed(lowerOp(&op)))
      return failure();
  return success();
}

LogicalResult ModuleLowering::lowerEntryPoint(func::FuncOp entry,
                                              func::FuncOp model) {
  bool callsModel = false;
  entry.walk([&](func::CallOp call) {
    callsModel |= call.getCallee() == model.getSymName();
  });
  if (!callsModel)
    return entry.emitOpError() << "is an entry point that does not call the "
                                  "model function @"
                               << model.getSymName();
  auto name = entry->getAttrOfType<StringAttr>("trit.entry_point");
  if (!name)
    return entry.emitOpError() << "has a trit.entry_point that is not a string";
  // A static token count (decode: tensor<1xi32>) bounds n further.
  int64_t entryMaxTokens = maxTokens;
  if (auto tokens = dyn_cast<RankedTensorType>(entry.getArgumentTypes()[0]))
    if (tokens.hasStaticShape())
      entryMaxTokens = std::min(entryMaxTokens, tokens.getDimSize(0));

  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToEnd(module.getBody());
  loc = entry.getLoc();
  auto lowered = builder.create<LLVM::LLVMFuncOp>(
      loc, ("trit_" + name.getValue()).str(),
      LLVM::LLVMFunctionType::get(
          i32Type, {ptrType, ptrType, i64Type, i64Type, ptrType, i64Type}));
  Block *body = lowered.addEntryBlock(builder);
  Block *run = lowered.addBlock();
  Block *fail = lowered.addBlock();
  builder.setInsertionPointToStart(body);
  Value status = callKernel(
      "check_inputs",
      {body->getArgument(0), body->getArgument(1), body->getArgument(2),
       body->getArgument(3), body->getArgument(5), constI64(entryMaxTokens),
       constI64(maxContext), constI64(vocab)},
      i32Type);
  Value ok = builder.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::eq,
                                          status, constI32(0));
  builder.create<LLVM::CondBrOp>(loc, ok, run, fail);
  builder.setInsertionPointToStart(run);
  auto forward = module.lookupSymbol<LLVM::LLVMFuncOp>("trit.forward");
  builder.create<LLVM::CallOp>(loc, forward, body->getArguments());
  builder.create<LLVM::ReturnOp>(loc, ValueRange{constI32(0)});
  builder.setInsertionPointToStart(fail);
  builder.create<LLVM::ReturnOp>(loc, ValueRange{status});
  return success();
}

LogicalResult ModuleLowering::run() {
  SmallVector<func::FuncOp> models, entries, others;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func->hasAttr("trit.entry_point"))
      entries.push_back(func);
    else if (func->hasAttr(kMemoryPlanAttr))
      models.push_back(func);
    else
      others.push_back(func);
  }
  if (models.size() != 1)
    return module.emitError()
           << "needs exactly one model function with a " << kMemoryPlanAttr
           << " (run trit-plan-memory first), found " << models.size();
  if (!others.empty())
    return others.front().emitOpError()
           << "is neither the planned model function nor an entry point";
  if (failed(collectWeights()) || failed(lowerModelFunction(models.front())))
    return failure();
  if (entries.empty())
    return module.emitError() << "has no trit.entry_point function";
  if (vocab == 0)
    return models.front().emitOpError() << "has no trit.embedding";
  for (func::FuncOp entry : entries)
    if (failed(lowerEntryPoint(entry, models.front())))
      return failure();

  // What the runtime and the code generator need to know.
  MLIRContext *ctx = module.getContext();
  module->setAttr("trit.weights", builder.getArrayAttr(weightNames));
  SmallVector<Attribute> isas;
  for (StringRef isa : kernelIsas)
    isas.push_back(builder.getStringAttr(isa));
  module->setAttr("trit.kernel_isas", builder.getArrayAttr(isas));
  module->setAttr(kMemoryPlanAttr, models.front()->getAttr(kMemoryPlanAttr));
  if (promptLut) // the artifact records it for trit-bench's roofline
    module->setAttr("trit.prompt_lut", builder.getUnitAttr());
  if (ropeReference) {
    NamedAttrList rope;
    rope.append("head_dim", ropeReference->getHeadDimAttr());
    rope.append("theta", ropeReference->getThetaAttr());
    if (ropeReference->getYarnFactor()) {
      rope.append("yarn_factor", ropeReference->getYarnFactorAttr());
      rope.append("yarn_original_context",
                  ropeReference->getYarnOriginalContextAttr());
    }
    module->setAttr("trit.rope", rope.getDictionary(ctx));
  }
  for (func::FuncOp func : llvm::concat<func::FuncOp>(entries, models))
    func.erase();
  for (GlobalOp global : llvm::make_early_inc_range(module.getOps<GlobalOp>()))
    global.erase();
  return success();
}

/// Lookup tables exist for T3X5 weights (in rows or in lanes) in the
/// AVX-512 VNNI family, whose table lookups need AVX-512 VBMI. Other
/// BitLinears of the module (rows the layout cannot hold) stay exact; a
/// module without any is an error.
static LogicalResult checkPromptLut(ModuleOp module, TargetAttr target) {
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
             (layout == WeightLayout::T3X5 ||
              layout == WeightLayout::T3X5_X64);
    }
  });
  if (!any)
    return module.emitError()
           << "prompt-lut has no BitLinear to take: it needs T3X5 weights "
              "and the avx512vnni kernel family (tritc --weight-packing=t3x5 "
              "--kernel=avx512vnni)";
  return success();
}

struct LowerToLLVMPass
    : public mlir::trit::impl::TritLowerToLLVMBase<LowerToLLVMPass> {
  using TritLowerToLLVMBase::TritLowerToLLVMBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    TargetAttr target = lookupTargetOrEmitError(module);
    if (!target)
      return signalPassFailure();
    if (rerankCandidates < 1 || rerankCandidates > kMaxRerankCandidates) {
      module.emitError() << "rerank-candidates is "
                         << static_cast<int64_t>(rerankCandidates)
                         << "; expected 1 to " << kMaxRerankCandidates;
      return signalPassFailure();
    }
    if (promptLut && failed(checkPromptLut(module, target)))
      return signalPassFailure();
    ModuleLowering lowering(module, target,
                            normCodegen == NormCodegen::Vector, lmHead,
                            rerankCandidates, promptLut);
    if (failed(lowering.run()))
      signalPassFailure();
  }
};

} // namespace
