//===- Lowering.h - what the lowering's patterns share ----------*- C++ -*-===//
//
// trit-lower-to-llvm is a dialect conversion: the pass (LowerToLLVM.cpp)
// moves the planned model function's body into `trit.forward`, then one
// conversion pattern per trit op turns it into kernel calls. The patterns
// live by op family:
//
//   ModelFunction.cpp  weights, constants, the return, the entry points
//   Elementwise.cpp    embedding, RMSNorm, gate, add, mul
//   BitLinear.cpp      activation quantization, BitLinear, fused BitLinear
//   Attention.cpp      RoPE, KV store, attention
//   LMHead.cpp         the LM head and its compact copies
//
// Tensors become pointers (the memory plan's arena offsets, the weight
// table, the caller's tokens and logits), index values i64, scalar scales
// f32 values. Everything a pattern needs beyond its operands is in the
// LoweringState, built before the conversion starts; patterns add to it
// only what they create (the RoPE table, an LM head's copy in the weight
// table, range functions).
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_CONVERSION_LOWERING_H
#define TRIT_COMPILER_CONVERSION_LOWERING_H

#include "trit/Compiler/KernelAbi.h"

#include "trit/Compiler/MemoryPlan.h"
#include "trit/Compiler/Options.h"
#include "trit/Compiler/WeightLayouts.h"
#include "trit/Dialect/TritOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Transforms/DialectConversion.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <optional>

namespace mlir::trit {

/// The module-wide facts and choices the patterns read, and the kernel
/// calls they build.
struct LoweringState {
  LoweringState(ModuleOp module, TargetAttr target, KernelKind opsKernel)
      : module(module), target(target), calls(module, opsKernel) {}

  ModuleOp module;
  TargetAttr target;
  KernelCalls calls;
  const TypeConverter *converter = nullptr;

  // The pass's options.
  bool vectorNorms = false;
  LMHead lmHead = LMHead::Auto;
  int64_t rerankCandidates = 0;
  double rerankMargin = 0;
  bool promptLut = false;

  // The weight table, in module order (the module's `trit.weights`).
  llvm::StringMap<int64_t> weightIndex;
  SmallVector<Attribute> weightTable;
  llvm::StringMap<::trit::WeightLayout> weightLayout;
  /// Globals with an inline value: scalars become constants, tensors
  /// constant globals.
  llvm::StringMap<ElementsAttr> inlineWeights;
  /// Globals that are the block scales of a group-scaled (T2G) weight: part
  /// of its layout, not weights of their own.
  llvm::StringSet<> groupScales;
  /// The layout of the module's BitLinears, which a reranking head's
  /// ternary copy takes too (T3X5 if any has it, with rows in lanes if any
  /// has them).
  ::trit::WeightLayout ternaryLayout = ::trit::WeightLayout::I2_S;

  // The model function, from its memory plan and body.
  StringRef modelName;
  int64_t maxTokens = 0, maxContext = 0, vocab = 0;
  Value modelTokens;    // its tokens argument, which embeddings must read
  Value modelStart;     // its start position
  Value returnedLogits; // the logits it returns: written to the caller's

  // trit.forward(ctx, tokens, n, start, logits, logit_rows) and its arena.
  LLVM::LLVMFuncOp forward;
  Value arena;
  /// The last range function, after which the next goes (they follow
  /// trit.forward; the entry points come last).
  LLVM::LLVMFuncOp lastRangeFunction;
  Value getContext() { return forward.getArgument(0); }
  Value getTokens() { return forward.getArgument(1); }
  Value getTokenCount() { return forward.getArgument(2); }
  Value getStart() { return forward.getArgument(3); }
  Value getLogits() { return forward.getArgument(4); }
  Value getLogitRows() { return forward.getArgument(5); }

  /// The RoPE table of the first rope, which every other rope must share
  /// (the module's trit.rope): head_dim, theta, and with YaRN yarn_factor
  /// and yarn_original_context.
  DictionaryAttr ropeTable;

  /// Whether `kind`'s code may use the AVX-512 VBMI kernels (the
  /// TRIT_OP_AVX512VBMI operations, the VBMI rerank copy): the avx512vnni
  /// family on a target with VBMI. The one place that decides it.
  bool hasVbmiKernels(KernelKind kind) const {
    return kind == KernelKind::AVX512VNNI && target.hasFeature("avx512vbmi");
  }

  /// The layout of the weight-table entry a trit.weight value reads; none
  /// for other values, inline weights and block scales.
  std::optional<::trit::WeightLayout> getWeightLayout(Value value) const;

