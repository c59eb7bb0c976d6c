//===- TritOps.cpp - trit operations: verifiers, folds, patterns ----------===//

#include "trit/Dialect/TritOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::trit;

#define GET_OP_CLASSES
#include "trit/Dialect/TritOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Shape helpers shared by the verifiers
//===----------------------------------------------------------------------===//

/// Two sizes agree when either is unknown or they are equal.
static bool sizesAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

namespace {
/// Prints a size, `?` when dynamic.
struct Size {
  int64_t value;
};
} // namespace

static InFlightDiagnostic &&operator<<(InFlightDiagnostic &&diag, Size size) {
  if (ShapedType::isDynamic(size.value))
    return std::move(diag) << "?";
  return std::move(diag) << size.value;
}

static int64_t dim(Value value, unsigned index) {
  return cast<ShapedType>(value.getType()).getDimSize(index);
}

/// Checks `a` against `b` where both name the same quantity (`what`).
static LogicalResult checkSize(Operation *op, int64_t a, StringRef aName,
                               int64_t b, StringRef bName, StringRef what) {
  if (sizesAgree(a, b))
    return success();
  return op->emitOpError() << what << " mismatch: " << aName << " has "
                           << Size{a} << " but " << bName << " has " << Size{b};
}

/// A weight scale multiplies an N x K ternary matrix: a scalar, one value per
/// row (N), or one per block of each row (N x K/B).
static LogicalResult verifyWeightScale(Operation *op, Type scaleType,
                                       RankedTensorType weightType,
                                       StringRef name) {
  auto scale = dyn_cast<RankedTensorType>(scaleType);
  if (!scale)
    return op->emitOpError() << name << " must be a ranked tensor";
  int64_t rows = weightType.getDimSize(0);
  int64_t cols = weightType.getDimSize(1);
  switch (scale.getRank()) {
  case 0:
  case 1:
    if (!scale.getElementType().isF32())
      return op->emitOpError()
             << name << " must be f32 when per tensor or per row, got "
             << scale.getElementType();
    if (scale.getRank() == 1 && !sizesAgree(scale.getDimSize(0), rows))
      return op->emitOpError()
             << name << " has " << Size{scale.getDimSize(0)}
             << " per-row values but the weight has " << Size{rows} << " rows";
    return success();
  case 2: {
    int64_t blocks = scale.getDimSize(1);
    if (!sizesAgree(scale.getDimSize(0), rows))
      return op->emitOpError() << name << " has " << Size{scale.getDimSize(0)}
                               << " rows of block scales but the weight has "
                               << Size{rows} << " rows";
    if (!ShapedType::isDynamic(blocks) && !ShapedType::isDynamic(cols) &&
        (blocks <= 0 || cols % blocks != 0))
      return op->emitOpError()
             << name << " has " << blocks
             << " block scales per row, which does not divide the " << cols
             << " weight columns";
    // A packed layout fixes the block: one scale per block of it.
    if (auto packing =
            dyn_cast_or_null<PackingAttr>(weightType.getEncoding()))
      if (!ShapedType::isDynamic(blocks) &&
          blocks != cols / packing.getBlock())
        return op->emitOpError()
               << name << " has " << blocks << " block scales per row but "
               << "the weight's packing has " << cols / packing.getBlock()
               << " blocks of " << packing.getBlock() << " per row";
    return success();
  }
  default:
    return op->emitOpError()
           << name << " must have rank 0 (per tensor), 1 (per row) or 2 (per "
           << "block), got rank " << scale.getRank();
  }
}

//===----------------------------------------------------------------------===//
// GlobalOp
//===----------------------------------------------------------------------===//

LogicalResult GlobalOp::verify() {
  RankedTensorType type = getTensorType();
  if (auto external = dyn_cast<ExternalAttr>(getValue())) {
    if (external.getPart() == WeightPart::Scale &&
        !isa<FloatType>(type.getElementType()))
      return emitOpError() << "a scale must have a float element type, got "
                           << type.getElementType();
    return success();
  }
  if (isa<TernaryType>(type.getElementType()))
    return emitOpError() << "ternary weights must be external "
                            "(#trit.external), not inline";
  auto elements = cast<ElementsAttr>(getValue());
  if (elements.getShapedType() != type)
    return emitOpError() << "initial value of type " << elements.getShapedType()
                         << " does not match the declared type " << type;
  return success();
}

//===----------------------------------------------------------------------===//
// WeightOp
//===----------------------------------------------------------------------===//

