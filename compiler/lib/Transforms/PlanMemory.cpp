//===- PlanMemory.cpp - the static memory plan for activations ------------===//
//
// Every tensor a trit op produces gets a fixed offset in one arena, by first
// fit over live ranges in op order. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "trit/Compiler/MemoryPlan.h"
#include "trit/Compiler/Passes.h"
#include "trit/Dialect/TritOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <map>

namespace mlir::trit {
#define GEN_PASS_DEF_TRITPLANMEMORY
#include "trit/Compiler/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

/// First-fit placement of blocks with live ranges [first, last] (op indices).
class ArenaAllocator {
public:
  int64_t allocate(int64_t size, int64_t first, int64_t last) {
    size = alignArenaSize(size);
    // Blocks whose last reader ran before `first` are free again.
    for (auto it = live.begin(); it != live.end();)
      it = it->second.last < first ? live.erase(it) : std::next(it);
    int64_t offset = 0;
    for (const auto &[start, block] : live) {
      if (start >= offset + size)
        break;
      offset = std::max(offset, start + block.size);
    }
    live.emplace(offset, Block{size, last});
    arenaSize = std::max(arenaSize, offset + size);
    return offset;
  }
  int64_t getArenaSize() const { return arenaSize; }

private:
  struct Block {
    int64_t size, last;
  };
  std::multimap<int64_t, Block> live; // by offset
  int64_t arenaSize = 0;
};

struct PlanMemoryPass
    : public mlir::trit::impl::TritPlanMemoryBase<PlanMemoryPass> {
  using TritPlanMemoryBase::TritPlanMemoryBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (maxTokens < 1)
      return module.emitError() << "max-tokens must be at least 1, not "
                                << static_cast<int64_t>(maxTokens),
             signalPassFailure();
    int64_t context = maxContext;
    if (context == 0) {
      auto model = module->getAttrOfType<DictionaryAttr>(TritDialect::kModelAttrName);
      auto length =
          model ? model.getAs<IntegerAttr>("context_length") : IntegerAttr();
      if (!length)
        return module.emitError()
                   << "has no trit.model context_length; set the pass's "
                      "max-context option",
               signalPassFailure();
      context = length.getInt();
    }
    if (context < 1)
      return module.emitError() << "context length must be at least 1, not "
                                << context,
             signalPassFailure();
    for (auto func : module.getOps<func::FuncOp>())
      if (!func->hasAttr(TritDialect::kEntryPointAttrName) && !func.isDeclaration())
        plan(func, context);
  }

  void plan(func::FuncOp func, int64_t context) {
    Builder b(func.getContext());
    Block &body = func.getBody().front();
    DenseMap<Operation *, int64_t> index;
    for (auto [i, op] : llvm::enumerate(body))
      index[&op] = i;
    DenseSet<Value> returned;
    for (Value v : body.getTerminator()->getOperands())
      returned.insert(v);

    ArenaAllocator arena;
    for (Operation &op : body) {
      if (!isa<TritDialect>(op.getDialect()) || isa<WeightOp>(op))
        continue;
      int64_t i = index[&op];
      // Scratch first: it lives only while the op runs.
      SmallVector<int64_t> scratchSizes =
          getScratchSizes(&op, maxTokens, context);
      if (!scratchSizes.empty()) {
        SmallVector<int64_t> offsets;
        for (int64_t size : scratchSizes)
          offsets.push_back(arena.allocate(size, i, i));
        op.setAttr(kScratchAttr, b.getDenseI64ArrayAttr(offsets));
      }
      SmallVector<int64_t> offsets;
      for (Value result : op.getResults()) {
        std::optional<int64_t> size = getBufferSize(result.getType(), maxTokens);
        if (!size || returned.contains(result)) {
          offsets.push_back(-1);
          continue;
        }
        int64_t last = i;
        for (Operation *user : result.getUsers())
          last = std::max(last, index[body.findAncestorOpInBlock(*user)]);
        offsets.push_back(arena.allocate(*size, i, last));
      }
      if (!offsets.empty())
        op.setAttr(kBuffersAttr, b.getDenseI64ArrayAttr(offsets));
    }
    func->setAttr(kMemoryPlanAttr,
                  b.getDictionaryAttr({
                      b.getNamedAttr("arena_size",
                                     b.getI64IntegerAttr(arena.getArenaSize())),
                      b.getNamedAttr("max_context", b.getI64IntegerAttr(context)),
                      b.getNamedAttr("max_tokens", b.getI64IntegerAttr(maxTokens)),
                  }));
  }
};

} // namespace
