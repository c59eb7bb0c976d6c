//===- trit-codegen-bench.cpp - C kernel vs vector-dialect code on one op -===//
//
// Compiles a synthetic model that is a chain of RMSNorms over rows of 2560
// (the BitNet 2B4T width) twice, with the C kernel and with the generated
// vector-dialect loops (norm-codegen=vector), for the host CPU, and times
// prefill over 1 and 64 rows. Prints ns per norm and GB/s moved. The results
// are in docs/design/lowering.md.
//
//===----------------------------------------------------------------------===//

#include "CompileAndLoad.h"

#include "trit/Compiler/CodeGen.h"
#include "trit/Compiler/Target.h"
#include "trit/InitTritDialects.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <random>

using namespace llvm;

namespace {
cl::opt<int> norms("norms", cl::init(64), cl::desc("RMSNorms in the chain"));
cl::opt<int64_t> width("width", cl::init(2560), cl::desc("row width"));
cl::opt<int> repeats("r", cl::init(200), cl::desc("prefill calls per timing"));

std::string buildChain(int count, int64_t cols) {
  std::string t = "tensor<?x" + std::to_string(cols) + "xf32>";
  std::string w = "tensor<" + std::to_string(cols) + "xf32>";
  std::string table = "tensor<8x" + std::to_string(cols) + "xf32>";
  std::string s =
      "module attributes {trit.model = {context_length = 64 : i64, "
      "vocab_size = 8 : i64}} {\n"
      "  trit.global @table : " + table + " = #trit.external<\"m\", \"t\">\n"
      "  trit.global @w0 : " + w + " = #trit.external<\"m\", \"w0\">\n"
      "  trit.global @w1 : " + w + " = #trit.external<\"m\", \"w1\">\n"
      "  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> " +
      t + " {\n"
      "    %t = trit.weight @table : " + table + "\n"
      "    %w0 = trit.weight @w0 : " + w + "\n"
      "    %w1 = trit.weight @w1 : " + w + "\n"
      "    %x0 = trit.embedding %t[%tokens] : " + table +
      ", tensor<?xi32> -> " + t + "\n";
  for (int i = 0; i < count; ++i)
    s += "    %x" + std::to_string(i + 1) + " = trit.rms_norm %x" +
         std::to_string(i) + ", %w" + std::to_string(i % 2) +
         " eps 1.0e-05 : " + t + ", " + w + "\n";
  s += "    return %x" + std::to_string(count) + " : " + t + "\n  }\n";
  for (const char *entry : {"prefill", "decode"})
    s += std::string("  func.func @") + entry +
         "(%tokens: tensor<?xi32>, %pos: index) -> " + t +
         " attributes {trit.entry_point = \"" + entry + "\"} {\n"
         "    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> " +
         t + "\n    return %r : " + t + "\n  }\n";
  return s + "}\n";
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "trit-codegen-bench\n");
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  int64_t cols = width;
  std::vector<float> table(8 * cols), w0(cols), w1(cols);
  for (auto *v : {&table, &w0, &w1})
    for (float &x : *v)
      x = dist(rng);

  outs() << "codegen    rows      ns/norm       GB/s\n";
  std::vector<float> reference;
  for (mlir::trit::NormCodegen codegen :
       {mlir::trit::NormCodegen::Kernel, mlir::trit::NormCodegen::Vector}) {
    mlir::DialectRegistry registry;
    mlir::trit::registerTritDialects(registry);
    trit::registerCodeGenTranslations(registry);
    mlir::MLIRContext context(registry);
    auto module = mlir::parseSourceString<mlir::ModuleOp>(
        buildChain(norms, cols), &context);
    if (!module)
      return 1;
    auto target = trit::resolveTarget(context, {});
    if (!target) {
      errs() << toString(target.takeError()) << "\n";
      return 1;
    }
    (*module)->setAttr(mlir::trit::TargetAttr::getAttrName(), *target);
    mlir::trit::PipelineOptions options;
    options.normCodegen = codegen;
    trit::CompiledModelInfo info;
    std::vector<std::pair<std::string, trit::WeightLayout>> weightTable;
    if (Error e = trit::harness::compileAndLoad(*module, options, info,
                                                weightTable)) {
      errs() << toString(std::move(e)) << "\n";
      return 1;
    }
    info.vocab = cols; // the "logits" are the last norm's rows
    auto exec = trit::Executor::create(
        info, {table.data(), w0.data(), w1.data()}, 64, 1);
    if (!exec) {
      errs() << toString(exec.takeError()) << "\n";
      return 1;
    }
    for (int64_t rows : {int64_t(1), int64_t(64)}) {
      std::vector<int32_t> tokens(rows);
      for (int64_t i = 0; i < rows; ++i)
        tokens[i] = i % 8;
      std::vector<float> out(rows * cols);
      double best = 1e30;
      for (int trial = 0; trial < 5; ++trial) {
        auto t0 = std::chrono::steady_clock::now();
        for (int r = 0; r < repeats; ++r)
          if (trit::Error e = (*exec)->prefill(tokens, 0, out.data())) {
            errs() << toString(std::move(e)) << "\n";
            return 1;
          }
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
                .count();
        best = std::min(best, seconds / repeats / norms);
      }
      // Each norm reads its input twice (sum, scale), the weight, and
      // writes its output.
      double bytes = double(rows) * cols * 4 * 3 + cols * 4;
      outs() << format("%-8s %6lld %12.1f %10.1f\n",
                       mlir::trit::stringifyEnumOption(codegen).data(),
                       (long long)rows, best * 1e9, bytes / best / 1e9);
      if (rows == 64) {
        if (reference.empty())
          reference = out;
        else if (reference != out)
          outs() << "  (the two codegens' results differ)\n";
      }
    }
  }
  return 0;
}
