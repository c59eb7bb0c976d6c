//===- RunCommand.cpp - trit-run's command line as a function -------------===//
//
// Opens a model (a .trit file, or the one built into the executable),
// evaluates a prompt (text or token ids) and generates, streaming the text,
// or holds a chat; ends with prompt and generation tokens/s.
//
// The options are parsed here rather than with llvm::cl, since the runtime
// has no LLVM. They keep llvm::cl's spellings: every option takes
// `-name value`, `--name value`, `-name=value` or `--name=value`, flags take
// no value, and `--` ends the options.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/RunCommand.h"
#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/CommandLine.h"
#include "trit/Runtime/HostThreads.h"
#include "trit/Runtime/Sampler.h"
#include "trit/Runtime/Tokenizer.h"
#include "trit/Server/Server.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <variant>
#include <vector>

using namespace trit;

namespace {

constexpr const char *kSpaces = " \t\n\v\f\r";
/// No prompt is read past this (-f /dev/zero, a chat line without end):
/// far more than any context holds, and the context check says why.
constexpr size_t kMaxPromptBytes = size_t(64) << 20;

/// What the command line sets, with trit-run's defaults.
struct Settings {
  std::string input;
  std::string prompt;
  std::string promptFile;
  std::string promptTokens;
  bool chat = false;
  int reasoningBudget = -1;
  int generate = 128;
  int threads = 0; // the host's default
  int64_t contextSize = 0;
  float temperature = 0.0f;
  int topK = 40;
  float topP = 0.95f;
  float repeatPenalty = 1.0f;
  uint64_t seed = 0;
  bool ignoreEos = false;
  bool printTokenIds = false;
  bool tokenizeOnly = false;
  std::string dumpLogits;
  std::string weights;
  bool serve = false; // taken before parsing; here for --help
};

/// With `forHelp`, the -t line also says what the default is here (which
/// reads /proc and /sys, so not on every run).
std::vector<Option> describeOptions(Settings &s, bool builtIn,
                                    bool forHelp = false) {
  std::string threadsHelp = "Threads (default 0: the CPUs this process may "
                            "use, at most one per physical core)";
  if (forHelp)
    threadsHelp.insert(threadsHelp.size() - 1,
                       "; here " + std::to_string(defaultThreadCount()) + ": " +
                           detectHostThreads().describe());
  std::vector<Option> options = {
      {"p", "TEXT", "Prompt text", &s.prompt},
      {"f", "FILE",
       "Prompt text from FILE (-: standard input), without its final newline",
       &s.promptFile},
      {"prompt-tokens", "IDS", "Prompt as token ids: 1,2,3", &s.promptTokens},
      {"chat", nullptr,
       "Hold a conversation: one user turn per line of standard input (-p "
       "or -f is the first)",
       &s.chat},
      {"reasoning-budget", "N",
       "Thinking in --chat, for models whose template thinks (Qwen3): -1 "
       "(the default) lets the model think first, 0 turns thinking off (an "
       "empty think block follows each generation prompt)",
       &s.reasoningBudget},
      {"n", "N",
       "Tokens to generate, per turn in a chat (default 128; 0: evaluate the "
       "prompt only)",
       &s.generate},
      {"t", "N", threadsHelp, &s.threads},
      {"ctx-size", "N",
       "Context length (default: what the model was compiled for)",
       &s.contextSize},
      {"temp", "T", "Temperature (default 0: greedy)", &s.temperature},
      {"top-k", "K", "Top-k (default 40; 0: off)", &s.topK},
      {"top-p", "P", "Top-p (default 0.95; 1: off)", &s.topP},
      {"repeat-penalty", "R",
       "Repetition penalty over the last 64 tokens (default 1: off)",
       &s.repeatPenalty},
      {"seed", "S", "Sampling seed (default 0)", &s.seed},
      {"ignore-eos", nullptr, "Keep generating after end-of-sequence",
       &s.ignoreEos},
      {"print-token-ids", nullptr,
       "Print the generated ids on one line instead of the text (with "
       "--chat, a line per reply)",
       &s.printTokenIds},
      {"tokenize", nullptr, "Print the prompt's token ids and exit",
       &s.tokenizeOnly},
      {"serve", nullptr,
       "Serve the model over the OpenAI API instead (options: --serve "
       "--help; docs/trit-server.md)",
       &s.serve},
      {"dump-logits", "FILE",
       "Write float32 logits of every evaluated position, [positions x "
       "vocab], to FILE",
       &s.dumpLogits},
  };
  if (builtIn)
    options.push_back(
        {"weights", "FILE",
         "The weights file of a program compiled with --weights=external "
         "(default: the one tritc wrote beside the program)",
         &s.weights});
  return options;
}

/// Parses the arguments into `settings`; sets `help` (and stops) at -h or
/// --help.
Error parseArguments(int argc, char **argv, bool builtIn,
                     const std::string &program,
                     const std::vector<Option> &options, Settings &settings,
                     bool &help) {
  std::vector<std::string> positional;
  if (Error e = parseOptions(argc, argv, program, options,
                             builtIn ? nullptr : &positional,
                             ": " + program + " has its model built in", help))
    return e;
  if (help)
    return Error::success();
  if (positional.size() > 1)
    return makeError("unexpected argument '" + positional[1] +
                     "': the model was already given as '" + positional[0] +
                     "'");
  if (!positional.empty())
    settings.input = positional[0];
  if (!builtIn && settings.input.empty())
    return makeError(
        "no model: give the path of a compiled model (.trit); see " +
        program + " --help");
  return Error::success();
}

std::string usage(const std::string &program, bool builtIn,
                  const std::vector<Option> &options) {
  std::string model = builtIn ? "" : " model.trit";
  std::string out = program +
                    (builtIn ? ": run the model built into this program"
                             : ": run a model compiled by tritc") +
                    "\n\nUsage: " + program + (builtIn ? "" : " MODEL.trit") +
                    " [options]\n\n";
  for (const char *example :
       {" -p \"Once upon a time\" -n 64 -t 2", " -f prompt.txt -n 64",
        " --chat", " --prompt-tokens 1,2,3 -n 32 --print-token-ids"})
    out += "  " + program + model + example + "\n";
  out += "\nOptions:\n" + describeOptionTable(options);
  return out;
}

/// One context: what has been evaluated, the logits of the last position,
/// and with --dump-logits those of every position (only then: for a
/// 128k-token vocabulary that is half a megabyte per position).
struct Session {
  const Settings &settings;
  const std::string &program;
  Executor &exec;
  const CompiledModelInfo &info;
  const Tokenizer *tokenizer;
  Sampler sampler;
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
      return makeError(
          "the prompt has " + std::to_string(tokens.size()) + " tokens; " +
          std::to_string(exec.getCapacity() - int64_t(history.size())) +
          " of the context's " + std::to_string(exec.getCapacity()) +
          " are left");
    auto t0 = std::chrono::steady_clock::now();
    // The LM head runs for every position only when they are dumped.
    if (settings.dumpLogits.empty()) {
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
        std::fflush(stdout);
        std::fprintf(stderr,
                     "\n%s: the context of %" PRId64 " tokens is full\n",
                     program.c_str(), exec.getCapacity());
        break;
      }
      int32_t next = sampler.sample(last.data(), info.vocab, history);
      out.push_back(next);
      if (!settings.printTokenIds && tokenizer) {
        std::string piece = tokenizer->decode(next);
        std::fwrite(piece.data(), 1, piece.size(), stdout);
        std::fflush(stdout);
      }
      if (Error e = exec.decode(next, position, last.data()))
        return e;
      if (!settings.dumpLogits.empty())
        dumped.insert(dumped.end(), last.begin(), last.end());
      history.push_back(next);
      ++generatedTokens;
      if (!settings.ignoreEos && tokenizer &&
          tokenizer->isEndOfGeneration(next))
        break;
    }
    generationSeconds += since(t0);
    return out;
  }
};

