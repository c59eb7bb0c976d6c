//===- tritc.cpp - the Trit compiler driver -------------------------------===//
//
// Imports a model (a GGUF file or a Hugging Face folder) and writes what
// --emit asks for.
//
//===----------------------------------------------------------------------===//

#include "trit/Frontends/ModelBuilder.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;

namespace {
enum class Emit { MLIR, Tokenizer, Summary };

cl::OptionCategory category("tritc options");
cl::opt<std::string> input(cl::Positional, cl::Required,
                           cl::desc("<model.gguf | hugging-face-folder>"),
                           cl::cat(category));
cl::opt<std::string> output("o", cl::desc("Output file (default: stdout)"),
                            cl::value_desc("file"), cl::init("-"),
                            cl::cat(category));
cl::opt<Emit> emit(
    "emit", cl::desc("What to write"), cl::init(Emit::MLIR),
    cl::values(clEnumValN(Emit::MLIR, "mlir",
                          "the imported model in the trit dialect"),
               clEnumValN(Emit::Tokenizer, "tokenizer",
                          "the tokenizer data as JSON"),
               clEnumValN(Emit::Summary, "summary",
                          "hyperparameters, tokenizer and a digest of every "
                          "tensor's decoded values")),
    cl::cat(category));

int fail(const Twine &message) {
  WithColor::error(errs(), "tritc") << message << "\n";
  return 1;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  // libLLVM registers hundreds of options; --help-hidden lists them all,
  // including the --mlir-print-* printing options.
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "tritc: the Trit compiler for ternary (BitNet b1.58) models\n\n"
      "  tritc model.gguf --emit=mlir      print the imported trit module\n"
      "  tritc hf-folder/ --emit=tokenizer print the tokenizer data\n"
      "  tritc model.gguf --emit=summary   describe the model and its tensors\n");

  Expected<std::unique_ptr<trit::Model>> model = trit::importModel(input);
  if (!model)
    return fail(toString(model.takeError()));

  std::string error;
  auto out = mlir::openOutputFile(output, &error);
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
  case Emit::MLIR: {
    mlir::MLIRContext context;
    mlir::OwningOpRef<mlir::ModuleOp> module =
        trit::buildModule(context, **model);
    if (mlir::failed(mlir::verify(*module)))
      return fail("internal error: the imported module does not verify");
    module->print(out->os());
    out->os() << "\n";
    break;
  }
  }
  out->keep();
  return 0;
}
