//===- tritc.cpp - the Trit compiler driver -------------------------------===//
//
// Imports a model (a GGUF file or a Hugging Face folder) and writes what
// --emit asks for.
//
//===----------------------------------------------------------------------===//

#include "trit/Compiler/ArtifactWriter.h"
#include "trit/Compiler/CodeGen.h"
#include "trit/Compiler/Packaging.h"
#include "trit/Compiler/Passes.h"
#include "trit/Compiler/Target.h"
#include "trit/Frontends/ModelBuilder.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Transforms/Passes.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

namespace {
enum class Emit {
  Artifact, Exe, StaticLib, MLIR, OptMLIR, LLVMMLIR, LLVM, Asm, Obj, Tokenizer,
  Summary
};
enum class Weights { Embedded, External };

cl::OptionCategory category("tritc options");
cl::opt<std::string> input(cl::Positional, cl::Required,
                           cl::desc("<model.gguf | hugging-face-folder>"),
                           cl::cat(category));
cl::opt<std::string> output("o", cl::desc("Output file (default: stdout; "
                                           "required for --emit=trit)"),
                            cl::value_desc("file"), cl::init("-"),
                            cl::cat(category));
cl::opt<Emit> emit(
    "emit", cl::desc("What to write"), cl::init(Emit::Artifact),
    cl::values(clEnumValN(Emit::Artifact, "trit",
                          "the compiled model: code, weights, tokenizer and "
                          "metadata in one .trit file for trit-run (default; "
                          "needs -o)"),
               clEnumValN(Emit::Exe, "exe",
                          "an executable with trit-run's command line, the "
                          "runtime, the compiled model and (unless "
                          "--weights=external) its weights (needs -o)"),
               clEnumValN(Emit::StaticLib, "static-lib",
                          "an archive (the model, its weights and the "
                          "runtime) and a C header beside it, to link a "
                          "model into another program (needs -o libNAME.a)"),
               clEnumValN(Emit::MLIR, "mlir",
                          "the imported model in the trit dialect"),
               clEnumValN(Emit::OptMLIR, "opt-mlir",
                          "the model after the trit passes (trit-optimize)"),
               clEnumValN(Emit::LLVMMLIR, "llvm-mlir",
                          "the LLVM dialect module (kernel calls, memory "
                          "plan) before translation"),
               clEnumValN(Emit::LLVM, "llvm",
                          "LLVM IR with the kernels linked, after O3"),
               clEnumValN(Emit::Asm, "asm", "assembly for the target"),
               clEnumValN(Emit::Obj, "obj",
                          "an ELF object (position independent) exporting "
                          "trit_prefill and trit_decode"),
               clEnumValN(Emit::Tokenizer, "tokenizer",
                          "the tokenizer data as JSON"),
               clEnumValN(Emit::Summary, "summary",
                          "hyperparameters, tokenizer and a digest of every "
                          "tensor's decoded values")),
    cl::cat(category));

cl::opt<std::string> targetTriple(
    "target-triple", cl::desc("Target triple (default: the host's)"),
    cl::value_desc("triple"), cl::cat(category));
cl::opt<std::string> targetCPU(
    "target-cpu",
    cl::desc("Target CPU, e.g. znver4, haswell, neoverse-n1 (default: host, "
             "resolved to this machine's CPU and features)"),
    cl::value_desc("cpu"), cl::init("host"), cl::cat(category));
cl::opt<std::string> targetFeatures(
    "target-features",
    cl::desc("Features to add or remove, e.g. +avx512vnni,-avx512f"),
    cl::value_desc("+a,-b"), cl::cat(category));
cl::opt<bool> fuseGating("fuse-gating",
                         cl::desc("Fold the FFN gating into the fused gate/up "
                                  "BitLinear (default: on)"),
                         cl::init(true), cl::cat(category));

cl::opt<mlir::trit::KernelChoice>
    kernel("kernel", cl::desc("Microkernel family of the BitLinears"),
           cl::cat(category));
cl::opt<mlir::trit::WeightPacking>
    weightPacking("weight-packing", cl::desc("Ternary weight layout"),
                  cl::cat(category));

cl::opt<int64_t> maxTokens(
    "max-tokens",
    cl::desc("Prompt tokens one prefill call evaluates; sizes the scratch "
             "arena (default: 64, or 128 with --prompt-lut, whose tables "
             "and weight decoding then serve twice the tokens)"),
    cl::cat(category));
cl::opt<mlir::trit::NormCodegen>
    normCodegen("norm-codegen", cl::desc("How a standalone RMSNorm is lowered"),
                cl::cat(category));
cl::opt<mlir::trit::LMHead> lmHead("lm-head",
                                   cl::desc("What the LM head reads"),
                                   cl::cat(category));
cl::opt<int64_t> rerankCandidates(
    "rerank-candidates",
    cl::desc("Rows per token that --lm-head=rerank recomputes exactly "
             "(1 to 8192, default 1024)"),
    cl::init(1024), cl::cat(category));
cl::opt<bool> promptLut(
    "prompt-lut",
    cl::desc("Prompts' T3X5 BitLinears (calls of 8 tokens or more) through "
             "int8 lookup tables: about 1.7x the exact kernels' speed, "
             "inexact (its perplexity cost is in docs/performance.md); needs "
             "AVX-512 VBMI. Generation keeps the exact kernels"),
    cl::init(false), cl::cat(category));
cl::opt<int64_t> maxContext(
    "max-context",
    cl::desc("Largest context the runtime may create (default: the model's "
             "context length)"),
    cl::init(0), cl::cat(category));

cl::opt<Weights> weights(
    "weights",
    cl::desc("Where --emit=exe|static-lib keep the weights"),
    cl::init(Weights::Embedded),
    cl::values(clEnumValN(Weights::Embedded, "embedded",
                          "in the program's file, mapped from it (default)"),
               clEnumValN(Weights::External, "external",
                          "in NAME.weights beside the output (-o NAME, or "
                          "-o libNAME.a), which the program looks for beside "
                          "itself")),
    cl::cat(category));
cl::opt<bool> staticCxxRuntime(
    "static-libstdc++",
    cl::desc("--emit=exe: link libstdc++ and libgcc statically, so the "
             "program needs only the C library"),
    cl::cat(category));
cl::opt<std::string> modelName(
    "model-name",
    cl::desc("--emit=static-lib: the model's C name (trit_model_NAME; "
             "default: from the output file, libNAME.a)"),
    cl::value_desc("NAME"), cl::cat(category));
cl::opt<std::string> runtimeDir(
    "runtime-dir",
    cl::desc("--emit=exe|static-lib: the target's runtime (default: "
             "lib/trit/<arch> beside tritc's bin/)"),
    cl::value_desc("dir"), cl::cat(category));

int fail(const Twine &message) {
  WithColor::error(errs(), "tritc") << message << "\n";
  return 1;
}

/// What --emit=exe and --emit=static-lib need that is checked before
/// compiling: the target's runtime and the model's C name.
struct PackagePlan {
  trit::TargetRuntime runtime;
  std::string name;
};

Expected<PackagePlan> planPackage(const Triple &triple, const char *argv0) {
  PackagePlan plan;
  auto runtime = trit::findTargetRuntime(triple, runtimeDir, argv0);
  if (!runtime)
    return runtime.takeError();
  plan.runtime = std::move(*runtime);
  plan.name = trit::getModelNameFromPath(output);
  if (!modelName.empty()) {
    plan.name = modelName;
    if (!trit::isCIdentifier(plan.name))
      return createStringError(inconvertibleErrorCode(),
                               "--model-name: '" + plan.name +
                                   "' is not a C identifier");
  }
  if (emit == Emit::StaticLib) {
    if (std::string clash = trit::getCApiClash(plan.name); !clash.empty())
      return createStringError(
          inconvertibleErrorCode(),
          "the model name '" + plan.name + "' would declare " + clash +
              ", which the C API already has; choose another with "
              "--model-name");
  }
  return plan;
}

/// --emit=exe and --emit=static-lib: the model's object (code and the
/// trit_linked_model constant), its container (embedded as an object, or
/// the file OUTPUT.weights), linked with the target's runtime.
Error package(const PackagePlan &plan, mlir::ModuleOp lowered, Module &code,
              const trit::Model &model) {
  Triple triple(code.getTargetTriple());
  const trit::TargetRuntime &runtime = plan.runtime;
  const std::string &name = plan.name;
  auto container = trit::ContainerWriter::create(lowered, model, nullptr);
  if (!container)
    return container.takeError();

  bool exe = emit == Emit::Exe;
  std::string symbol = exe ? "trit_executable_model" : "trit_model_" + name;
  std::string containerSymbol, containerFile;
  if (weights == Weights::External) {
    // Beside the output: NAME.weights for program NAME, and for libNAME.a
    // too (the program that links the library looks for it beside itself).
    SmallString<256> path(sys::path::parent_path(output));
    sys::path::append(path, (exe ? sys::path::filename(output).str() : name) +
                                ".weights");
    containerFile = sys::path::filename(path).str();
    if (Error e = trit::writeContainerFile(path, **container))
      return e;
  } else {
    containerSymbol = symbol + "_container";
  }
  if (Error e = trit::addLinkedModel(code, symbol, containerSymbol,
                                     containerFile, **container))
    return e;

  // The objects, in a directory removed at the end.
  SmallString<128> dir;
  if (std::error_code ec = sys::fs::createUniqueDirectory("tritc", dir))
    return createStringError(ec, "cannot create a temporary directory: " +
                                     ec.message());
  auto removeDir = llvm::make_scope_exit([&] { sys::fs::remove_directories(dir); });
  std::vector<std::string> objects;
  SmallString<128> path(dir);
  sys::path::append(path, name + ".o");
  objects.push_back(std::string(path));
  {
    std::error_code ec;
    raw_fd_ostream os(objects.back(), ec);
    if (ec)
      return createStringError(ec, objects.back() + ": " + ec.message());
    if (Error e = trit::emitMachineCode(code, trit::MachineCodeKind::Object,
                                        os))
      return e;
  }
  if (weights == Weights::Embedded) {
    path = dir;
    sys::path::append(path, name + "-container.o");
    objects.push_back(std::string(path));
    if (Error e = trit::writeContainerObject(objects.back(), triple,
                                             containerSymbol, **container))
      return e;
  }
  if (exe) {
    trit::ExecutableOptions options;
    options.staticCxxRuntime = staticCxxRuntime;
    return trit::linkExecutable(triple, runtime, objects, output, options);
  }
  if (Error e = trit::writeStaticLibrary(runtime, objects, output))
    return e;
  SmallString<256> headerPath(sys::path::parent_path(output));
  sys::path::append(headerPath, name + ".h");
  std::error_code ec;
  raw_fd_ostream header(headerPath, ec);
  if (ec)
    return createStringError(ec, headerPath + ": " + ec.message());
  auto target = mlir::trit::TargetAttr::lookup(lowered);
  trit::writeLinkedModelHeader(
      header, name, symbol, sys::path::filename(output),
      "the model " + input + " compiled by tritc for " +
          target.getTriple().str() + " (" + target.getCpu().str() + ")");
  return Error::success();
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  // --mlir-print-ir-before/after=PASS look passes up by name: register them
  // before the options that parse those names.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::trit::registerTritPassesAndPipelines();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  // libLLVM registers hundreds of options; --help-hidden lists them all,
  // including MLIR's --mlir-print-ir-after-all, --mlir-print-ir-before=PASS,
  // --mlir-timing and the other --mlir-* options, which all work.
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "tritc: the Trit compiler for ternary (BitNet b1.58) models\n\n"
      "  tritc model.gguf -o model.trit    compile for this machine; run it\n"
      "                                    with trit-run model.trit\n"
      "  tritc model.gguf --emit=mlir      print the imported trit module\n"
      "  tritc model.gguf --emit=opt-mlir --target-cpu=znver4\n"
      "                                    ... after the trit passes for a CPU\n"
      "  tritc model.gguf --emit=exe -o chat\n"
      "                                    one program: ./chat -p \"Hello\"\n"
      "  tritc model.gguf --emit=exe --target-triple=aarch64-linux-gnu \\\n"
      "        --target-cpu=neoverse-n1 -o chat-arm64\n"
      "                                    ... for another machine\n"
      "  tritc model.gguf --emit=static-lib -o libmodel.a\n"
      "                                    libmodel.a + model.h for a C program\n"
      "  tritc model.gguf --emit=obj -o model.o\n"
      "                                    compile for this machine\n"
      "  tritc model.gguf --emit=asm --target-cpu=haswell\n"
      "                                    the assembly for another CPU\n"
      "  tritc hf-folder/ --emit=tokenizer print the tokenizer data\n"
      "  tritc model.gguf --emit=summary   describe the model and its tensors\n");