Expected<std::vector<int32_t>> parseTokenIds(const std::string &text,
                                             int64_t vocab) {
  std::vector<int32_t> tokens;
  for (size_t at = 0; at < text.size();) {
    size_t comma = std::min(text.find(',', at), text.size());
    std::string part = text.substr(at, comma - at);
    at = comma + 1;
    if (part.empty()) // "1,,2" and a trailing comma are fine
      continue;
    // Spaces around an id are fine too.
    size_t begin = part.find_first_not_of(kSpaces);
    std::string id =
        begin == std::string::npos
            ? ""
            : part.substr(begin, part.find_last_not_of(kSpaces) - begin + 1);
    long long value;
    if (parseInteger(id, value) != Parsed::Ok)
      return makeError("--prompt-tokens: '" + part + "' is not a token id");
    if (value < 0 || value >= vocab)
      return makeError("--prompt-tokens: token " + std::to_string(value) +
                       " is outside the vocabulary of " +
                       std::to_string(vocab));
    tokens.push_back(int32_t(value));
  }
  return tokens;
}

/// The prompt of -f: the file's bytes (NULs included; the tokenizer takes
/// them as any other byte) without one final newline, as llama.cpp's -f.
Expected<std::string> readPromptFile(const std::string &path) {
  bool standardInput = path == "-";
  FILE *file = standardInput ? stdin : std::fopen(path.c_str(), "rb");
  std::string name = standardInput ? "standard input" : "'" + path + "'";
  if (!file)
    return makeError("cannot read the prompt file " + name + ": " +
                     std::strerror(errno));
  std::string text;
  char buffer[65536];
  size_t n;
  while (text.size() <= kMaxPromptBytes &&
         (n = std::fread(buffer, 1, sizeof buffer, file)) > 0)
    text.append(buffer, n);
  // A directory opens but does not read (EISDIR).
  int error = std::ferror(file) ? errno : 0;
  if (!standardInput)
    std::fclose(file);
  if (error)
    return makeError("cannot read the prompt file " + name + ": " +
                     std::strerror(error));
  if (text.size() > kMaxPromptBytes)
    return makeError("the prompt file " + name + " is larger than " +
                     std::to_string(kMaxPromptBytes >> 20) +
                     " MiB, far more than a context holds");
  if (!text.empty() && text.back() == '\n')
    text.pop_back();
  if (text.empty())
    return makeError("the prompt file " + name + " is empty");
  return text;
}

