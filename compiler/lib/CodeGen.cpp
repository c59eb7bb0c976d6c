//===- CodeGen.cpp - LLVM dialect module to optimized machine code --------===//

#include "trit/Compiler/CodeGen.h"
#include "trit/Dialect/TritOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

/// The embedded kernel bitcode, one entry per family and architecture, then
/// a null one (KernelBitcode.S.in).
struct KernelBitcodeEntry {
  const char *family, *arch, *begin, *end;
};
extern "C" const KernelBitcodeEntry trit_kernel_bitcode_index[];

StringRef trit::getKernelBitcode(StringRef isa, StringRef arch) {
  for (const KernelBitcodeEntry *e = trit_kernel_bitcode_index; e->family;
       ++e)
    if (e->family == isa && e->arch == arch)
      return StringRef(e->begin, e->end - e->begin);
  return {};
}

void trit::registerCodeGenTranslations(mlir::DialectRegistry &registry) {
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
}

static Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static void initializeTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
}

/// A TargetMachine for the module's triple, CPU and features, generating
/// position-independent code (the runtime loads models as shared objects).
static Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(StringRef tripleName, StringRef cpu, StringRef features) {
  initializeTargets();
  std::string error;
  llvm::Triple triple(tripleName);
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple.str(), error);
  if (!target)
    return makeError("no code generator for " + tripleName + ": " + error);
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple.str(), cpu, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return makeError("cannot create a code generator for " + tripleName +
                     " " + cpu);
  return machine;
}

/// The triple, CPU and features recorded in an LLVM module by
/// buildOptimizedLLVMModule.
struct ModuleTarget {
  std::string triple, cpu, features;
};
static constexpr StringRef kCpuFlag = "trit.target.cpu";
static constexpr StringRef kFeaturesFlag = "trit.target.features";

static ModuleTarget getModuleTarget(const llvm::Module &module) {
  ModuleTarget target{module.getTargetTriple(), "", ""};
  auto read = [&](StringRef key) -> std::string {
    if (auto *md = llvm::dyn_cast_or_null<llvm::MDString>(
            module.getModuleFlag(key)))
      return md->getString().str();
    return "";
  };
  target.cpu = read(kCpuFlag);
  target.features = read(kFeaturesFlag);
  return target;
}

