//===- CommandLine.cpp - tritc's command line -----------------------------===//
//
// The flags set CompileOptions; a flag not given leaves the struct's
// default, so each default is stated once (PipelineOptions, TargetOptions,
// CompileOptions). Flags of an enum type accept exactly the names in the
// enum's table (Options.cpp, EnumOption.h).
//
//===----------------------------------------------------------------------===//

#include "DriverInternal.h"

#include "trit/Compiler/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/ManagedStatic.h"

using namespace trit::driver;
namespace cl = llvm::cl;
using mlir::trit::EnumOptionValue;

llvm::ArrayRef<EnumOptionValue<OutputKind>>
trit::driver::getEnumOptionValues(OutputKind) {
  static constexpr EnumOptionValue<OutputKind> values[] = {
      {OutputKind::Artifact, "trit",
       "the compiled model: code, weights, tokenizer and metadata in one "
       ".trit file for trit-run (default; needs -o)"},
      {OutputKind::Exe, "exe",
       "an executable with trit-run's command line, the runtime, the "
       "compiled model and (unless --weights=external) its weights (needs "
       "-o)"},
      {OutputKind::StaticLib, "static-lib",
       "an archive (the model, its weights and the runtime) and a C header "
       "beside it, to link a model into another program (needs -o "
       "libNAME.a)"},
      {OutputKind::MLIR, "mlir", "the imported model in the trit dialect"},
      {OutputKind::OptMLIR, "opt-mlir",
       "the model after the trit passes (trit-optimize)"},
      {OutputKind::LLVMMLIR, "llvm-mlir",
       "the LLVM dialect module (kernel calls, memory plan) before "
       "translation"},
      {OutputKind::LLVM, "llvm", "LLVM IR with the kernels linked, after O3"},
      {OutputKind::Asm, "asm", "assembly for the target"},
      {OutputKind::Obj, "obj",
       "an ELF object (position independent) exporting trit_prefill and "
       "trit_decode"},
      {OutputKind::Tokenizer, "tokenizer", "the tokenizer data as JSON"},
      {OutputKind::Summary, "summary",
       "hyperparameters, tokenizer and a digest of every tensor's decoded "
       "values"}};
  return values;
}

llvm::ArrayRef<EnumOptionValue<WeightPlacement>>
trit::driver::getEnumOptionValues(WeightPlacement) {
  static constexpr EnumOptionValue<WeightPlacement> values[] = {
      {WeightPlacement::Embedded, "embedded",
       "in the program's file, mapped from it (default)"},
      {WeightPlacement::External, "external",
       "in NAME.weights beside the output (-o NAME, or -o libNAME.a), which "
       "the program looks for beside itself"}};
  return values;
}

namespace {

struct CompileCLOptions {
  cl::OptionCategory category{"tritc options"};
  cl::opt<std::string> input{cl::Positional, cl::Required,
                             cl::desc("<model.gguf | hugging-face-folder>"),
                             cl::cat(category)};
  cl::opt<std::string> output{
      "o", cl::desc("Output file (default: stdout; required for --emit=trit)"),
      cl::value_desc("file"), cl::cat(category)};
  cl::opt<OutputKind> emit{"emit", cl::desc("What to write"),
                           cl::cat(category)};

  cl::opt<std::string> targetTriple{
      "target-triple", cl::desc("Target triple (default: the host's)"),
      cl::value_desc("triple"), cl::cat(category)};
  cl::opt<std::string> targetCPU{
      "target-cpu",
      cl::desc("Target CPU, e.g. znver4, haswell, neoverse-n1, or host "
               "(default: host, resolved to this machine's CPU and features; "
               "for another architecture's triple, its generic CPU)"),
      cl::value_desc("cpu"), cl::cat(category)};
  cl::opt<std::string> targetFeatures{
      "target-features",
      cl::desc("Features to add or remove, e.g. +avx512vnni,-avx512f"),
      cl::value_desc("+a,-b"), cl::cat(category)};

