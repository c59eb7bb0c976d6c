//===- TritDialect.cpp - trit dialect registration ------------------------===//

#include "trit/Dialect/TritOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

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

//===----------------------------------------------------------------------===//
// Discardable attributes
//===----------------------------------------------------------------------===//

/// Checks that `dict` holds the integer entries `names`.
static LogicalResult verifyIntegerEntries(Operation *op, StringRef attrName,
                                          DictionaryAttr dict,
                                          ArrayRef<StringRef> names) {
  for (StringRef name : names)
    if (!dict.getAs<IntegerAttr>(name))
      return op->emitOpError() << "has a " << attrName
                               << " without an integer '" << name << "'";
  return success();
}

LogicalResult TritDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  StringRef name = attr.getName().getValue();
  Attribute value = attr.getValue();
  auto expect = [&](bool ok, StringRef what) -> LogicalResult {
    if (ok)
      return success();
    return op->emitOpError() << "has a " << name << " that is not " << what;
  };
  bool onModule = isa<ModuleOp>(op);
  if (name == TargetAttr::getAttrName())
    return expect(onModule && isa<TargetAttr>(value),
                  "a #trit.target on a module");
  if (name == kModelAttrName)
    return expect(onModule && isa<DictionaryAttr>(value),
                  "a dictionary on a module");
  if (name == kEntryPointAttrName)
    return expect(isa<FunctionOpInterface>(op) && isa<StringAttr>(value),
                  "a string on a function");
  if (name == kMemoryPlanAttrName) {
    auto plan = dyn_cast<DictionaryAttr>(value);
    if (failed(expect(plan != nullptr, "a dictionary")))
      return failure();
    return verifyIntegerEntries(op, name, plan,
                                {"arena_size", "max_tokens", "max_context"});
  }
  if (name == kBuffersAttrName || name == kScratchAttrName)
    return expect(isa<DenseI64ArrayAttr>(value), "an array<i64>");
  if (name == kWeightsAttrName) {
    auto entries = dyn_cast<ArrayAttr>(value);
    if (failed(expect(onModule && entries, "an array on a module")))
      return failure();
    for (Attribute entry : entries) {
      auto dict = dyn_cast<DictionaryAttr>(entry);
      if (!dict || !dict.getAs<StringAttr>("name") ||
          !dict.getAs<StringAttr>("layout"))
        return op->emitOpError()
               << "has a " << name
               << " entry that is not a dictionary of 'name' and 'layout' "
                  "strings: "
               << entry;
    }
    return success();
  }
  if (name == kKernelIsasAttrName) {
    auto isas = dyn_cast<ArrayAttr>(value);
    if (failed(expect(onModule && isas, "an array on a module")))
      return failure();
    for (Attribute isa : isas) {
      auto str = dyn_cast<StringAttr>(isa);
      if (!str || !symbolizeKernelKind(str.getValue()))
        return op->emitOpError()
               << "has a " << name << " entry that names no kernel family: "
               << isa;
    }
    return success();
  }
  if (name == kRopeAttrName) {
    auto rope = dyn_cast<DictionaryAttr>(value);
    if (failed(expect(onModule && rope, "a dictionary on a module")) ||
        failed(verifyIntegerEntries(op, name, rope, {"head_dim"})))
      return failure();
    return expect(rope.getAs<FloatAttr>("theta") != nullptr,
                  "a dictionary with a float 'theta'");
  }
  return op->emitError() << "'" << name
                         << "' is not an attribute of the trit dialect";
}
