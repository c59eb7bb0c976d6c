//===- trit-run.cpp - run a compiled model ---------------------------------===//
//
// Opens a .trit artifact written by tritc, evaluates a prompt and generates
// tokens, streaming them, and ends with prompt and generation tokens/s.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/Sampler.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

using namespace llvm;

namespace {
cl::OptionCategory category("trit-run options");
cl::opt<std::string> input(cl::Positional, cl::Required,
                           cl::desc("<model.trit>"), cl::cat(category));
cl::opt<std::string> prompt("p", cl::desc("Prompt text"), cl::cat(category));
cl::opt<std::string> promptTokens(
    "prompt-tokens", cl::desc("Prompt as token ids: 1,2,3"),
    cl::value_desc("ids"), cl::cat(category));
cl::opt<int> generate("n", cl::desc("Tokens to generate (0: evaluate the "
                                    "prompt only)"),
                      cl::init(32), cl::cat(category));
cl::opt<int> threads("t", cl::desc("Threads (default 1)"), cl::init(1),
                     cl::cat(category));
cl::opt<int64_t> contextSize(
    "ctx-size", cl::desc("Context length (default: what the model was "
                         "compiled for)"),
    cl::init(0), cl::cat(category));
cl::opt<float> temperature("temp", cl::desc("Temperature (0: greedy)"),
                           cl::init(0.0f), cl::cat(category));
cl::opt<int> topK("top-k", cl::desc("Top-k (0: off)"), cl::init(40),
                  cl::cat(category));
cl::opt<float> topP("top-p", cl::desc("Top-p (1: off)"), cl::init(0.95f),
                    cl::cat(category));
cl::opt<float> repeatPenalty("repeat-penalty",
                             cl::desc("Repetition penalty (1: off)"),
                             cl::init(1.0f), cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Sampling seed"), cl::init(0),
                       cl::cat(category));
cl::opt<bool> ignoreEos("ignore-eos",
                        cl::desc("Keep generating after end-of-sequence"),
                        cl::cat(category));
cl::opt<bool> printTokenIds(
    "print-token-ids", cl::desc("Print the generated ids on one line"),
    cl::cat(category));
cl::opt<std::string> dumpLogits(
    "dump-logits",
    cl::desc("Write float32 logits of every evaluated position, "
             "[positions x vocab], to FILE"),
    cl::value_desc("FILE"), cl::cat(category));

int fail(const Twine &message) {
  WithColor::error(errs(), "trit-run") << message << "\n";
  return 1;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trit-run: run a model compiled by tritc\n\n"
      "  trit-run model.trit --prompt-tokens 1,2,3 -n 32 -t 2\n");
  if (generate < 0)
    return fail("-n must be 0 or more");
  if (threads < 1 || threads > 1024)
    return fail("-t must be between 1 and 1024");
  if (!prompt.empty())
    return fail("-p needs the tokenizer, which this build of trit-run does "
                "not have yet; give the prompt as --prompt-tokens");

  auto artifact = trit::Artifact::open(input);
  if (!artifact)
    return fail(toString(artifact.takeError()));
  const trit::CompiledModelInfo &info = (*artifact)->getInfo();

  std::vector<int32_t> tokens;
  SmallVector<StringRef> parts;
  StringRef(promptTokens).split(parts, ',', -1, false);
  for (StringRef part : parts) {
    int64_t id;
    if (part.trim().getAsInteger(10, id))
      return fail("--prompt-tokens: '" + part + "' is not a token id");
    if (id < 0 || id >= info.vocab)
      return fail("--prompt-tokens: token " + Twine(id) +
                  " is outside the vocabulary of " + Twine(info.vocab));
    tokens.push_back(int32_t(id));
  }
  if (tokens.empty())
    return fail("no prompt: give --prompt-tokens 1,2,3");

  int64_t capacity = contextSize ? int64_t(contextSize) : info.maxContext;
  if (int64_t(tokens.size()) > capacity)
    return fail("the prompt has " + Twine(tokens.size()) +
                " tokens; the context holds " + Twine(capacity));
  auto exec = trit::Executor::create(info, (*artifact)->getWeights(),
                                     capacity, threads);
  if (!exec)
    return fail(toString(exec.takeError()));

  std::vector<float> logits(tokens.size() * info.vocab);
  auto now = [] { return std::chrono::steady_clock::now(); };
  auto t0 = now();
  if (Error e = (*exec)->prefill(tokens, 0, logits.data()))
    return fail(toString(std::move(e)));
  double promptSeconds = std::chrono::duration<double>(now() - t0).count();

  const auto *tok = (*artifact)->getHeader().tokenizer();
  int64_t eos = tok ? tok->eos_id() : -1, eot = tok ? tok->eot_id() : -1;
  trit::SamplerOptions samplerOptions;
  samplerOptions.temperature = temperature;
  samplerOptions.topK = topK;
  samplerOptions.topP = topP;
  samplerOptions.repeatPenalty = repeatPenalty;
  samplerOptions.seed = seed;
  trit::Sampler sampler(samplerOptions);

  std::vector<int32_t> history = tokens, generated;
  auto t1 = now();
  for (int step = 0; step < generate; ++step) {
    int64_t position = history.size();
    const float *last = &logits[(position - 1) * info.vocab];
    int32_t next = sampler.sample(last, info.vocab, history);
    generated.push_back(next);
    history.push_back(next);
    if (!printTokenIds) {
      outs() << (step ? " " : "") << next;
      outs().flush();
    }
    if (!ignoreEos && (next == eos || next == eot))
      break;
    if (position >= capacity) {
      errs() << "\ntrit-run: the context of " << capacity
             << " tokens is full\n";
      break;
    }
    logits.resize((position + 1) * info.vocab);
    if (Error e = (*exec)->decode(next, position,
                                  &logits[position * info.vocab]))
      return fail(toString(std::move(e)));
  }
  double generationSeconds = std::chrono::duration<double>(now() - t1).count();
  if (printTokenIds)
    for (size_t i = 0; i < generated.size(); ++i)
      outs() << (i ? "," : "") << generated[i];
  outs() << "\n";
  outs().flush();
  errs() << format("prompt: %zu tokens, %.2f tok/s; generation: %zu tokens, "
                   "%.2f tok/s; %d thread%s\n",
                   tokens.size(), tokens.size() / promptSeconds,
                   generated.size(),
                   generated.empty() ? 0.0
                                     : generated.size() / generationSeconds,
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