Expected<std::unique_ptr<llvm::Module>>
trit::buildOptimizedLLVMModule(mlir::ModuleOp module, llvm::LLVMContext &context) {
  auto target = mlir::trit::TargetAttr::lookup(module);
  if (!target)
    return makeError("the module has no trit.target attribute");
  auto isas = module->getAttrOfType<mlir::ArrayAttr>(mlir::trit::TritDialect::kKernelIsasAttrName);
  if (!isas)
    return makeError("the module has no trit.kernel_isas; run "
                     "trit-lower-to-llvm first");
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context, "trit-model");
  if (!llvmModule)
    return makeError("cannot translate the module to LLVM IR");

  auto machine = createTargetMachine(target.getTriple(), target.getCpu(),
                                     target.getFeatures());
  if (!machine)
    return machine.takeError();
  llvmModule->setTargetTriple(target.getTriple());
  llvmModule->setDataLayout((*machine)->createDataLayout());

  // The entry points stay exported; everything linked in becomes internal.
  llvm::StringSet<> exported;
  for (llvm::Function &f : *llvmModule)
    if (!f.isDeclaration() && f.hasExternalLinkage())
      exported.insert(f.getName());

  // Link the kernels: only what the generated code calls.
  llvm::Triple triple(target.getTriple());
  StringRef arch = triple.isAArch64() ? "aarch64" : "x86_64";
  if (!triple.isAArch64() && !triple.isX86())
    return makeError("no kernels for " + target.getTriple() +
                     "; supported: x86_64 and aarch64");
  // The instruction-set families first: their ops call the generic
  // quantizer, which LinkOnlyNeeded only pulls in once it is referenced.
  llvm::SmallVector<StringRef> order;
  for (StringRef isa : isas.getAsValueRange<mlir::StringAttr>())
    if (isa != "generic")
      order.push_back(isa);
  order.push_back("generic");
  for (StringRef isa : order) {
    StringRef bitcode = getKernelBitcode(isa, arch);
    if (bitcode.empty())
      return makeError("no " + isa + " kernels for " + arch);
    auto kernels = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(bitcode, (isa + ".bc").str()), context);
    if (!kernels)
      return kernels.takeError();
    (*kernels)->setTargetTriple(llvmModule->getTargetTriple());
    (*kernels)->setDataLayout(llvmModule->getDataLayout());
    if (llvm::Linker::linkModules(*llvmModule, std::move(*kernels),
                                  llvm::Linker::Flags::LinkOnlyNeeded))
      return makeError("cannot link the " + isa + " kernels");
  }

  // Generated code may call nothing but its kernels (and the memory
  // builtins LLVM itself emits, which every C library provides).
  for (llvm::Function &f : *llvmModule)
    if (f.isDeclaration() && !f.isIntrinsic() && !f.use_empty() &&
        !llvm::is_contained({"memset", "memcpy", "memmove"}, f.getName()))
      return makeError("the kernels do not define " + f.getName() +
                       ", which the generated code calls");

  // Everything but the entry points is internal, and every function is
  // compiled for the target CPU (the bitcode was built for a baseline CPU
  // plus its family's features, all of which the target has). The kernels
  // are inlined into their callers so the constant shapes reach the loops.
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    if (!exported.contains(f.getName()))
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
    f.removeFnAttr("target-cpu");
    f.removeFnAttr("target-features");
    f.removeFnAttr("tune-cpu");
    f.addFnAttr("target-cpu", target.getCpu());
    if (!target.getFeatures().empty())
      f.addFnAttr("target-features", target.getFeatures());
    if (f.getName().starts_with("trit_op_")) {
      f.removeFnAttr(llvm::Attribute::NoInline);
      f.addFnAttr(llvm::Attribute::AlwaysInline);
    }
  }
  llvmModule->addModuleFlag(llvm::Module::Warning, kCpuFlag,
                            llvm::MDString::get(context, target.getCpu()));
  llvmModule->addModuleFlag(llvm::Module::Warning, kFeaturesFlag,
                            llvm::MDString::get(context, target.getFeatures()));

  // The O3 pipeline, tuned by the TargetMachine.
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder passBuilder(machine->get());
  passBuilder.registerModuleAnalyses(mam);
  passBuilder.registerCGSCCAnalyses(cgam);
  passBuilder.registerFunctionAnalyses(fam);
  passBuilder.registerLoopAnalyses(lam);
  passBuilder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm =
      passBuilder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  mpm.run(*llvmModule, mam);
  return llvmModule;
}

Error trit::emitMachineCode(llvm::Module &module, trit::MachineCodeKind kind,
                            llvm::raw_pwrite_stream &os) {
  ModuleTarget target = getModuleTarget(module);
  auto machine =
      createTargetMachine(target.triple, target.cpu, target.features);
  if (!machine)
    return machine.takeError();
  llvm::legacy::PassManager pm;
  if ((*machine)->addPassesToEmitFile(
          pm, os, nullptr,
          kind == trit::MachineCodeKind::Assembly
              ? llvm::CodeGenFileType::AssemblyFile
              : llvm::CodeGenFileType::ObjectFile))
    return makeError("the target cannot emit this kind of file");
  pm.run(module);
  return Error::success();
}

llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
trit::linkSharedObject(llvm::Module &code) {
  auto linker = llvm::sys::findProgramByName("ld.lld-19");
  if (!linker)
    linker = llvm::sys::findProgramByName("ld.lld");
  if (!linker)
    return makeError("linking the model's code needs ld.lld (Debian package "
                     "lld-19), which is not on PATH");
  llvm::SmallString<128> objectPath, libraryPath;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("trit-model", "o", fd, objectPath))
    return makeError("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeObject(objectPath);
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (Error e = emitMachineCode(code, MachineCodeKind::Object, os))
      return std::move(e);
  }
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("trit-model", "so", libraryPath))
    return makeError("cannot create a temporary file: " + ec.message());
  llvm::FileRemover removeLibrary(libraryPath);
  // No C library: the code calls nothing but memset/memcpy, which the
  // process that loads it provides.
  llvm::SmallVector<StringRef> args = {*linker, "-shared", "--hash-style=gnu",
                                       "-z", "noexecstack", objectPath, "-o",
                                       libraryPath};
  std::string message;
  if (llvm::sys::ExecuteAndWait(*linker, args, std::nullopt, {}, 0, 0,
                                &message) != 0)
    return makeError("ld.lld failed to link the model's code" +
                     (message.empty() ? llvm::Twine("") : ": " + message));
  auto bytes = llvm::MemoryBuffer::getFile(libraryPath);
  if (!bytes)
    return makeError("cannot read the linked code: " +
                     bytes.getError().message());
  return std::move(*bytes);
}
