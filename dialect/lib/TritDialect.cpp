//===- TritDialect.cpp - trit dialect registration ------------------------===//

#include "trit/Dialect/TritOps.h"

#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::trit;

#include "trit/Dialect/TritDialect.cpp.inc"

namespace {
/// Short aliases for the types and layouts repeated on every line of a
/// model: `!kv_cache = !trit.kv_cache<...>`, `#i2_s = #trit.packing<i2_s>`.
struct TritOpAsmDialectInterface : OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;

  AliasResult getAlias(Type type, raw_ostream &os) const override {
    if (isa<KVCacheType>(type)) {
      os << "kv_cache";
      return AliasResult::OverridableAlias;
    }
    return AliasResult::NoAlias;
  }

  AliasResult getAlias(Attribute attr, raw_ostream &os) const override {
    auto packing = dyn_cast<PackingAttr>(attr);
    if (!packing)
      return AliasResult::NoAlias;
    os << stringifyPackingKind(packing.getKind());
    if (packing.getBlock() != PackingAttr::getDefaultBlock(packing.getKind()))
      os << "_b" << packing.getBlock();
    if (packing.getInterleave() != 1)
      os << "_x" << packing.getInterleave();
    return AliasResult::OverridableAlias;
  }
};
} // namespace

void TritDialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "trit/Dialect/TritOps.cpp.inc"
      >();
  addInterfaces<TritOpAsmDialectInterface>();
}