  Expected<std::unique_ptr<trit::Model>> model = trit::importModel(input);
  if (!model)
    return fail(toString(model.takeError()));

  std::string error;
  bool writesOwnFiles =
      emit == Emit::Artifact || emit == Emit::Exe || emit == Emit::StaticLib;
  if (writesOwnFiles && output == "-")
    return fail(std::string(emit == Emit::Artifact
                                ? "an artifact is written to a file: give "
                                  "-o model.trit"
                            : emit == Emit::Exe
                                ? "an executable is written to a file: give "
                                  "-o NAME"
                                : "a library is written to a file: give -o "
                                  "libNAME.a") +
                " (or --emit=mlir|... to print a stage)");
  bool linksProgram = emit == Emit::Exe || emit == Emit::StaticLib;
  if (weights == Weights::External && !linksProgram)
    return fail("--weights=external is for --emit=exe and --emit=static-lib");
  if (!runtimeDir.empty() && !linksProgram)
    return fail("--runtime-dir is for --emit=exe and --emit=static-lib");
  if (staticCxxRuntime && emit != Emit::Exe)
    return fail("--static-libstdc++ is for --emit=exe (a static library "
                "leaves the C++ library to the program that links it)");
  if (!modelName.empty() && emit != Emit::StaticLib)
    return fail("--model-name is for --emit=static-lib");
  // Refuse an output that cannot be written before compiling anything (and
  // remove what the check created if compiling fails).
  std::optional<FileRemover> removeOutputOnFailure;
  if (writesOwnFiles) {
    if (!sys::fs::exists(output))
      removeOutputOnFailure.emplace(output);
    int fd;
    if (std::error_code ec = sys::fs::openFileForWrite(
            output, fd, sys::fs::CD_OpenAlways, sys::fs::OF_Append))
      return fail(output + ": " + ec.message());
    sys::Process::SafelyCloseFileDescriptor(fd);
  }
  // Those writers open their own files; every other output goes here.
  auto out = mlir::openOutputFile(writesOwnFiles ? std::string("-")
                                                 : std::string(output),
                                  &error);
  if (!out)
    return fail(error);

