//===- trit-run.cpp - run a compiled model ---------------------------------===//
//
// Opens a .trit artifact written by tritc, evaluates a prompt (text or token
// ids) and generates, streaming the text, or holds a chat; ends with prompt
// and generation tokens/s.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/Sampler.h"
#include "trit/Runtime/Tokenizer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <iostream>

using namespace llvm;

namespace {
cl::OptionCategory category("trit-run options");
cl::opt<std::string> input(cl::Positional, cl::Required,
                           cl::desc("<model.trit>"), cl::cat(category));
cl::opt<std::string> prompt("p", cl::desc("Prompt text"),
                            cl::value_desc("text"), cl::cat(category));
cl::opt<std::string> promptTokens(
    "prompt-tokens", cl::desc("Prompt as token ids: 1,2,3"),
    cl::value_desc("ids"), cl::cat(category));
cl::opt<bool> chat("chat",
                   cl::desc("Hold a conversation: one user turn per line of "
                            "standard input (-p is the first)"),
                   cl::cat(category));
cl::opt<int> generate("n", cl::desc("Tokens to generate, per turn in a chat "
                                    "(0: evaluate the prompt only)"),
                      cl::init(128), cl::cat(category));
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
    "print-token-ids",
    cl::desc("Print the generated ids on one line instead of the text"),
    cl::cat(category));
cl::opt<bool> tokenizeOnly(
    "tokenize", cl::desc("Print the prompt's token ids and exit"),
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

/// One context: what has been evaluated, the logits of the last position,
/// and with --dump-logits those of every position (only then: for a
/// 128k-token vocabulary that is half a megabyte per position).
struct Session {
  trit::Executor &exec;
  const trit::CompiledModelInfo &info;
  const trit::Tokenizer *tokenizer;
  trit::Sampler sampler;
  std::vector<int32_t> history;
  std::vector<float> last;
  std::vector<float> dumped;
  size_t promptTokens = 0, generatedTokens = 0;
  double promptSeconds = 0, generationSeconds = 0;

  static double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
        .count();
  }

  Error evaluate(const std::vector<int32_t> &tokens) {
    if (history.size() + tokens.size() > size_t(exec.getCapacity()))
      return createStringError(
          inconvertibleErrorCode(),
          "the prompt has " + Twine(tokens.size()) + " tokens; " +
              Twine(exec.getCapacity() - int64_t(history.size())) +
              " of the context's " + Twine(exec.getCapacity()) +
              " are left");
    auto t0 = std::chrono::steady_clock::now();
    // The LM head runs for every position only when they are dumped.
    if (dumpLogits.empty()) {
      last.resize(info.vocab);
      if (Error e = exec.prefill(tokens, history.size(), last.data(),
                                 /*lastOnly=*/true))
        return e;
    } else {
      size_t before = dumped.size();
      dumped.resize(before + tokens.size() * info.vocab);
      if (Error e = exec.prefill(tokens, history.size(), &dumped[before]))
        return e;
      last.assign(dumped.end() - info.vocab, dumped.end());
    }
    history.insert(history.end(), tokens.begin(), tokens.end());
    promptTokens += tokens.size();
    promptSeconds += since(t0);
    return Error::success();
  }

  /// Samples up to `n` tokens, streaming them; every sampled token is
  /// evaluated, so the context holds it for the next turn.
  Expected<std::vector<int32_t>> generate(int n) {
    std::vector<int32_t> out;
    auto t0 = std::chrono::steady_clock::now();
    for (int step = 0; step < n; ++step) {
      int64_t position = history.size();
      if (position >= exec.getCapacity()) {
        errs() << "\ntrit-run: the context of " << exec.getCapacity()
               << " tokens is full\n";
        break;
      }
      int32_t next = sampler.sample(last.data(), info.vocab, history);
      out.push_back(next);
      if (!printTokenIds && tokenizer) {
        outs() << tokenizer->decode(next);
        outs().flush();
      }
      if (Error e = exec.decode(next, position, last.data()))
        return std::move(e);
      if (!dumpLogits.empty())
        dumped.insert(dumped.end(), last.begin(), last.end());
      history.push_back(next);
      ++generatedTokens;
      if (!ignoreEos && tokenizer && tokenizer->isEndOfGeneration(next))
        break;
    }
    generationSeconds += since(t0);
    return out;
  }
};