/// Refuses a text that cannot fit in `room` more positions before it is
/// tokenized: a token stands for at most `longestToken` bytes of text, so
/// the text has at least bytes / longestToken tokens. Megabytes pasted by
/// mistake then fail at once, without seconds of tokenizing first.
/// `longestToken` is at least 1.
Error checkTextFits(size_t bytes, size_t longestToken, int64_t room,
                    int64_t capacity) {
  size_t least = (bytes + longestToken - 1) / longestToken;
  if (least <= size_t(room))
    return Error::success();
  return makeError("the prompt has at least " + std::to_string(least) +
                   " tokens (" + std::to_string(bytes) + " bytes, at most " +
                   std::to_string(longestToken) + " per token); " +
                   (room == capacity
                        ? "the context holds " + std::to_string(capacity)
                        : std::to_string(room) + " of the context's " +
                              std::to_string(capacity) + " are left"));
}

enum class LineRead { Line, End, TooLong };

/// A line of standard input without its newline.
LineRead readLine(std::string &line) {
  line.clear();
  int c;
  while ((c = std::getchar()) != EOF && c != '\n') {
    if (line.size() >= kMaxPromptBytes)
      return LineRead::TooLong;
    line += char(c);
  }
  return c != EOF || !line.empty() ? LineRead::Line : LineRead::End;
}

bool isBlank(const std::string &s) {
  return s.find_first_not_of(kSpaces) == std::string::npos;
}

} // namespace

