//===- trit-run-compiled.cpp - compile a model in-process and run it ------===//
//
// A test harness for the compiler's generated code, ahead of the artifact:
// imports MODEL, compiles it for the host exactly as tritc does, links and
// loads the code as tritc and the runtime do, and evaluates tokens
// through the runtime's Executor. Prints the greedy continuation and dumps
// the logits of every evaluated position, for comparison with the NumPy
// reference (test/Inputs/reference-forward.py).
//
//===----------------------------------------------------------------------===//

#include "CompileAndLoad.h"

#include "trit/Compiler/CodeGen.h"
#include "trit/Compiler/Driver.h"
#include "trit/Frontends/Model.h"
#include "trit/Runtime/Executor.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>
#include <cstring>

using namespace llvm;

namespace {
cl::opt<std::string> input(cl::Positional, cl::Required, cl::desc("<model>"));
cl::opt<std::string> targetCPU("target-cpu", cl::init("host"));
cl::opt<mlir::trit::KernelChoice> kernel("kernel");
cl::opt<mlir::trit::NormCodegen> normCodegen("norm-codegen");
cl::opt<int64_t> maxTokens("max-tokens");
cl::list<int32_t> promptTokens("prompt-tokens", cl::CommaSeparated,
                               cl::desc("prompt token ids"));
cl::opt<int> generate("n", cl::init(0), cl::desc("greedy steps"));
cl::opt<int> threads("t", cl::init(1));
cl::opt<int64_t> contextSize("ctx-size", cl::init(0));
cl::opt<std::string> dumpLogits("dump-logits", cl::init(""));
cl::opt<bool> showTimings("timings",
                          cl::desc("print prompt and generation tokens/s"));
cl::opt<bool> promptByDecode("prompt-by-decode",
                             cl::desc("evaluate the prompt one decode step "
                                      "per token"));

int fail(const Twine &message) {
  WithColor::error(errs(), "trit-run-compiled") << message << "\n";
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "trit-run-compiled\n");
  auto model = trit::importModel(input);
  if (!model)
    return fail(toString(model.takeError()));

  mlir::DialectRegistry registry;
  trit::registerCodeGenTranslations(registry);
  mlir::MLIRContext context(registry);
  trit::TargetOptions targetOptions;
  targetOptions.cpu = targetCPU;
  auto target = trit::resolveTarget(context, targetOptions);
  if (!target)
    return fail(toString(target.takeError()));
  auto module = trit::driver::buildTargetModule(context, **model, *target);
  if (!module)
    return fail(toString(module.takeError()));
  mlir::trit::PipelineOptions options;
  options.kernel = kernel;
  options.normCodegen = normCodegen;
  if (maxTokens.getNumOccurrences())
    options.maxTokens = maxTokens;
  trit::CompiledModelInfo info;
  std::vector<std::pair<std::string, std::string>> weightTable;
  if (Error e = trit::harness::compileAndLoad(**module, options, info,
                                              weightTable))
    return fail(toString(std::move(e)));

  std::vector<std::vector<uint8_t>> storage;
  std::vector<const void *> weights;
  for (const auto &[name, layout] : weightTable) {
    const trit::Weight *weight = (*model)->lookup(name);
    if (!weight)
      return fail("no weight " + name);
    std::vector<uint8_t> converted;
    auto bytes = trit::getWeightBytes(*weight, layout, converted);
    if (!bytes)
      return fail(toString(bytes.takeError()));
    // 64-byte aligned copies (padded: kernels may read a vector past a row).
    storage.emplace_back(bytes->size() + 128);
    auto *base = storage.back().data();
    auto *aligned = base + ((64 - reinterpret_cast<uintptr_t>(base) % 64) % 64);
    std::memcpy(aligned, bytes->data(), bytes->size());
    weights.push_back(aligned);
  }

  int64_t capacity = contextSize ? int64_t(contextSize) : info.maxContext;
  auto exec = trit::Executor::create(info, weights, capacity, threads);
  if (!exec)
    return fail(toString(exec.takeError()));

  std::vector<int32_t> prompt(promptTokens.begin(), promptTokens.end());
  if (prompt.empty())
    return fail("--prompt-tokens is required");
  std::vector<float> logits(prompt.size() * info.vocab);
  auto now = [] { return std::chrono::steady_clock::now(); };
  auto promptStart = now();
  if (promptByDecode) {
    for (size_t i = 0; i < prompt.size(); ++i)
      if (trit::Error e = (*exec)->decode(prompt[i], i, &logits[i * info.vocab]))
        return fail(toString(std::move(e)));
  } else if (trit::Error e = (*exec)->prefill(prompt, 0, logits.data())) {
    return fail(toString(std::move(e)));
  }
  double promptSeconds =
      std::chrono::duration<double>(now() - promptStart).count();
  auto generationStart = now();
  std::vector<int32_t> generated;
  int64_t position = prompt.size();
  for (int step = 0; step < generate; ++step) {
    const float *last = &logits[(position - 1) * info.vocab];
    int32_t next = std::max_element(last, last + info.vocab) - last;
    generated.push_back(next);
    logits.resize((position + 1) * info.vocab);
    if (trit::Error e =
            (*exec)->decode(next, position, &logits[position * info.vocab]))
      return fail(toString(std::move(e)));
    ++position;
  }
  double generationSeconds =
      std::chrono::duration<double>(now() - generationStart).count();
  for (size_t i = 0; i < generated.size(); ++i)
    outs() << (i ? "," : "") << generated[i];
  outs() << "\n";
  if (showTimings)
    errs() << format("prompt: %zu tokens, %.1f tok/s; generation: %zu "
                     "tokens, %.1f tok/s (%d thread%s)\n",
                     prompt.size(), prompt.size() / promptSeconds,
                     generated.size(), generated.size() / generationSeconds,
                     int(threads), threads == 1 ? "" : "s");
  if (!dumpLogits.empty()) {
    std::error_code ec;
    raw_fd_ostream os(dumpLogits, ec);
    if (ec)
      return fail(dumpLogits + ": " + ec.message());
    os.write(reinterpret_cast<const char *>(logits.data()),
             logits.size() * sizeof(float));
  }
  return 0;
}