  cl::opt<bool> fuseGating{
      "fuse-gating",
      cl::desc("Fold the FFN gating into the fused gate/up BitLinear "
               "(default: on)"),
      cl::cat(category)};
  cl::opt<mlir::trit::KernelChoice> kernel{
      "kernel", cl::desc("Microkernel family of the BitLinears"),
      cl::cat(category)};
  cl::opt<mlir::trit::WeightPacking> weightPacking{
      "weight-packing", cl::desc("Ternary weight layout"), cl::cat(category)};
  cl::opt<int64_t> maxTokens{
      "max-tokens",
      cl::desc("Prompt tokens one prefill call evaluates; sizes the scratch "
               "arena (default: 64, or 128 with --prompt-lut, whose tables "
               "and weight decoding then serve twice the tokens)"),
      cl::cat(category)};
  cl::opt<mlir::trit::NormCodegen> normCodegen{
      "norm-codegen", cl::desc("How a standalone RMSNorm is lowered"),
      cl::cat(category)};
  cl::opt<mlir::trit::LMHead> lmHead{
      "lm-head", cl::desc("What the LM head reads"), cl::cat(category)};
  cl::opt<int64_t> rerankCandidates{
      "rerank-candidates",
      cl::desc("Rows per token that --lm-head=rerank recomputes exactly "
               "(1 to 8192, default 1024)"),
      cl::cat(category)};
  cl::opt<double> rerankMargin{
      "rerank-margin",
      cl::desc("Rows whose estimate is within this many standard "
               "deviations of its error of the best exact logit are "
               "recomputed too, so the greedy token is the exact head's "
               "(default 8; 0 skips the check: faster, inexact)"),
      cl::cat(category)};
  cl::opt<bool> promptLut{
      "prompt-lut",
      cl::desc("Prompts' T3X5 BitLinears (calls of 8 tokens or more) "
               "through int8 lookup tables: about 1.7x the exact kernels' "
               "speed, inexact (its perplexity cost is in "
               "docs/performance.md); needs AVX-512 VBMI. Generation keeps "
               "the exact kernels"),
      cl::cat(category)};
  cl::opt<int64_t> maxContext{
      "max-context",
      cl::desc("Largest context the runtime may create (default: the "
               "model's context length)"),
      cl::cat(category)};

  cl::opt<WeightPlacement> weights{
      "weights", cl::desc("Where --emit=exe|static-lib keep the weights"),
      cl::cat(category)};
  cl::opt<bool> staticCxxRuntime{
      "static-libstdc++",
      cl::desc("--emit=exe: link libstdc++ and libgcc statically, so the "
               "program needs only the C library"),
      cl::cat(category)};
  cl::opt<std::string> modelName{
      "model-name",
      cl::desc("--emit=static-lib: the model's C name (trit_model_NAME; "
               "default: from the output file, libNAME.a)"),
      cl::value_desc("NAME"), cl::cat(category)};
  cl::opt<std::string> runtimeDir{
      "runtime-dir",
      cl::desc("--emit=exe|static-lib: the target's runtime (default: "
               "lib/trit/<arch> beside tritc's bin/)"),
      cl::value_desc("dir"), cl::cat(category)};
};

llvm::ManagedStatic<CompileCLOptions> clOptions;

/// Sets `field` from `option` if the command line gave it.
template <typename T, typename OptionT>
void copyIfGiven(T &field, const OptionT &option) {
  if (option.getNumOccurrences())
    field = option;
}

} // namespace

void trit::driver::registerCompileCLOptions() {
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  // --mlir-print-ir-before/after=PASS look passes up by name: register them
  // before the options that parse those names.
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::trit::registerTritPassesAndPipelines();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  *clOptions;
}

bool trit::driver::hasCompileCLOptions() { return clOptions.isConstructed(); }

cl::OptionCategory &trit::driver::getCompileCLCategory() {
  return clOptions->category;
}

CompileOptions trit::driver::getCompileOptionsFromCL(const char *argv0) {
  const CompileCLOptions &flags = *clOptions;
  CompileOptions options;
  options.input = flags.input;
  copyIfGiven(options.output, flags.output);
  copyIfGiven(options.emit, flags.emit);
  copyIfGiven(options.target.triple, flags.targetTriple);
  copyIfGiven(options.target.cpu, flags.targetCPU);
  copyIfGiven(options.target.features, flags.targetFeatures);

  mlir::trit::PipelineOptions &pipeline = options.pipeline;
  copyIfGiven(pipeline.fuseGating, flags.fuseGating);
  copyIfGiven(pipeline.kernel, flags.kernel);
  copyIfGiven(pipeline.packing, flags.weightPacking);
  if (flags.maxTokens.getNumOccurrences())
    pipeline.maxTokens = flags.maxTokens;
  copyIfGiven(pipeline.maxContext, flags.maxContext);
  copyIfGiven(pipeline.normCodegen, flags.normCodegen);
  copyIfGiven(pipeline.lmHead, flags.lmHead);
  copyIfGiven(pipeline.rerankCandidates, flags.rerankCandidates);
  copyIfGiven(pipeline.rerankMargin, flags.rerankMargin);
  copyIfGiven(pipeline.promptLut, flags.promptLut);

  copyIfGiven(options.weights, flags.weights);
  copyIfGiven(options.staticCxxRuntime, flags.staticCxxRuntime);
  copyIfGiven(options.modelName, flags.modelName);
  copyIfGiven(options.runtimeDir, flags.runtimeDir);
  options.toolPath = argv0;
  return options;
}