Expected<std::vector<int32_t>> parseTokenIds(StringRef text, int64_t vocab) {
  std::vector<int32_t> tokens;
  SmallVector<StringRef> parts;
  text.split(parts, ',', -1, false);
  for (StringRef part : parts) {
    int64_t id;
    if (part.trim().getAsInteger(10, id))
      return createStringError(inconvertibleErrorCode(),
                               "--prompt-tokens: '" + part +
                                   "' is not a token id");
    if (id < 0 || id >= vocab)
      return createStringError(inconvertibleErrorCode(),
                               "--prompt-tokens: token " + Twine(id) +
                                   " is outside the vocabulary of " +
                                   Twine(vocab));
    tokens.push_back(int32_t(id));
  }
  return tokens;
}
} // namespace

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "trit-run: run a model compiled by tritc\n\n"
      "  trit-run model.trit -p \"Once upon a time\" -n 64 -t 2\n"
      "  trit-run model.trit --chat\n"
      "  trit-run model.trit --prompt-tokens 1,2,3 -n 32 --print-token-ids\n");
  if (generate < 0)
    return fail("-n must be 0 or more");
  if (threads < 1 || threads > 1024)
    return fail("-t must be between 1 and 1024");
  if (!prompt.empty() && !promptTokens.empty())
    return fail("give the prompt as -p text or as --prompt-tokens, not both");

  auto artifact = trit::Artifact::open(input);
  if (!artifact)
    return fail(toString(artifact.takeError()));
  const trit::CompiledModelInfo &info = (*artifact)->getInfo();
  std::unique_ptr<trit::Tokenizer> tokenizer;
  if (auto t = trit::Tokenizer::create((*artifact)->getTokenizerSpec()))
    tokenizer = std::move(*t);
  else if (!prompt.empty() || chat)
    return fail(input + ": " + toString(t.takeError()));
  else
    consumeError(t.takeError());

  // The first prompt.
  std::vector<int32_t> tokens;
  if (!promptTokens.empty()) {
    auto ids = parseTokenIds(promptTokens, info.vocab);
    if (!ids)
      return fail(toString(ids.takeError()));
    tokens = std::move(*ids);
  } else if (chat) {
    if (!prompt.empty()) {
      auto turn = trit::formatChatTurn(tokenizer->getSpec(), "user", prompt,
                                       /*first=*/true, /*addAssistant=*/true);
      if (!turn)
        return fail(input + ": " + toString(turn.takeError()));
      tokens = tokenizer->encode(*turn, false, true);
    }
  } else if (!prompt.empty()) {
    tokens = tokenizer->encode(prompt, tokenizer->getSpec().addBos, true);
  } else {
    return fail("no prompt: give -p text, --prompt-tokens 1,2,3 or --chat");
  }
  if (tokenizeOnly) {
    for (size_t i = 0; i < tokens.size(); ++i)
      outs() << (i ? "," : "") << tokens[i];
    outs() << "\n";
    return 0;
  }

  int64_t capacity = contextSize ? int64_t(contextSize) : info.maxContext;
  if (int64_t(tokens.size()) > capacity)
    return fail("the prompt has " + Twine(tokens.size()) +
                " tokens; the context holds " + Twine(capacity));
  auto exec = trit::Executor::create(info, (*artifact)->getWeights(),
                                     capacity, threads);
  if (!exec)
    return fail(toString(exec.takeError()));

  trit::SamplerOptions samplerOptions;
  samplerOptions.temperature = temperature;
  samplerOptions.topK = topK;
  samplerOptions.topP = topP;
  samplerOptions.repeatPenalty = repeatPenalty;
  samplerOptions.seed = seed;
  Session session{**exec, info, tokenizer.get(), trit::Sampler(samplerOptions),
                  {}, {}, {}};

  auto report = [&] {
    errs() << format("prompt: %zu tokens, %.2f tok/s; generation: %zu "
                     "tokens, %.2f tok/s; %d thread%s\n",
                     session.promptTokens,
                     session.promptTokens / session.promptSeconds,
                     session.generatedTokens,
                     session.generatedTokens
                         ? session.generatedTokens / session.generationSeconds
                         : 0.0,
                     int(threads), threads == 1 ? "" : "s");
  };

  if (chat) {
    bool first = tokens.empty();
    if (!tokens.empty()) {
      if (Error e = session.evaluate(tokens))
        return fail(toString(std::move(e)));
      if (auto reply = session.generate(generate); !reply)
        return fail(toString(reply.takeError()));
      outs() << "\n";
    }
    std::string line;
    while (errs() << "> ", std::getline(std::cin, line)) {
      if (StringRef(line).trim().empty())
        continue;
      auto turn = trit::formatChatTurn(tokenizer->getSpec(), "user", line,
                                       first, /*addAssistant=*/true);
      if (!turn)
        return fail(input + ": " + toString(turn.takeError()));
      first = false;
      if (Error e = session.evaluate(tokenizer->encode(*turn, false, true)))
        return fail(toString(std::move(e)));
      if (auto reply = session.generate(generate); !reply)
        return fail(toString(reply.takeError()));
      outs() << "\n";
      outs().flush();
    }
    errs() << "\n";
    report();
    return 0;
  }

  if (Error e = session.evaluate(tokens))
    return fail(toString(std::move(e)));
  auto generated = session.generate(generate);
  if (!generated)
    return fail(toString(generated.takeError()));
  if (printTokenIds)
    for (size_t i = 0; i < generated->size(); ++i)
      outs() << (i ? "," : "") << (*generated)[i];
  outs() << "\n";
  outs().flush();
  report();
  if (!dumpLogits.empty()) {
    std::error_code ec;
    raw_fd_ostream os(dumpLogits, ec);
    if (ec)
      return fail(dumpLogits + ": " + ec.message());
    // Every evaluated position: the prompt and each generated token.
    os.write(reinterpret_cast<const char *>(session.dumped.data()),
             session.dumped.size() * sizeof(float));
  }
  return 0;
}
