//===- Driver.h - compile a model from one set of options -------*- C++ -*-===//
//
// What tritc does, as a library: import a model (a GGUF file or a Hugging
// Face folder), build the trit pipelines from PipelineOptions, run them and
// write the output kind asked for, from a stage of IR to a linked program.
// tritc is its command line (registerCompileCLOptions), and the test
// harnesses run the same pipelines through runPipelines.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_DRIVER_H
#define TRIT_COMPILER_DRIVER_H

#include "trit/Compiler/EnumOption.h"
#include "trit/Compiler/Options.h"
#include "trit/Compiler/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/Support/Error.h"

#include <optional>
#include <string>

namespace trit {
class Model;
} // namespace trit

namespace trit::driver {

/// What tritc writes (--emit).
enum class OutputKind {
  Artifact, Exe, StaticLib, MLIR, OptMLIR, LLVMMLIR, LLVM, Asm, Obj,
  Tokenizer, Summary
};
llvm::ArrayRef<mlir::trit::EnumOptionValue<OutputKind>>
getEnumOptionValues(OutputKind);

/// Where a linked program keeps its weights (--weights).
enum class WeightPlacement { Embedded, External };
llvm::ArrayRef<mlir::trit::EnumOptionValue<WeightPlacement>>
getEnumOptionValues(WeightPlacement);

/// Everything one compile needs.
struct CompileOptions {
  /// A GGUF file or a Hugging Face folder.
  std::string input;
  /// "-": stdout (only for the kinds that are printed).
  std::string output = "-";
  OutputKind emit = OutputKind::Artifact;
  TargetOptions target;
  mlir::trit::PipelineOptions pipeline;

  // Linked programs (OutputKind::Exe and OutputKind::StaticLib).
  WeightPlacement weights = WeightPlacement::Embedded;
  /// Exe: libstdc++ and libgcc linked statically.
  bool staticCxxRuntime = false;
  /// StaticLib: the model's C name; empty: from the output's file name.
  std::string modelName;
  /// The target's runtime; empty: lib/trit/<arch> beside toolPath's bin/.
  std::string runtimeDir;
  /// The running tool (argv[0]), which the runtime is found beside.
  std::string toolPath;

  /// Show the stage and the share of weights packed on stderr; unset: when
  /// stderr is a terminal.
  std::optional<bool> showProgress;
};

/// Compiles `options.input` and writes `options.output`. Errors name the
/// input or the option at fault; nothing is left at the output on error.
llvm::Error compile(const CompileOptions &options);

/// The imported model as a trit module for `target`, verified.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildTargetModule(mlir::MLIRContext &context, const Model &model,
                  mlir::trit::TargetAttr target);

/// Runs trit-optimize on `module` (which carries its #trit.target), then
/// trit-lower unless `lower` is false, with MLIR's pass manager options
/// from the command line (IR printing, timing) when the tool called
/// registerCompileCLOptions.
llvm::Error runPipelines(mlir::ModuleOp module,
                         const mlir::trit::PipelineOptions &options,
                         bool lower = true);

/// Registers tritc's options, and the MLIR options it honours
/// (--mlir-print-ir-*, --mlir-timing, ...), with llvm::cl.
void registerCompileCLOptions();
/// The category of tritc's own options, for cl::HideUnrelatedOptions.
llvm::cl::OptionCategory &getCompileCLCategory();
/// The options given on the command line (after cl::ParseCommandLineOptions).
CompileOptions getCompileOptionsFromCL(const char *argv0);

} // namespace trit::driver

TRIT_ENUM_OPTION_PARSER(trit::driver::OutputKind)
TRIT_ENUM_OPTION_PARSER(trit::driver::WeightPlacement)

#endif // TRIT_COMPILER_DRIVER_H
