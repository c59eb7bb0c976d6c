//===- LoweredModule.cpp - what a lowered module records for the runtime --===//

#include "trit/Compiler/LoweredModule.h"
#include "trit/Dialect/TritDialect.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace llvm;

namespace trit {

static int64_t getInt(mlir::DictionaryAttr dict, StringRef key) {
  auto attr = dict ? dict.getAs<mlir::IntegerAttr>(key) : mlir::IntegerAttr();
  return attr ? attr.getInt() : 0;
}

static double getDouble(mlir::DictionaryAttr dict, StringRef key) {
  auto attr = dict ? dict.getAs<mlir::FloatAttr>(key) : mlir::FloatAttr();
  return attr ? attr.getValueAsDouble() : 0.0;
}

Expected<LoweredModuleInfo> getLoweredModuleInfo(mlir::ModuleOp lowered) {
  auto plan = lowered->getAttrOfType<mlir::DictionaryAttr>(
      mlir::trit::TritDialect::kMemoryPlanAttrName);
  auto meta = lowered->getAttrOfType<mlir::DictionaryAttr>(
      mlir::trit::TritDialect::kModelAttrName);
  auto rope = lowered->getAttrOfType<mlir::DictionaryAttr>(
      mlir::trit::TritDialect::kRopeAttrName);
  if (!plan || !meta)
    return createStringError(inconvertibleErrorCode(),
                             "the module was not lowered by trit-lower (no "
                             "trit.memory_plan or trit.model)");
  LoweredModuleInfo info;
  info.arenaSize = getInt(plan, "arena_size");
  info.maxTokens = getInt(plan, "max_tokens");
  info.maxContext = getInt(plan, "max_context");
  info.vocab = getInt(meta, "vocab_size");
  info.layers = getInt(meta, "layers");
  info.hiddenSize = getInt(meta, "hidden_size");
  info.heads = getInt(meta, "heads");
  info.kvHeads = getInt(meta, "kv_heads");
  info.headDim = getInt(meta, "head_dim");
  info.contextLength = getInt(meta, "context_length");
  info.ropeDim = getInt(rope, "head_dim");
  info.ropeTheta = getDouble(rope, "theta");
  info.ropeYarnFactor = getDouble(rope, "yarn_factor");
  info.ropeYarnOriginalContext = getInt(rope, "yarn_original_context");
  return info;
}

} // namespace trit