  switch (emit) {
  case Emit::Summary:
    if (Error e = trit::writeModelSummary(**model, out->os()))
      return fail(toString(std::move(e)));
    break;
  case Emit::Tokenizer:
    trit::writeTokenizerJSON((*model)->tokenizer, out->os());
    break;
  default: {
    // Compile: import, the trit passes, the lowering, then LLVM. With
    // --mlir-timing each stage is timed, the passes one by one.
    mlir::DefaultTimingManager timing;
    mlir::applyDefaultTimingManagerCLOptions(timing);
    mlir::TimingScope rootTiming = timing.getRootScope();
    mlir::DialectRegistry registry;
    trit::registerCodeGenTranslations(registry);
    mlir::MLIRContext context(registry);
    trit::TargetOptions targetOptions;
    targetOptions.triple = targetTriple;
    targetOptions.cpu = targetCPU;
    targetOptions.features = targetFeatures;
    Expected<mlir::trit::TargetAttr> target =
        trit::resolveTarget(context, targetOptions);
    if (!target)
      return fail(toString(target.takeError()));
    // A program's runtime and C name are checked before compiling.
    std::optional<PackagePlan> plan;
    if (linksProgram) {
      auto planned = planPackage(Triple(target->getTriple()), argv[0]);
      if (!planned)
        return fail(toString(planned.takeError()));
      plan = std::move(*planned);
    }
    mlir::TimingScope importTiming = rootTiming.nest("import");
    mlir::OwningOpRef<mlir::ModuleOp> module =
        trit::buildModule(context, **model);
    (*module)->setAttr(mlir::trit::TargetAttr::getAttrName(), *target);
    if (mlir::failed(mlir::verify(*module)))
      return fail("internal error: the imported module does not verify");
    importTiming.stop();
    if (emit != Emit::MLIR) {
      mlir::PassManager pm(&context);
      if (mlir::failed(mlir::applyPassManagerCLOptions(pm)))
        return fail("invalid pass manager options");
      mlir::TimingScope passTiming = rootTiming.nest("passes");
      pm.enableTiming(passTiming);
      mlir::trit::PipelineOptions options;
      options.fuseGating = fuseGating;
      options.kernel = kernel;
      options.packing = weightPacking;
      if (maxTokens.getNumOccurrences())
        options.maxTokens = maxTokens;
      options.normCodegen = normCodegen;
      options.lmHead = lmHead;
      options.rerankCandidates = rerankCandidates;
      options.promptLut = promptLut;
      options.maxContext = maxContext;
      mlir::trit::buildOptimizePipeline(pm, options);
      if (emit != Emit::OptMLIR)
        mlir::trit::buildLowerToLLVMPipeline(pm, options);
      if (mlir::failed(pm.run(*module)))
        return fail("compiling " + input + " failed");
    }
    if (emit == Emit::MLIR || emit == Emit::OptMLIR ||
        emit == Emit::LLVMMLIR) {
      module->print(out->os());
      out->os() << "\n";
      break;
    }
    mlir::TimingScope llvmTiming = rootTiming.nest("llvm-link-and-o3");
    LLVMContext llvmContext;
    Expected<std::unique_ptr<Module>> llvmModule =
        trit::buildOptimizedLLVMModule(*module, llvmContext);
    if (!llvmModule)
      return fail(toString(llvmModule.takeError()));
    llvmTiming.stop();
    if (emit == Emit::LLVM) {
      (*llvmModule)->print(out->os(), nullptr);
      break;
    }
    if (emit == Emit::Artifact) {
      mlir::TimingScope writeTiming =
          rootTiming.nest("llvm-codegen-and-write-artifact");
      if (Error e = trit::writeArtifact(output, *module, **llvmModule, **model))
        return fail(toString(std::move(e)));
      break;
    }
    if (emit == Emit::Exe || emit == Emit::StaticLib) {
      mlir::TimingScope packageTiming =
          rootTiming.nest("llvm-codegen-and-link");
      if (Error e = package(*plan, *module, **llvmModule, **model))
        return fail(toString(std::move(e)));
      break;
    }
    mlir::TimingScope codegenTiming = rootTiming.nest("llvm-codegen");
    if (Error e = trit::emitMachineCode(
            **llvmModule,
            emit == Emit::Asm ? trit::MachineCodeKind::Assembly
                              : trit::MachineCodeKind::Object,
            out->os()))
      return fail(toString(std::move(e)));
    break;
  }
  }
  out->keep();
  if (removeOutputOnFailure)
    removeOutputOnFailure->releaseFile();
  return 0;
}
