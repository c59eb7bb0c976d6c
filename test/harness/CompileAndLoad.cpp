//===- CompileAndLoad.cpp - compile a trit module and load its code -------===//

#include "CompileAndLoad.h"

#include "trit/Compiler/CodeGen.h"
#include "trit/Compiler/Driver.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace llvm;

// llvm::Error throughout: inside namespace trit, a plain Error would be the
// runtime's trit::Error.
static llvm::Error makeHarnessError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

static int64_t getInt(mlir::DictionaryAttr dict, StringRef key) {
  auto attr = dict ? dict.getAs<mlir::IntegerAttr>(key) : mlir::IntegerAttr();
  return attr ? attr.getInt() : 0;
}

llvm::Error trit::harness::compileAndLoad(
    mlir::ModuleOp module, const mlir::trit::PipelineOptions &options,
    CompiledModelInfo &info,
    std::vector<std::pair<std::string, WeightLayout>> &weightTable) {
  if (llvm::Error e = trit::driver::runPipelines(module, options))
    return e;

  // What the runtime needs, from the lowered module's attributes.
  auto plan = module->getAttrOfType<mlir::DictionaryAttr>("trit.memory_plan");
  auto meta = module->getAttrOfType<mlir::DictionaryAttr>("trit.model");
  auto rope = module->getAttrOfType<mlir::DictionaryAttr>("trit.rope");
  info.arenaSize = getInt(plan, "arena_size");
  info.maxTokens = getInt(plan, "max_tokens");
  info.maxContext = getInt(plan, "max_context");
  info.layers = getInt(meta, "layers");
  info.kvHeads = getInt(meta, "kv_heads");
  info.headDim = getInt(meta, "head_dim");
  info.vocab = getInt(meta, "vocab_size");
  if (rope) {
    info.ropeDim = getInt(rope, "head_dim");
    info.ropeTheta = rope.getAs<mlir::FloatAttr>("theta").getValueAsDouble();
    if (auto factor = rope.getAs<mlir::FloatAttr>("yarn_factor")) {
      info.ropeYarnFactor = factor.getValueAsDouble();
      info.ropeYarnOriginalContext = getInt(rope, "yarn_original_context");
    }
  }
  weightTable.clear();
  for (auto entry : module->getAttrOfType<mlir::ArrayAttr>("trit.weights")
                        .getAsRange<mlir::DictionaryAttr>()) {
    StringRef name = entry.getAs<mlir::StringAttr>("name").getValue();
    StringRef layout = entry.getAs<mlir::StringAttr>("layout").getValue();
    std::optional<WeightLayout> known = lookupWeightLayout(layout);
    if (!known)
      return makeHarnessError("weight '" + name + "' has the unknown layout '" +
                              layout + "'");
    weightTable.emplace_back(name.str(), *known);
  }

  LLVMContext llvmContext;
  auto llvmModule = trit::buildOptimizedLLVMModule(module, llvmContext);
  if (!llvmModule)
    return llvmModule.takeError();
  // Linked and loaded exactly as tritc and the runtime do.
  auto library = trit::linkSharedObject(**llvmModule);
  if (!library)
    return library.takeError();
  auto loaded = trit::loadCompiledCode(
      reinterpret_cast<const uint8_t *>((*library)->getBufferStart()),
      (*library)->getBufferSize(), info);
  // The runtime's error, as the compiler's kind.
  if (!loaded)
    return makeHarnessError(trit::toString(loaded.takeError()));
  return llvm::Error::success();
}
