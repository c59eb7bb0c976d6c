//===- trit-perplexity.cpp - perplexity of a compiled model over a text ---===//
//
// Like llama-perplexity: the text is tokenized (with BOS), cut into chunks of
// --ctx tokens, each chunk evaluated from an empty context with its first
// token replaced by BOS, and the tokens of the second half of each chunk
// scored (the first half is their context). Prints the running perplexity
// per chunk and the final value with its standard error.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/HostThreads.h"
#include "trit/Runtime/Tokenizer.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>

using namespace llvm;

namespace {
cl::OptionCategory category("trit-perplexity options");
cl::opt<std::string> input(cl::Positional, cl::Required,
                           cl::desc("<model.trit>"), cl::cat(category));
cl::opt<std::string> textFile("f", cl::Required,
                              cl::desc("Text file to score"),
                              cl::value_desc("file"), cl::cat(category));
cl::opt<int64_t> contextSize(
    "ctx", cl::desc("Tokens per chunk (default: 512, at most the model's "
                    "context)"),
    cl::init(0), cl::cat(category));
cl::opt<int64_t> maxChunks("chunks",
                           cl::desc("Score at most this many chunks (0: all)"),
                           cl::init(0), cl::cat(category));
cl::opt<bool> estimatedLogits(
    "estimated-logits",
    cl::desc("Score the logits generation samples from: a reranking LM "
             "head's estimates for the rows it does not recompute (default: "
             "every logit from the exact table)"),
    cl::cat(category));
cl::opt<int> threads("t",
                     cl::desc("Threads (default 0: the CPUs this process may "
                              "use, at most one per physical core)"),
                     cl::init(0), cl::cat(category));

int fail(const Twine &message) {
  WithColor::error(errs(), "trit-perplexity") << message << "\n";
  return 1;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  // --help says what the default is on this machine.
  std::string threadsHelp =
      "Threads (default 0: the CPUs this process may use, at most one per "
      "physical core; here " +
      std::to_string(trit::defaultThreadCount()) + ": " +
      trit::detectHostThreads().describe() + ")";
  threads.setDescription(threadsHelp);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trit-perplexity: perplexity of a compiled model over a text\n\n"
      "  trit-perplexity model.trit -f text.txt --ctx 256 -t 2\n");
  if (threads < 0 || threads > 1024)
    return fail("-t must be between 0 (the default) and 1024");
  int threadCount = threads ? int(threads) : trit::defaultThreadCount();
  auto artifact = trit::Artifact::open(input);
  if (!artifact)
    return fail(toString(artifact.takeError()));
  auto tokenizer = trit::Tokenizer::create((*artifact)->getTokenizerSpec());
  if (!tokenizer)
    return fail(input + ": " + toString(tokenizer.takeError()));
  const trit::CompiledModelInfo &info = (*artifact)->getInfo();

  auto text = MemoryBuffer::getFile(textFile, /*IsText=*/false,
                                    /*RequiresNullTerminator=*/false);
  if (!text)
    return fail(textFile + ": " + text.getError().message());
  int64_t ctx = contextSize ? int64_t(contextSize)
                            : std::min<int64_t>(512, info.maxContext);
  if (ctx < 4 || ctx > info.maxContext)
    return fail("--ctx " + Twine(ctx) + " is not between 4 and the model's " +
                Twine(info.maxContext));
  const trit::TokenizerSpec &spec = (*tokenizer)->getSpec();
  std::vector<int32_t> tokens =
      (*tokenizer)->encode((*text)->getBuffer(), spec.addBos, false);
  int64_t chunks = int64_t(tokens.size()) / ctx;
  if (chunks == 0)
    return fail(textFile + ": " + Twine(tokens.size()) +
                " tokens; --ctx " + Twine(ctx) + " needs at least " +
                Twine(ctx));
  if (maxChunks > 0)
    chunks = std::min<int64_t>(chunks, maxChunks);

  auto exec =
      trit::Executor::create(info, (*artifact)->getWeights(), ctx, threadCount);
  if (!exec)
    return fail(toString(exec.takeError()));
  (*exec)->setExactLogits(!estimatedLogits);
  errs() << "trit-perplexity: " << tokens.size() << " tokens, " << chunks
         << " chunks of " << ctx << ", scoring the second half of each, "
         << threadCount << (threadCount == 1 ? " thread\n" : " threads\n");

  std::vector<float> logits(ctx * info.vocab);
  double nll = 0, nll2 = 0;
  int64_t scored = 0;
  auto start = std::chrono::steady_clock::now();
  for (int64_t c = 0; c < chunks; ++c) {
    std::vector<int32_t> chunk(tokens.begin() + c * ctx,
                               tokens.begin() + (c + 1) * ctx);
    if (spec.addBos && spec.bosId >= 0)
      chunk[0] = int32_t(spec.bosId);
    if (trit::Error e = (*exec)->prefill(chunk, 0, logits.data()))
      return fail(toString(std::move(e)));
    for (int64_t j = ctx / 2; j + 1 < ctx; ++j) {
      const float *row = &logits[j * info.vocab];
      double max = row[0];
      for (int64_t v = 1; v < info.vocab; ++v)
        max = std::max<double>(max, row[v]);
      double sum = 0;
      for (int64_t v = 0; v < info.vocab; ++v)
        sum += std::exp(double(row[v]) - max);
      double loss = std::log(sum) + max - row[tokens[c * ctx + j + 1]];
      nll += loss;
      nll2 += loss * loss;
      ++scored;
    }
    outs() << format("[%lld]%.4f,", (long long)(c + 1), std::exp(nll / scored));
    outs().flush();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  double mean = nll / scored;
  double variance = nll2 / scored - mean * mean;
  double stderrMean =
      scored > 1 ? std::sqrt(std::max(0.0, variance) / (scored - 1)) : 0.0;
  double ppl = std::exp(mean);
  outs() << format("\nFinal estimate: PPL = %.4f +/- %.5f\n", ppl,
                   ppl * stderrMean);
  errs() << format("trit-perplexity: %lld tokens scored, %.1f tokens/s "
                   "evaluated\n",
                   (long long)scored, chunks * ctx / seconds);
  return 0;
}
