//===- CompileAndLoad.cpp - compile a trit module and load its code -------===//

#include "CompileAndLoad.h"

#include "trit/Compiler/CodeGen.h"
#include "trit/Compiler/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

#include <dlfcn.h>

using namespace llvm;

static Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

static int64_t getInt(mlir::DictionaryAttr dict, StringRef key) {
  auto attr = dict ? dict.getAs<mlir::IntegerAttr>(key) : mlir::IntegerAttr();
  return attr ? attr.getInt() : 0;
}

Error trit::harness::compileAndLoad(
    mlir::ModuleOp module, const LoweringOptions &options,
    CompiledModelInfo &info,
    std::vector<std::pair<std::string, std::string>> &weightTable) {
  mlir::PassManager pm(module.getContext());
  mlir::trit::OptimizePipelineOptions optimize;
  optimize.kernel = options.kernel;
  mlir::trit::buildOptimizePipeline(pm, optimize);
  mlir::trit::LowerToLLVMPipelineOptions lower;
  lower.maxTokens = options.maxTokens;
  lower.normCodegen = options.normCodegen;
  mlir::trit::buildLowerToLLVMPipeline(pm, lower);
  if (mlir::failed(pm.run(module)))
    return makeError("compiling the module failed");

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
  }
  weightTable.clear();
  for (auto entry : module->getAttrOfType<mlir::ArrayAttr>("trit.weights")
                        .getAsRange<mlir::DictionaryAttr>())
    weightTable.emplace_back(
        entry.getAs<mlir::StringAttr>("name").getValue().str(),
        entry.getAs<mlir::StringAttr>("layout").getValue().str());

  LLVMContext llvmContext;
  auto llvmModule = trit::buildOptimizedLLVMModule(module, llvmContext);
  if (!llvmModule)
    return llvmModule.takeError();
  SmallString<128> objectPath, libraryPath;
  int fd;
  if (sys::fs::createTemporaryFile("trit-model", "o", fd, objectPath) ||
      sys::fs::createTemporaryFile("trit-model", "so", libraryPath))
    return makeError("cannot create temporary files");
  {
    raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (Error e = trit::emitMachineCode(**llvmModule,
                                        trit::MachineCodeKind::Object, os))
      return e;
  }
  std::string clang = TRIT_CLANG;
  SmallVector<StringRef> linkArgs = {clang, "-shared", "-fuse-ld=lld",
                                     objectPath, "-o", libraryPath};
  std::string linkError;
  int linked = sys::ExecuteAndWait(clang, linkArgs, std::nullopt, {}, 0, 0,
                                   &linkError);
  void *library =
      linked == 0 ? dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL) : nullptr;
  const char *loadError = linked == 0 && !library ? dlerror() : nullptr;
  sys::fs::remove(objectPath);
  sys::fs::remove(libraryPath);
  if (linked != 0)
    return makeError("linking the model failed: " + linkError);
  if (!library)
    return makeError(Twine("dlopen: ") + loadError);
  info.prefill =
      reinterpret_cast<trit::EntryPointFn>(dlsym(library, "trit_prefill"));
  info.decode =
      reinterpret_cast<trit::EntryPointFn>(dlsym(library, "trit_decode"));
  if (!info.prefill || !info.decode)
    return makeError("the compiled model lacks trit_prefill or trit_decode");
  return Error::success();
}
