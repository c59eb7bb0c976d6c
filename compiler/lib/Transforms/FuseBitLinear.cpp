//===- FuseBitLinear.cpp - fuse norm, quantization and BitLinears ---------===//

#include "trit/Compiler/Passes.h"
#include "trit/Dialect/TritOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITFUSEBITLINEAR
#include "trit/Compiler/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

/// The BitLinears reading `quantize`, in block order, if every user is one.
static SmallVector<BitLinearOp> getBitLinearUsers(QuantizeOp quantize) {
  SmallVector<BitLinearOp> users;
  for (Operation *user : quantize->getUsers()) {
    auto bitlinear = dyn_cast<BitLinearOp>(user);
    if (!bitlinear || bitlinear->getBlock() != quantize->getBlock())
      return {};
    users.push_back(bitlinear);
  }
  llvm::sort(users, [](BitLinearOp a, BitLinearOp b) {
    return a->isBeforeInBlock(b);
  });
  users.erase(std::unique(users.begin(), users.end()), users.end());
  return users;
}

/// Makes `value` available before `point`: it already is, or it comes from
/// an operand-free pure op (trit.weight, a constant) later in the block,
/// which can move up.
static bool makeAvailableBefore(Value value, Operation *point) {
  Operation *def = value.getDefiningOp();
  if (!def || def->getBlock() != point->getBlock() ||
      def->isBeforeInBlock(point))
    return true;
  if (def->getNumOperands() != 0 || def->getNumRegions() != 0 ||
      !isMemoryEffectFree(def))
    return false;
  def->moveBefore(point);
  return true;
}

struct FuseBitLinearPass
    : public mlir::trit::impl::TritFuseBitLinearBase<FuseBitLinearPass> {
  void runOnOperation() override {
    SmallVector<QuantizeOp> candidates;
    getOperation()->walk([&](QuantizeOp op) { candidates.push_back(op); });
    for (QuantizeOp quantize : candidates)
      fuse(quantize);
  }

  void fuse(QuantizeOp quantize) {
    QActType type = quantize.getResult().getType();
    SmallVector<BitLinearOp> bitlinears = getBitLinearUsers(quantize);
    if (bitlinears.empty())
      return;
    // Blocks are fused for group-scaled weights (Q8_0) only: no kernel
    // reads other weights with block-quantized activations.
    if (!type.isPerRow())
      for (BitLinearOp op : bitlinears) {
        auto packing = dyn_cast_or_null<PackingAttr>(
            cast<RankedTensorType>(op.getWeight().getType()).getEncoding());
        if (!packing || !isGroupScaled(packing.getKind()))
          return;
      }
    Operation *first = bitlinears.front();
    for (BitLinearOp op : bitlinears)
      if (!makeAvailableBefore(op.getWeight(), first) ||
          !makeAvailableBefore(op.getWeightScale(), first))
        return;

    // Take the norm in too when the quantization is its only user.
    Value input = quantize.getInput();
    Value normWeight;
    FloatAttr eps;
    auto norm = input.getDefiningOp<RMSNormOp>();
    if (norm && norm->hasOneUse()) {
      input = norm.getInput();
      normWeight = norm.getWeight();
      eps = norm.getEpsAttr();
    } else {
      norm = nullptr;
    }

    SmallVector<Value> weights, scales;
    SmallVector<Type> types;
    for (BitLinearOp op : bitlinears) {
      weights.push_back(op.getWeight());
      scales.push_back(op.getWeightScale());
      types.push_back(op.getType());
    }
    OpBuilder builder(first);
    auto fused = builder.create<FusedBitLinearOp>(
        quantize.getLoc(), types, input, normWeight, weights, scales, eps,
        GateKindAttr(), bitlinears.front().getKernelAttr(),
        type.isPerRow() ? IntegerAttr()
                        : builder.getI64IntegerAttr(type.getBlock()));
    for (auto [op, result] : llvm::zip(bitlinears, fused.getResults())) {
      op.getResult().replaceAllUsesWith(result);
      op->erase();
    }
    quantize->erase();
    if (norm)
      norm->erase();
  }
};

} // namespace