int trit::runCommand(int argc, char **argv, const RunCommandOptions &options) {
  const std::string &program = options.programName;
  // --serve: the OpenAI-compatible server instead (its own options).
  for (int i = 1; i < argc && std::strcmp(argv[i], "--") != 0; ++i)
    if (std::strcmp(argv[i], "--serve") == 0 ||
        std::strcmp(argv[i], "-serve") == 0) {
      std::vector<char *> rest(argv, argv + argc);
      rest.erase(rest.begin() + i);
      return serveCommand(int(rest.size()), rest.data(), options);
    }
  // Standard output is flushed before anything goes to standard error, so
  // that the two stay in order when they share a pipe (as llvm::errs() is
  // tied to llvm::outs()).
  auto fail = [&](const std::string &message) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), message.c_str());
    return 1;
  };
  bool builtIn = bool(options.openBuiltInModel);
  Settings settings;
  std::vector<Option> optionTable = describeOptions(settings, builtIn);
  bool help = false;
  if (Error e = parseArguments(argc, argv, builtIn, program, optionTable,
                               settings, help))
    return fail(toString(std::move(e)));
  if (help) {
    std::string text =
        usage(program, builtIn, describeOptions(settings, builtIn, true));
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  const Settings &s = settings;
  if (s.generate < 0)
    return fail("-n must be 0 or more");
  if (s.threads < 0 || s.threads > 1024)
    return fail("-t must be between 0 (the default) and 1024");
  int threads = s.threads ? s.threads : defaultThreadCount();
  if (!s.prompt.empty() && !s.promptTokens.empty())
    return fail("give the prompt as -p text or as --prompt-tokens, not both");
  if (!s.promptFile.empty() && !s.prompt.empty())
    return fail("give the prompt as -p text or as -f FILE, not both");
  if (!s.promptFile.empty() && !s.promptTokens.empty())
    return fail("give the prompt as -f FILE or as --prompt-tokens, not both");
  if (s.chat && s.promptFile == "-")
    return fail("--chat reads its turns from standard input; give the first "
                "with -p or -f FILE, not -f -");
  if (s.contextSize < 0)
    return fail("--ctx-size must be 0 (the compiled context) or more");
  if (!(s.temperature >= 0))
    return fail("--temp must be 0 (greedy) or more");
  if (s.topK < 0)
    return fail("--top-k must be 0 (off) or more");
  if (!(s.topP > 0 && s.topP <= 1))
    return fail("--top-p must be in (0, 1] (1: off)");
  if (!(s.repeatPenalty > 0))
    return fail("--repeat-penalty must be above 0 (1: off)");
  if (s.chat && !s.dumpLogits.empty())
    return fail("--dump-logits is for a single prompt, not --chat");
  if (s.reasoningBudget != -1 && s.reasoningBudget != 0)
    return fail("--reasoning-budget must be -1 (think, the default) or 0 (no "
                "thinking); budgets of N tokens are not supported");
  if (s.reasoningBudget == 0 && !s.chat)
    return fail("--reasoning-budget 0 is for --chat turns: a prompt of -p or "
                "-f goes to the model as it is");
  // Read before the model is opened, so that a wrong name fails fast.
  std::string prompt = s.prompt;
  if (!s.promptFile.empty()) {
    auto text = readPromptFile(s.promptFile);
    if (!text)
      return fail(toString(text.takeError()));
    prompt = std::move(*text);
  }

  auto artifact =
      builtIn ? options.openBuiltInModel(s.weights) : Artifact::open(s.input);
  if (!artifact)
    return fail(toString(artifact.takeError()));
  // Tokenizer messages name the model file (the program names a built-in
  // one).
  std::string model = builtIn ? "" : s.input + ": ";
  const CompiledModelInfo &info = (*artifact)->getInfo();
  std::unique_ptr<Tokenizer> tokenizer;
  if (auto t = Tokenizer::create((*artifact)->getTokenizerSpec()))
    tokenizer = std::move(*t);
  else if (!prompt.empty() || s.chat)
    return fail(model + toString(t.takeError()));
  else
    consumeError(t.takeError());
  if (s.chat) {
    // Found out now, not after the first line a user types.
    const TokenizerSpec &spec = tokenizer->getSpec();
    if (spec.chatTemplate.empty())
      return fail(model + "the model has no chat template, so --chat cannot "
                          "format its turns; give the prompt with -p or -f");
    if (auto probe = formatChat(spec, {{"user", "", std::nullopt}}); !probe)
      return fail(model + toString(probe.takeError()));
  }

  int64_t capacity = s.contextSize ? s.contextSize : info.maxContext;
  // The longest text one token stands for, for checkTextFits (a token's
  // stored text is never shorter than the bytes it decodes to).
  size_t longestToken = 1;
  if (tokenizer)
    for (const std::string &token : tokenizer->getSpec().tokens)
      longestToken = std::max(longestToken, token.size());

  // A chat's conversation so far, rendered whole for each turn (see
  // chatTurn below), after the tokens of --prompt-tokens and the reply to
  // them if the chat began so.
  std::vector<ChatMessage> conversation;
  std::vector<int32_t> chatPrefix;
  ChatOptions chatOptions;
  chatOptions.enableThinking = s.reasoningBudget != 0;
  auto renderChat = [&](std::vector<int32_t> &out) -> Error {
    const TokenizerSpec &spec = tokenizer->getSpec();
    auto text = formatChat(spec, conversation, chatOptions);
    if (!text)
      return makeError(model + toString(text.takeError()));
    std::string_view body = *text;
    // After a prefix the first turn does not begin the context: no BOS.
    if (!chatPrefix.empty() && spec.bosId >= 0 &&
        body.substr(0, spec.tokens[spec.bosId].size()) ==
            spec.tokens[spec.bosId])
      body.remove_prefix(spec.tokens[spec.bosId].size());
    out = chatPrefix;
    std::vector<int32_t> turns = tokenizer->encode(body, false, true);
    out.insert(out.end(), turns.begin(), turns.end());
    return Error::success();
  };

  // The first prompt.
  std::vector<int32_t> tokens;
  if (!s.promptTokens.empty()) {
    auto ids = parseTokenIds(s.promptTokens, info.vocab);
    if (!ids)
      return fail(toString(ids.takeError()));
    tokens = std::move(*ids);
    if (tokens.empty())
      return fail("--prompt-tokens: no token ids in '" + s.promptTokens +
                  "'");
  } else if (s.chat) {
    if (!prompt.empty()) {
      if (!s.tokenizeOnly)
        if (Error e =
                checkTextFits(prompt.size(), longestToken, capacity, capacity))
          return fail(toString(std::move(e)));
      conversation.push_back({"user", prompt, std::nullopt});
      if (Error e = renderChat(tokens))
        return fail(toString(std::move(e)));
    }
  } else if (!prompt.empty()) {
    if (!s.tokenizeOnly)
      if (Error e =
              checkTextFits(prompt.size(), longestToken, capacity, capacity))
        return fail(toString(std::move(e)));
    tokens = tokenizer->encode(prompt, tokenizer->getSpec().addBos, true);
  } else {
    return fail(
        "no prompt: give -p text, -f FILE, --prompt-tokens 1,2,3 or --chat");
  }
  if (s.tokenizeOnly) {
    for (size_t i = 0; i < tokens.size(); ++i)
      std::printf("%s%d", i ? "," : "", tokens[i]);
    std::printf("\n");
    return 0;
  }

  if (int64_t(tokens.size()) > capacity)
    return fail("the prompt has " + std::to_string(tokens.size()) +
                " tokens; the context holds " + std::to_string(capacity));
  auto exec =
      Executor::create(info, (*artifact)->getWeights(), capacity, threads);
  if (!exec)
    return fail(toString(exec.takeError()));

  SamplerOptions samplerOptions;
  samplerOptions.temperature = s.temperature;
  samplerOptions.topK = s.topK;
  samplerOptions.topP = s.topP;
  samplerOptions.repeatPenalty = s.repeatPenalty;
  samplerOptions.seed = s.seed;
  Session session{s,
                  program,
                  **exec,
                  info,
                  tokenizer.get(),
                  Sampler(samplerOptions),
                  /*history=*/{},
                  /*last=*/{},
                  /*dumped=*/{}};

  auto report = [&] {
    std::fflush(stdout);
    std::fprintf(stderr,
                 "prompt: %zu tokens, %.2f tok/s; generation: %zu tokens, "
                 "%.2f tok/s; %d thread%s\n",
                 session.promptTokens,
                 session.promptTokens / session.promptSeconds,
                 session.generatedTokens,
                 session.generatedTokens
                     ? session.generatedTokens / session.generationSeconds
                     : 0.0,
                 threads, threads == 1 ? "" : "s");
  };

  if (s.chat) {
    // A turn: `rendered` is the whole conversation as the template renders
    // it, which is not always what the context holds: an earlier reply
    // loses its think block (Qwen3), a reply cut by -n is closed, and the
    // reply's text may tokenize otherwise than it was generated. What the
    // context holds of it is kept, the rest evaluated from there on.
    auto chatTurn = [&](const std::vector<int32_t> &rendered,
                        std::string &replyText) -> Error {
      const std::vector<int32_t> &held = session.history;
      size_t keep = std::mismatch(held.begin(),
                                  held.begin() +
                                      std::min(held.size(), rendered.size()),
                                  rendered.begin())
                        .first -
                    held.begin();
      // At least one token is evaluated, for the logits of the next.
      keep = std::min(keep, rendered.size() - 1);
      session.history.resize(keep);
      if (Error e = session.evaluate(std::vector<int32_t>(
              rendered.begin() + int64_t(keep), rendered.end())))
        return e;
      auto reply = session.generate(s.generate);
      if (!reply)
        return reply.takeError();
      if (s.printTokenIds)
        for (size_t i = 0; i < reply->size(); ++i)
          std::printf("%s%d", i ? "," : "", (*reply)[i]);
      std::vector<int32_t> said = *reply;
      said.erase(std::remove_if(said.begin(), said.end(),
                                [&](int32_t id) {
                                  return tokenizer->isEndOfGeneration(id);
                                }),
                 said.end());
      replyText = tokenizer->decode(said);
      std::printf("\n");
      return Error::success();
    };
    std::string reply;
    if (!s.promptTokens.empty()) {
      // Token ids and their reply stay as they are, before the turns.
      if (Error e = chatTurn(tokens, reply))
        return fail(toString(std::move(e)));
      chatPrefix = session.history;
    } else if (!tokens.empty()) {
      if (Error e = chatTurn(tokens, reply))
        return fail(toString(std::move(e)));
      conversation.push_back({"assistant", reply, std::nullopt});
    }
    std::string line;
    for (;;) {
      std::fflush(stdout);
      std::fputs("> ", stderr);
      LineRead read = readLine(line);
      if (read == LineRead::End)
        break;
      if (read == LineRead::TooLong)
        return fail("a line of standard input is longer than " +
                    std::to_string(kMaxPromptBytes >> 20) +
                    " MiB, far more than a context holds");
      if (isBlank(line))
        continue;
      int64_t room = capacity - int64_t(session.history.size());
      if (Error e = checkTextFits(line.size(), longestToken, room, capacity))
        return fail(toString(std::move(e)));
      conversation.push_back({"user", line, std::nullopt});
      std::vector<int32_t> rendered;
      if (Error e = renderChat(rendered))
        return fail(toString(std::move(e)));
      if (Error e = chatTurn(rendered, reply))
        return fail(toString(std::move(e)));
      conversation.push_back({"assistant", reply, std::nullopt});
      std::fflush(stdout);
    }
    std::fputs("\n", stderr);
    report();
    return 0;
  }

  if (Error e = session.evaluate(tokens))
    return fail(toString(std::move(e)));
  auto generated = session.generate(s.generate);
  if (!generated)
    return fail(toString(generated.takeError()));
  if (s.printTokenIds)
    for (size_t i = 0; i < generated->size(); ++i)
      std::printf("%s%d", i ? "," : "", (*generated)[i]);
  std::printf("\n");
  std::fflush(stdout);
  report();
  if (!s.dumpLogits.empty()) {
    // Every evaluated position: the prompt and each generated token.
    FILE *file = std::fopen(s.dumpLogits.c_str(), "wb");
    if (!file)
      return fail(s.dumpLogits + ": " + std::strerror(errno));
    size_t written = std::fwrite(session.dumped.data(), sizeof(float),
                                 session.dumped.size(), file);
    bool ok = written == session.dumped.size();
    if (std::fclose(file) != 0 || !ok)
      return fail(s.dumpLogits + ": " + std::strerror(errno));
  }
  return 0;
}
