//===- CompileAndLoad.cpp - compile a trit module and load its code -------===//

#include "CompileAndLoad.h"

#include "trit/Compiler/CodeGen.h"
#include "trit/Compiler/Driver.h"
#include "trit/Compiler/LoweredModule.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace llvm;

// llvm::Error throughout: inside namespace trit, a plain Error would be the
// runtime's trit::Error.
static llvm::Error makeHarnessError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

llvm::Error trit::harness::compileAndLoad(
    mlir::ModuleOp module, const mlir::trit::PipelineOptions &options,
    CompiledModelInfo &info,
    std::vector<std::pair<std::string, WeightLayout>> &weightTable) {
  if (llvm::Error e = trit::driver::runPipelines(module, options))
    return e;

  // What the runtime needs, as the artifact writer reads it.
  llvm::Expected<LoweredModuleInfo> lowered = getLoweredModuleInfo(module);
  if (!lowered)
    return lowered.takeError();
  info.arenaSize = lowered->arenaSize;
  info.maxTokens = lowered->maxTokens;
  info.maxContext = lowered->maxContext;
  info.layers = lowered->layers;
  info.kvHeads = lowered->kvHeads;
  info.headDim = lowered->headDim;
  info.vocab = lowered->vocab;
  info.ropeDim = lowered->ropeDim;
  info.ropeTheta = lowered->ropeTheta;
  info.ropeYarnFactor = lowered->ropeYarnFactor;
  info.ropeYarnOriginalContext = lowered->ropeYarnOriginalContext;
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