LogicalResult WeightOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  Operation *symbol =
      symbolTable.lookupNearestSymbolFrom(getOperation(), getNameAttr());
  auto global = dyn_cast_or_null<GlobalOp>(symbol);
  if (!global)
    return emitOpError() << "'@" << getName()
                         << "' does not name a trit.global";
  if (global.getType() != getType())
    return emitOpError() << "result type " << getType()
                         << " does not match the type " << global.getType()
                         << " of @" << getName();
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

/// A ternary table (embedding, LM head) must be group-scaled and come with
/// its block scales; a float table takes none.
static LogicalResult verifyTableScales(Operation *op, Value table,
                                       Value scales) {
  auto type = cast<RankedTensorType>(table.getType());
  if (!isa<TernaryType>(type.getElementType())) {
    if (scales)
      return op->emitOpError() << "has scales, but its table is not ternary";
    return success();
  }
  auto packing = dyn_cast_or_null<PackingAttr>(type.getEncoding());
  if (!packing || !isGroupScaled(packing.getKind()))
    return op->emitOpError() << "has a ternary table without a group-scaled "
                                "packing (q2_0, ptq1_0, q1_0 or t2g)";
  if (!scales)
    return op->emitOpError() << "has a ternary table but no block scales";
  auto scaleType = cast<RankedTensorType>(scales.getType());
  if (scaleType.getRank() != 2)
    return op->emitOpError() << "needs block scales of rank 2, got rank "
                             << scaleType.getRank();
  return verifyWeightScale(op, scaleType, type, "table scale");
}

LogicalResult EmbeddingOp::verify() {
  if (failed(checkSize(*this, dim(getTokens(), 0), "tokens",
                       dim(getResult(), 0), "the result", "row count")) ||
      failed(checkSize(*this, dim(getTable(), 1), "the table",
                       dim(getResult(), 1), "the result", "embedding width")))
    return failure();
  return verifyTableScales(*this, getTable(), getScales());
}

//===----------------------------------------------------------------------===//
// RMSNormOp
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  // A narrower weight normalizes each slice of its width (QK-norm).
  int64_t width = dim(getInput(), 1), slice = dim(getWeight(), 0);
  if (!ShapedType::isDynamic(width) && !ShapedType::isDynamic(slice) &&
      (slice <= 0 || width % slice != 0))
    return emitOpError() << "has a weight of " << slice
                         << " elements, which does not divide the input's "
                            "width of "
                         << width;
  if (!(getEps().convertToDouble() > 0.0))
    return emitOpError() << "eps must be positive, got "
                         << getEps().convertToDouble();
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  QActType result = getResult().getType();
  if (ShapedType::isDynamic(dim(getInput(), 1)))
    return emitOpError() << "needs a static column count in the input";
  if (failed(checkSize(*this, dim(getInput(), 0), "the input", result.getRows(),
                       "the result", "row count")) ||
      failed(checkSize(*this, dim(getInput(), 1), "the input", result.getCols(),
                       "the result", "column count")))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// BitLinearOp
//===----------------------------------------------------------------------===//

LogicalResult BitLinearOp::verify() {
  QActType input = getInput().getType();
  auto weight = cast<RankedTensorType>(getWeight().getType());
  if (failed(checkSize(*this, input.getCols(), "the input",
                       weight.getDimSize(1), "the weight",
                       "reduction size (columns)")) ||
      failed(checkSize(*this, input.getRows(), "the input", dim(getResult(), 0),
                       "the result", "row count")) ||
      failed(checkSize(*this, weight.getDimSize(0), "the weight",
                       dim(getResult(), 1), "the result",
                       "output size (weight rows vs result columns)")))
    return failure();
  // Per-block activations pair with weights whose blocks they tile.
  if (!input.isPerRow()) {
    auto packing = dyn_cast_or_null<PackingAttr>(weight.getEncoding());
    if (!packing || packing.getBlock() % input.getBlock() != 0)
      return emitOpError() << "input is quantized in blocks of "
                           << input.getBlock()
                           << " but the weight's packing has "
                           << (packing ? "blocks of " +
                                             std::to_string(packing.getBlock())
                                       : std::string("no blocks"));
  }
  return verifyWeightScale(*this, getWeightScale().getType(), weight,
                           "weight scale");
}

//===----------------------------------------------------------------------===//
// FusedBitLinearOp
//===----------------------------------------------------------------------===//