  /// Set once an error is reported; the pass then fails.
  bool failed = false;
};

/// The layout the kernels read a ternary weight type in: T3X5 for
/// #trit.packing<t3x5>, T3X5_X64 with rows in lanes, T2G64/T2G128_X16 for
/// group-scaled packings, else I2_S.
::trit::WeightLayout getTernaryLayout(RankedTensorType type);

/// Builds one op's lowering at the op: constants, arena pointers and
/// checked kernel calls.
class KernelCallBuilder {
public:
  KernelCallBuilder(LoweringState &state, OpBuilder &builder, Operation *op)
      : state(state), builder(builder), op(op), loc(op->getLoc()) {}

  Value i64(int64_t v);
  Value i32(int32_t v);
  Value f32(float v);
  Value null();
  /// `base` + `offset` bytes.
  Value offset(Value base, int64_t bytes);
  Value offset(Value base, Value bytes);
  Value arenaAt(int64_t bytes) { return offset(state.arena, bytes); }

  /// Calls trit_op_<name>_<isa> (KernelCalls::call).
  Value call(StringRef name, ValueRange args,
             std::optional<KernelKind> kind = std::nullopt) {
    return state.calls.call(builder, loc, name, args, kind);
  }

  /// The row count of an op's tensor value whose leading dimension may be
  /// dynamic (the call's token count).
  Value rowsOf(Value tensor);
  /// Its element count.
  Value elementsOf(Value tensor);
  static int64_t colsOf(Value tensor) {
    return cast<RankedTensorType>(tensor.getType()).getDimSize(1);
  }
  /// Where result `i` of the op lives: its arena buffer (trit.buffers), or
  /// the caller's logits.
  Value resultPointer(unsigned i = 0);
  /// The op's scratch buffer `i` (trit.scratch).
  Value scratchPointer(unsigned i = 0);
  /// The f32 scale a BitLinear passes for weight scale `original` (converted
  /// to `converted`): 0 for a group-scaled weight, whose scales its layout
  /// holds.
  Value weightScale(Value original, Value converted);

  Location getLoc() const { return loc; }
  OpBuilder &getBuilder() { return builder; }

private:
  /// An error at the op: the lowering fails, the value is poison.
  Value fail(const Twine &message);

  LoweringState &state;
  OpBuilder &builder;
  Operation *op;
  Location loc;
};

/// Reports why an op cannot be lowered and replaces it (its results by
/// poison values) so that the conversion still completes: the error is
/// reported once, here, not again as "failed to legalize"; the pass fails
/// afterwards. Converts to success() for returning from matchAndRewrite.
class LoweringError {
public:
  LoweringError(LoweringState &state, Operation *op,
                ConversionPatternRewriter &rewriter);
  template <typename T> LoweringError &operator<<(T &&value) {
    diagnostic << std::forward<T>(value);
    return *this;
  }
  operator LogicalResult() const { return success(); }

private:
  InFlightDiagnostic diagnostic;
};

/// The base of the patterns (of trit ops and of the func and arith ops the
/// model function holds): the op's conversion with the shared state.
template <typename OpTy>
class TritOpLowering : public OpConversionPattern<OpTy> {
public:
  TritOpLowering(const TypeConverter &converter, LoweringState &state)
      : OpConversionPattern<OpTy>(converter, state.module.getContext()),
        state(state) {}

protected:
  LoweringError fail(OpTy op, ConversionPatternRewriter &rewriter) const {
    return LoweringError(state, op, rewriter);
  }

  LoweringState &state;
};

/// Tensors, caches and quantized activations to pointers, index to i64,
/// scalar (rank-0) scales to f32.
class LoweringTypeConverter : public TypeConverter {
public:
  explicit LoweringTypeConverter(MLIRContext *ctx);
};

// The pattern families.
void populateModelFunctionPatterns(const LoweringTypeConverter &converter,
                                   LoweringState &state,
                                   RewritePatternSet &patterns);
void populateElementwisePatterns(const LoweringTypeConverter &converter,
                                 LoweringState &state,
                                 RewritePatternSet &patterns);
void populateBitLinearPatterns(const LoweringTypeConverter &converter,
                               LoweringState &state,
                               RewritePatternSet &patterns);
void populateAttentionPatterns(const LoweringTypeConverter &converter,
                               LoweringState &state,
                               RewritePatternSet &patterns);
void populateLMHeadPatterns(const LoweringTypeConverter &converter,
                            LoweringState &state, RewritePatternSet &patterns);

/// The range function of a BitLinear with this kernel family and weight
/// type (shape and packing), created on first use (BitLinear.cpp; the
/// group-scaled LM head calls it too).
LLVM::LLVMFuncOp getOrCreateRangeFunction(LoweringState &state,
                                          OpBuilder &builder, Location loc,
                                          KernelKind kind,
                                          RankedTensorType weightType);

} // namespace mlir::trit

#endif // TRIT_COMPILER_CONVERSION_LOWERING_H
