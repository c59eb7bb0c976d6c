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

cl::opt<bool> promptLut("prompt-lut",
                        cl::desc("compile as tritc --prompt-lut does"));
cl::opt<int> batchWith(
    "batch-with", cl::init(0),
    cl::desc("generate beside N other sequences (their own prompts, "
             "positions and KV caches), one Executor::decodeBatch per step; "
             "the others skip some steps so the batch changes size"));

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
  options.promptLut = promptLut;
  trit::CompiledModelInfo info;
  std::vector<std::pair<std::string, trit::WeightLayout>> weightTable;
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
    auto bytes = trit::packWeight(*weight, layout, converted);
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
  auto exec =
      trit::Executor::create(info, weights, capacity, threads, 1 + batchWith);
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
  if (batchWith > 0) {
    // The others: prompts of other tokens and lengths, then greedy steps
    // in which sequence k takes part unless step % (k + 1) == k.
    struct Other {
      std::vector<float> logits;
      int64_t position;
    };
    std::vector<Other> others(batchWith);
    for (int k = 1; k <= batchWith; ++k) {
      std::vector<int32_t> tokens;
      for (size_t i = 0; i < prompt.size() + k % 3; ++i)
        tokens.push_back((prompt[i % prompt.size()] + 7 * k + i) % info.vocab);
      std::vector<float> all(tokens.size() * info.vocab);
      if (trit::Error e = (*exec)->prefillSequence(k, tokens.data(),
                                                   tokens.size(), 0, all.data()))
        return fail(toString(std::move(e)));
      others[k - 1].logits.assign(all.end() - info.vocab, all.end());
      others[k - 1].position = tokens.size();
    }
    auto greedy = [&](const float *row) {
      return int32_t(std::max_element(row, row + info.vocab) - row);
    };
    std::vector<float> out;
    for (int step = 0; step < generate; ++step) {
      const float *last = &logits[(position - 1) * info.vocab];
      std::vector<trit::DecodeRow> rows;
      std::vector<int> who;
      for (int k = 1; k <= batchWith; ++k) {
        if (step % (k + 1) == k ||
            others[k - 1].position >= capacity)
          continue;
        rows.push_back({k, greedy(others[k - 1].logits.data()),
                        others[k - 1].position});
        who.push_back(k);
      }
      // Sequence 0 in the middle of the batch.
      int32_t next = greedy(last);
      generated.push_back(next);
      size_t mine = rows.size() / 2;
      rows.insert(rows.begin() + mine, {0, next, position});
      who.insert(who.begin() + mine, 0);
      out.resize(rows.size() * info.vocab);
      if (trit::Error e =
              (*exec)->decodeBatch(rows.data(), rows.size(), out.data()))
        return fail(toString(std::move(e)));
      for (size_t i = 0; i < rows.size(); ++i) {
        const float *row = &out[i * info.vocab];
        if (who[i] == 0) {
          logits.insert(logits.end(), row, row + info.vocab);
          ++position;
        } else {
          others[who[i] - 1].logits.assign(row, row + info.vocab);
          ++others[who[i] - 1].position;
        }
      }
    }
  }
  for (int step = 0; batchWith == 0 && step < generate; ++step) {
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
