//===- tritc.cpp - the Trit compiler driver -------------------------------===//
//
// Imports a model (a GGUF file or a Hugging Face folder) and writes what
// --emit asks for.
//
//===----------------------------------------------------------------------===//

#include "trit/Compiler/ArtifactWriter.h"
#include "trit/Compiler/CodeGen.h"
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
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

namespace {
enum class Emit { Artifact, MLIR, OptMLIR, LLVMMLIR, LLVM, Asm, Obj, Tokenizer, Summary };

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

cl::opt<std::string> kernel(
    "kernel",
    cl::desc("Microkernel family: auto (the best the target runs), generic, "
             "avx2, avx512vnni or neon_dotprod"),
    cl::init("auto"), cl::cat(category));

cl::opt<int64_t> maxTokens(
    "max-tokens",
    cl::desc("Prompt tokens one prefill call evaluates; sizes the scratch "
             "arena (default: 64)"),
    cl::init(64), cl::cat(category));
cl::opt<std::string> normCodegen(
    "norm-codegen",
    cl::desc("RMSNorm through the C kernel (kernel, default) or generated "
             "vector-dialect code (vector)"),
    cl::init("kernel"), cl::cat(category));
cl::opt<std::string> lmHead(
    "lm-head",
    cl::desc("LM head: exact (the table as stored, the reference numerics) "
             "or q8 (an int8 copy with a scale per row: half the bytes of "
             "f16 per generated token, inexact)"),
    cl::init("exact"), cl::cat(category));
cl::opt<int64_t> maxContext(
    "max-context",
    cl::desc("Largest context the runtime may create (default: the model's "
             "context length)"),
    cl::init(0), cl::cat(category));

int fail(const Twine &message) {
  WithColor::error(errs(), "tritc") << message << "\n";
  return 1;
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
  if (emit == Emit::Artifact && output == "-")
    return fail("an artifact is written to a file: give -o model.trit (or "
                "--emit=mlir|... to print a stage)");
  // The artifact writer opens its own file; every other output goes here.
  auto out = mlir::openOutputFile(emit == Emit::Artifact ? std::string("-") : std::string(output),
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
      mlir::trit::OptimizePipelineOptions options;
      options.fuseGating = bool(fuseGating);
      options.kernel = std::string(kernel);
      mlir::trit::buildOptimizePipeline(pm, options);
      if (emit != Emit::OptMLIR) {
        mlir::trit::LowerToLLVMPipelineOptions lowerOptions;
        lowerOptions.maxTokens = int64_t(maxTokens);
        lowerOptions.normCodegen = std::string(normCodegen);
        lowerOptions.lmHead = std::string(lmHead);
        lowerOptions.maxContext = int64_t(maxContext);
        mlir::trit::buildLowerToLLVMPipeline(pm, lowerOptions);
      }
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
  return 0;
}
