//===- tritc.cpp - the Trit compiler driver -------------------------------===//
//
// Imports a model (a GGUF file or a Hugging Face folder) and writes what
// --emit asks for. The work, and the options, are the Driver library's.
//
//===----------------------------------------------------------------------===//

#include "trit/Compiler/Driver.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"

static const char *const kOverview =
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
    "  tritc model.gguf --emit=summary   describe the model and its tensors\n";

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  trit::driver::registerCompileCLOptions();
  // libLLVM registers hundreds of options; --help-hidden lists them all,
  // including MLIR's --mlir-print-ir-after-all, --mlir-print-ir-before=PASS,
  // --mlir-timing and the other --mlir-* options, which all work.
  llvm::cl::HideUnrelatedOptions(trit::driver::getCompileCLCategory());
  llvm::cl::ParseCommandLineOptions(argc, argv, kOverview);
  if (llvm::Error e = trit::driver::compile(
          trit::driver::getCompileOptionsFromCL(argv[0]))) {
    llvm::WithColor::error(llvm::errs(), "tritc")
        << llvm::toString(std::move(e)) << "\n";
    return 1;
  }
  return 0;
}