LogicalResult FusedBitLinearOp::verify() {
  size_t numWeights = getWeights().size();
  if (numWeights == 0)
    return emitOpError() << "needs at least one weight";
  if (getScales().size() != numWeights)
    return emitOpError() << "has " << numWeights << " weights but "
                         << getScales().size() << " scales";
  if (bool(getNormWeight()) != bool(getEpsAttr()))
    return emitOpError() << "a norm weight and eps go together";
  if (getEpsAttr() && !(getEpsAttr().getValueAsDouble() > 0.0))
    return emitOpError() << "eps must be positive, got "
                         << getEpsAttr().getValueAsDouble();

  int64_t rows = dim(getInput(), 0);
  int64_t width = dim(getInput(), 1);
  if (Value norm = getNormWeight())
    if (failed(checkSize(*this, width, "the input", dim(norm, 0),
                         "the norm weight", "width")))
      return failure();

  if (getBlock() && (*getBlock() <= 0 || width % *getBlock() != 0))
    return emitOpError() << "quantizes in blocks of " << *getBlock()
                         << ", which do not tile the input's width of "
                         << width;
  for (auto [index, weightValue] : llvm::enumerate(getWeights())) {
    auto weight = cast<RankedTensorType>(weightValue.getType());
    std::string name = "weight #" + std::to_string(index);
    // Group-scaled weights read blocks that tile theirs; the others rows.
    auto packing = dyn_cast_or_null<PackingAttr>(weight.getEncoding());
    bool grouped = packing && isGroupScaled(packing.getKind());
    if (grouped != bool(getBlock()) ||
        (grouped && packing.getBlock() % *getBlock() != 0))
      return emitOpError()
             << name
             << (grouped ? " is group-scaled, which needs activations in "
                           "blocks that tile its blocks of " +
                               std::to_string(packing.getBlock())
                         : " is not group-scaled, which needs activations "
                           "quantized per row (no block)");
    if (failed(checkSize(*this, width, "the input", weight.getDimSize(1), name,
                         "reduction size (columns)")) ||
        failed(verifyWeightScale(*this, getScales()[index].getType(), weight,
                                 "scale #" + std::to_string(index))))
      return failure();
  }

  if (std::optional<GateKind> gate = getGate()) {
    if (numWeights != 2)
      return emitOpError() << "with gate " << stringifyGateKind(*gate)
                           << " takes two weights (gate, up), got "
                           << numWeights;
    if (getResults().size() != 1)
      return emitOpError() << "with a gate has one result, got "
                           << getResults().size();
    int64_t gateRows = dim(getWeights()[0], 0);
    if (failed(checkSize(*this, gateRows, "the gate weight",
                         dim(getWeights()[1], 0), "the up weight",
                         "output size")) ||
        failed(checkSize(*this, rows, "the input", dim(getResults()[0], 0),
                         "the result", "row count")) ||
        failed(checkSize(*this, gateRows, "the gate weight",
                         dim(getResults()[0], 1), "the result", "output size")))
      return failure();
    return success();
  }

  if (getResults().size() != numWeights)
    return emitOpError() << "has " << numWeights << " weights but "
                         << getResults().size() << " results";
  for (auto [index, result] : llvm::enumerate(getResults())) {
    std::string name = "result #" + std::to_string(index);
    if (failed(checkSize(*this, rows, "the input", dim(result, 0), name,
                         "row count")) ||
        failed(checkSize(*this, dim(getWeights()[index], 0),
                         "weight #" + std::to_string(index), dim(result, 1),
                         name, "output size")))
      return failure();
  }
  return success();
}

namespace {
/// Drops the BitLinears whose results are unused (the quantized input stays
/// shared by the rest). A gated op has one result that combines both weights.
struct DropUnusedFusedResults : OpRewritePattern<FusedBitLinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(FusedBitLinearOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getGate())
      return failure();
    SmallVector<unsigned> live;
    for (OpResult result : op->getResults())
      if (!result.use_empty())
        live.push_back(result.getResultNumber());
    if (live.empty() || live.size() == op->getNumResults())
      return failure();

    SmallVector<Value> weights, scales;
    SmallVector<Type> types;
    for (unsigned index : live) {
      weights.push_back(op.getWeights()[index]);
      scales.push_back(op.getScales()[index]);
      types.push_back(op->getResult(index).getType());
    }
    auto fused = rewriter.create<FusedBitLinearOp>(
        op.getLoc(), types, op.getInput(), op.getNormWeight(), weights, scales,
        op.getEpsAttr(), op.getGateAttr(), op.getKernelAttr(),
        op.getBlockAttr());
    for (auto [newIndex, oldIndex] : llvm::enumerate(live))
      rewriter.replaceAllUsesWith(op->getResult(oldIndex),
                                  fused->getResult(newIndex));
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void FusedBitLinearOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                   MLIRContext *context) {
  results.add<DropUnusedFusedResults>(context);
}

