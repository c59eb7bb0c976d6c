//===- Driver.cpp - compile a model from one set of options ---------------===//

#include "DriverInternal.h"

#include "trit/Compiler/ArtifactWriter.h"
#include "trit/Compiler/CodeGen.h"
#include "trit/Compiler/Passes.h"
#include "trit/Frontends/ModelBuilder.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace trit;
using namespace trit::driver;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static bool writesOwnFiles(OutputKind kind) {
  return kind == OutputKind::Artifact || kind == OutputKind::Exe ||
         kind == OutputKind::StaticLib;
}

static bool linksProgram(OutputKind kind) {
  return kind == OutputKind::Exe || kind == OutputKind::StaticLib;
}

/// The options that contradict each other, refused before compiling.
static llvm::Error checkRequest(const CompileOptions &options) {
  OutputKind emit = options.emit;
  if (writesOwnFiles(emit) && options.output == "-")
    return makeError(
        llvm::Twine(emit == OutputKind::Artifact
                        ? "an artifact is written to a file: give -o "
                          "model.trit"
                    : emit == OutputKind::Exe
                        ? "an executable is written to a file: give -o NAME"
                        : "a library is written to a file: give -o "
                          "libNAME.a") +
        " (or --emit=mlir|... to print a stage)");
  if (options.weights == WeightPlacement::External && !linksProgram(emit))
    return makeError(
        "--weights=external is for --emit=exe and --emit=static-lib");
  if (!options.runtimeDir.empty() && !linksProgram(emit))
    return makeError("--runtime-dir is for --emit=exe and --emit=static-lib");
  if (options.staticCxxRuntime && emit != OutputKind::Exe)
    return makeError("--static-libstdc++ is for --emit=exe (a static library "
                     "leaves the C++ library to the program that links it)");
  if (!options.modelName.empty() && emit != OutputKind::StaticLib)
    return makeError("--model-name is for --emit=static-lib");
  return llvm::Error::success();
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
trit::driver::buildTargetModule(mlir::MLIRContext &context, const Model &model,
                                mlir::trit::TargetAttr target) {
  mlir::OwningOpRef<mlir::ModuleOp> module = buildModule(context, model);
  (*module)->setAttr(mlir::trit::TargetAttr::getAttrName(), target);
  if (mlir::failed(mlir::verify(*module)))
    return makeError("internal error: the imported module does not verify");
  return module;
}

/// runPipelines, its passes timed in `timing`; a failure names `subject`.
static llvm::Error runPipelines(mlir::ModuleOp module,
                                const mlir::trit::PipelineOptions &options,
                                bool lower, mlir::TimingScope &timing,
                                const llvm::Twine &subject) {
  mlir::PassManager pm(module.getContext());
  if (hasCompileCLOptions() &&
      mlir::failed(mlir::applyPassManagerCLOptions(pm)))
    return makeError("invalid pass manager options");
  pm.enableTiming(timing);
  mlir::trit::buildOptimizePipeline(pm, options);
  if (lower)
    mlir::trit::buildLowerToLLVMPipeline(pm, options);
  if (mlir::failed(pm.run(module)))
    return makeError("compiling " + subject + " failed");
  return llvm::Error::success();
}

llvm::Error
trit::driver::runPipelines(mlir::ModuleOp module,
                           const mlir::trit::PipelineOptions &options,
                           bool lower) {
  mlir::TimingScope noTiming;
  return ::runPipelines(module, options, lower, noTiming, "the module");
}

/// Compiles `model` and writes what `options.emit` asks for to `os` (the
/// printed kinds) or to the files at `options.output`.
static llvm::Error compileModel(const CompileOptions &options,
                                const trit::Model &model,
                                llvm::raw_pwrite_stream &os,
                                Progress &progress) {
  OutputKind emit = options.emit;
  // Each stage timed with --mlir-timing, the passes one by one.
  mlir::DefaultTimingManager timing;
  mlir::applyDefaultTimingManagerCLOptions(timing);
  mlir::TimingScope rootTiming = timing.getRootScope();
  // The status line goes before --mlir-timing's report.
  auto clearFirst = llvm::make_scope_exit([&] { progress.clear(); });
  mlir::DialectRegistry registry;
  registerCodeGenTranslations(registry);
  mlir::MLIRContext context(registry);
  // Diagnostics start on a line of their own (failure: not handled here,
  // so MLIR's handler prints them).
  auto clearProgress = [&](mlir::Diagnostic &) {
    progress.clear();
    return mlir::failure();
  };
  mlir::ScopedDiagnosticHandler diagnostics(&context, clearProgress);
  progress.clear();
  llvm::Expected<mlir::trit::TargetAttr> target =
      resolveTarget(context, options.target);
  if (!target)
    return target.takeError();
  // A program's runtime and C name are checked before compiling.
  std::optional<ProgramPlan> plan;
  if (linksProgram(emit)) {
    auto planned = planProgram(options, llvm::Triple(target->getTriple()));
    if (!planned)
      return planned.takeError();
    plan = std::move(*planned);
  }

  mlir::TimingScope importTiming = rootTiming.nest("import");
  auto module = buildTargetModule(context, model, *target);
  if (!module)
    return module.takeError();
  importTiming.stop();
  if (emit != OutputKind::MLIR) {
    // Milliseconds, and --mlir-print-ir-* prints to stderr meanwhile.
    progress.clear();
    mlir::TimingScope passTiming = rootTiming.nest("passes");
    if (llvm::Error e = ::runPipelines(**module, options.pipeline,
                                       emit != OutputKind::OptMLIR, passTiming,
                                       options.input))
      return e;
  }
  if (emit == OutputKind::MLIR || emit == OutputKind::OptMLIR ||
      emit == OutputKind::LLVMMLIR) {
    (*module)->print(os);
    os << "\n";
    return llvm::Error::success();
  }

  progress.setStage("optimizing with LLVM");
  mlir::TimingScope llvmTiming = rootTiming.nest("llvm-link-and-o3");
  llvm::LLVMContext llvmContext;
  auto code = buildOptimizedLLVMModule(**module, llvmContext);
  if (!code)
    return code.takeError();
  llvmTiming.stop();
  switch (emit) {
  case OutputKind::LLVM:
    (*code)->print(os, nullptr);
    return llvm::Error::success();
  case OutputKind::Artifact: {
    mlir::TimingScope writeTiming =
        rootTiming.nest("llvm-codegen-and-write-artifact");
    progress.setStage("generating code");
    auto library = linkSharedObject(**code);
    if (!library)
      return library.takeError();
    progress.setStage("packing weights");
    auto container = ContainerWriter::create(
        **module, model, std::move(*library),
        options.pipeline.getLoweringOptions(), progress.packingCallback());
    if (!container)
      return container.takeError();
    progress.setStage("writing " + options.output);
    return writeContainerFile(options.output, **container);
  }
  case OutputKind::Exe:
  case OutputKind::StaticLib: {
    mlir::TimingScope linkTiming = rootTiming.nest("llvm-codegen-and-link");
    return writeProgram(options, *plan, **module, **code, model, progress);
  }
  default: {
    mlir::TimingScope codegenTiming = rootTiming.nest("llvm-codegen");
    progress.setStage("generating code");
    return emitMachineCode(**code,
                           emit == OutputKind::Asm ? MachineCodeKind::Assembly
                                                   : MachineCodeKind::Object,
                           os);
  }
  }
}

llvm::Error trit::driver::compile(const CompileOptions &options) {
  // Not over output printed to the same terminal.
  bool ownFiles = writesOwnFiles(options.emit);
  bool printsToTerminal = !ownFiles && options.output == "-" &&
                          llvm::sys::Process::StandardOutIsDisplayed();
  Progress progress(options.showProgress.value_or(
      llvm::sys::Process::StandardErrIsDisplayed() && !printsToTerminal));
  progress.setStage("importing " + options.input);
  llvm::Expected<std::unique_ptr<Model>> model = importModel(options.input);
  if (!model)
    return model.takeError();
  if (llvm::Error e = checkRequest(options))
    return e;

  // Refuse an output that cannot be written before compiling anything (and
  // remove what the check created if compiling fails).
  const std::string &output = options.output;
  std::optional<llvm::FileRemover> removeOutputOnFailure;
  if (ownFiles) {
    if (!llvm::sys::fs::exists(output))
      removeOutputOnFailure.emplace(output);
    int fd;
    if (std::error_code ec = llvm::sys::fs::openFileForWrite(
            output, fd, llvm::sys::fs::CD_OpenAlways, llvm::sys::fs::OF_Append))
      return makeError(output + ": " + ec.message());
    llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  }
  // Those kinds write their own files; every other goes here.
  std::string error;
  auto out = mlir::openOutputFile(ownFiles ? std::string("-") : output, &error);
  if (!out)
    return makeError(error);

  switch (options.emit) {
  case OutputKind::Summary:
    if (llvm::Error e = writeModelSummary(**model, out->os()))
      return e;
    break;
  case OutputKind::Tokenizer:
    writeTokenizerJSON((*model)->tokenizer, out->os());
    break;
  default:
    if (llvm::Error e = compileModel(options, **model, out->os(), progress))
      return e;
  }
  out->keep();
  if (removeOutputOnFailure)
    removeOutputOnFailure->releaseFile();
  return llvm::Error::success();
}
