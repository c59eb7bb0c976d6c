//===- FuseGating.cpp - fold the FFN gating into the fused BitLinear ------===//

#include "trit/Compiler/Passes.h"
#include "trit/Dialect/TritOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITFUSEGATING
#include "trit/Compiler/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

struct FuseGatingPass
    : public mlir::trit::impl::TritFuseGatingBase<FuseGatingPass> {
  void runOnOperation() override {
    SmallVector<GateOp> gates;
    getOperation()->walk([&](GateOp op) { gates.push_back(op); });
    for (GateOp gate : gates)
      fold(gate);
  }

  void fold(GateOp gate) {
    auto fused = gate.getGate().getDefiningOp<FusedBitLinearOp>();
    if (!fused || fused.getGate() || fused->getNumResults() != 2 ||
        gate.getUp().getDefiningOp() != fused.getOperation() ||
        gate.getGate() == gate.getUp())
      return;
    // Both products feed only this gate.
    for (Value result : fused.getResults())
      if (!result.hasOneUse())
        return;
    // Order the weights as (gate, up), whichever result each one was.
    unsigned gateIndex = cast<OpResult>(gate.getGate()).getResultNumber();
    unsigned upIndex = 1 - gateIndex;
    Value weights[] = {fused.getWeights()[gateIndex],
                       fused.getWeights()[upIndex]};
    Value scales[] = {fused.getScales()[gateIndex],
                      fused.getScales()[upIndex]};
    OpBuilder builder(fused);
    auto gated = builder.create<FusedBitLinearOp>(
        fused.getLoc(), TypeRange{gate.getType()}, fused.getInput(),
        fused.getNormWeight(), weights, scales, fused.getEpsAttr(),
        gate.getKindAttr(), fused.getKernelAttr(), fused.getBlockAttr());
    gate.getResult().replaceAllUsesWith(gated.getResult(0));
    gate->erase();
    fused->erase();
  }
};

} // namespace