//===----------------------------------------------------------------------===//
// RopeOp
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  int64_t headDim = getHeadDim();
  if (headDim <= 0 || headDim % 2 != 0)
    return emitOpError() << "head_dim must be positive and even, got "
                         << headDim;
  int64_t width = dim(getInput(), 1);
  if (!ShapedType::isDynamic(width) && width % headDim != 0)
    return emitOpError() << "row width " << width
                         << " is not a whole number of heads of " << headDim;
  if (!(getTheta().convertToDouble() > 0.0))
    return emitOpError() << "theta must be positive, got "
                         << getTheta().convertToDouble();
  if (getYarnFactor().has_value() != getYarnOriginalContext().has_value())
    return emitOpError() << "needs both yarn_factor and "
                            "yarn_original_context, or neither";
  if (getYarnFactor()) {
    double factor = getYarnFactor()->convertToDouble();
    if (!(factor >= 1.0) || *getYarnOriginalContext() <= 0)
      return emitOpError() << "needs a YaRN factor of at least 1 and a "
                              "positive original context, got "
                           << factor << " and " << *getYarnOriginalContext();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// KVStoreOp
//===----------------------------------------------------------------------===//

/// Checks that `layer` indexes a layer of `cache`.
static LogicalResult verifyLayer(Operation *op, KVCacheType cache,
                                 int64_t layer) {
  if (layer < 0 || layer >= cache.getLayers())
    return op->emitOpError() << "layer " << layer << " is out of range: the "
                             << "cache has " << cache.getLayers() << " layers";
  return success();
}

LogicalResult KVStoreOp::verify() {
  KVCacheType cache = getCache().getType();
  if (failed(verifyLayer(*this, cache, getLayer())))
    return failure();
  int64_t width = cache.getRowWidth();
  if (failed(checkSize(*this, dim(getKeys(), 1), "the keys", width,
                       "a cache row (kv_heads x head_dim)", "width")) ||
      failed(checkSize(*this, dim(getValues(), 1), "the values", width,
                       "a cache row (kv_heads x head_dim)", "width")) ||
      failed(checkSize(*this, dim(getKeys(), 0), "the keys",
                       dim(getValues(), 0), "the values", "row count")))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  KVCacheType cache = getCache().getType();
  if (failed(verifyLayer(*this, cache, getLayer())))
    return failure();
  int64_t heads = getNumHeads();
  if (heads <= 0)
    return emitOpError() << "num_heads must be positive, got " << heads;
  if (heads % cache.getKvHeads() != 0)
    return emitOpError() << heads << " query heads do not divide into "
                         << cache.getKvHeads() << " KV heads";
  if (failed(checkSize(*this, dim(getQuery(), 1), "the query",
                       heads * cache.getHeadDim(), "num_heads x head_dim",
                       "width")))
    return failure();
  if (std::optional<APFloat> scale = getScale())
    if (!(scale->convertToDouble() > 0.0))
      return emitOpError() << "scale must be positive, got "
                           << scale->convertToDouble();
  return success();
}

double AttentionOp::getEffectiveScale() {
  if (std::optional<APFloat> scale = getScale())
    return scale->convertToDouble();
  return 1.0 / std::sqrt(double(getCache().getType().getHeadDim()));
}

//===----------------------------------------------------------------------===//
// AddOp, MulOp
//===----------------------------------------------------------------------===//

OpFoldResult AddOp::fold(FoldAdaptor) {
  // x + 0 -> x (the sign of a zero sum is not preserved).
  if (matchPattern(getRhs(), m_AnyZeroFloat()))
    return getLhs();
  return {};
}

OpFoldResult MulOp::fold(FoldAdaptor) {
  // x * 1 -> x (exact).
  if (matchPattern(getRhs(), m_OneFloat()))
    return getLhs();
  return {};
}

//===----------------------------------------------------------------------===//
// LMHeadOp
//===----------------------------------------------------------------------===//

LogicalResult LMHeadOp::verify() {
  if (failed(checkSize(*this, dim(getInput(), 1), "the input",
                       dim(getTable(), 1), "the table", "width")) ||
      failed(checkSize(*this, dim(getInput(), 0), "the input",
                       dim(getResult(), 0), "the result", "row count")) ||
      failed(checkSize(*this, dim(getTable(), 0), "the table (vocabulary)",
                       dim(getResult(), 1), "the result", "column count")))
    return failure();
  return verifyTableScales(*this, getTable(), getScales());
}
