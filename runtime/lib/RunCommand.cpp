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
#include "trit/Runtime/HostThreads.h"
#include "trit/Runtime/Sampler.h"
#include "trit/Runtime/Tokenizer.h"

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
};

/// One option: its name without dashes, the value's name in --help (null
/// for a flag), its description, and the setting it writes (whose type says
/// how the value is parsed).
struct Option {
  const char *name;
  const char *valueName;
  std::string help;
  std::variant<bool *, std::string *, int *, int64_t *, uint64_t *, float *>
      target;

  /// As messages and --help spell it: -n, --ctx-size.
  std::string spelling() const {
    return (std::strlen(name) == 1 ? "-" : "--") + std::string(name);
  }
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
       "Print the generated ids on one line instead of the text",
       &s.printTokenIds},
      {"tokenize", nullptr, "Print the prompt's token ids and exit",
       &s.tokenizeOnly},
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

enum class Parsed { Ok, Invalid, OutOfRange };

/// `text` as a whole decimal integer (strtoll alone would skip leading
/// spaces and stop at the first character that is not a digit).
Parsed parseInteger(const std::string &text, long long &out) {
  if (text.empty() || !(std::isdigit(static_cast<unsigned char>(text[0])) ||
                        text[0] == '-' || text[0] == '+'))
    return Parsed::Invalid;
  char *end;
  errno = 0;
  out = std::strtoll(text.c_str(), &end, 10);
  if (*end != '\0')
    return Parsed::Invalid;
  return errno == ERANGE ? Parsed::OutOfRange : Parsed::Ok;
}

/// Parses `value` for `option` into its setting.
Error setValue(const Option &option, const std::string &value) {
  std::string name = option.spelling();
  auto invalid = [&](const char *what) {
    return makeError(name + ": '" + value + "' is not " + what);
  };
  auto outOfRange = [&](const std::string &range) {
    return makeError(name + ": '" + value + "' is out of range" + range);
  };
  if (auto *text = std::get_if<std::string *>(&option.target)) {
    **text = value;
    return Error::success();
  }
  if (auto *number = std::get_if<float *>(&option.target)) {
    if (value.empty() || std::isspace(static_cast<unsigned char>(value[0])))
      return invalid("a number");
    char *end;
    errno = 0;
    float f = std::strtof(value.c_str(), &end);
    if (*end != '\0' || std::isnan(f))
      return invalid("a number");
    if (errno == ERANGE || !std::isfinite(f))
      return outOfRange("");
    **number = f;
    return Error::success();
  }
  if (auto *number = std::get_if<uint64_t *>(&option.target)) {
    // strtoull would take "-1" as the largest value.
    if (value.empty() || !std::isdigit(static_cast<unsigned char>(value[0])))
      return invalid("a non-negative integer");
    char *end;
    errno = 0;
    unsigned long long u = std::strtoull(value.c_str(), &end, 10);
    if (*end != '\0')
      return invalid("a non-negative integer");
    if (errno == ERANGE)
      return outOfRange("");
    **number = u;
    return Error::success();
  }
  long long n;
  Parsed parsed = parseInteger(value, n);
  if (parsed == Parsed::Invalid)
    return invalid("an integer");
  if (auto *number = std::get_if<int *>(&option.target)) {
    if (parsed == Parsed::OutOfRange || n < INT_MIN || n > INT_MAX)
      return outOfRange(" (" + std::to_string(INT_MIN) + " to " +
                        std::to_string(INT_MAX) + ")");
    **number = int(n);
    return Error::success();
  }
  if (auto *number = std::get_if<int64_t *>(&option.target)) {
    if (parsed == Parsed::OutOfRange)
      return outOfRange("");
    **number = n;
    return Error::success();
  }
  return makeError("internal error: " + name + " has no parser");
}

/// Parses the arguments into `settings`; sets `help` (and stops) at -h or
/// --help.
Error parseArguments(int argc, char **argv, bool builtIn,
                     const std::string &program,
                     const std::vector<Option> &options, Settings &settings,
                     bool &help) {
  bool optionsEnded = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!optionsEnded && arg == "--") {
      optionsEnded = true;
      continue;
    }
    if (optionsEnded || arg.size() < 2 || arg[0] != '-') {
      if (builtIn)
        return makeError("unexpected argument '" + arg + "': " + program +
                         " has its model built in");
      if (!settings.input.empty())
        return makeError("unexpected argument '" + arg +
                         "': the model was already given as '" +
                         settings.input + "'");
      settings.input = arg;
      continue;
    }
    size_t dashes = arg[1] == '-' ? 2 : 1;
    size_t equals = arg.find('=');
    std::string name =
        arg.substr(dashes, equals == std::string::npos ? std::string::npos
                                                       : equals - dashes);
    if (name == "h" || name == "help") {
      help = true;
      return Error::success();
    }
    const Option *option = nullptr;
    for (const Option &o : options)
      if (name == o.name)
        option = &o;
    if (!option)
      return makeError("unknown option '" + arg.substr(0, equals) +
                       "'; see " + program + " --help");
    if (std::holds_alternative<bool *>(option->target)) {
      if (equals != std::string::npos)
        return makeError(option->spelling() + " takes no value");
      *std::get<bool *>(option->target) = true;
      continue;
    }
    std::string value;
    if (equals != std::string::npos)
      value = arg.substr(equals + 1);
    else if (i + 1 < argc)
      value = argv[++i];
    else
      return makeError(option->spelling() + " needs a value: " +
                       option->spelling() + " " + option->valueName);
    if (Error e = setValue(*option, value))
      return e;
  }
  if (!builtIn && settings.input.empty())
    return makeError(
        "no model: give the path of a compiled model (.trit); see " +
        program + " --help");
  return Error::success();
}

/// Appends `text` to `out`, wrapped at 80 columns with lines after the first
/// indented by `indent`.
void appendWrapped(std::string &out, const std::string &text, size_t indent) {
  size_t column = indent;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find(' ', at);
    if (end == std::string::npos)
      end = text.size();
    size_t length = end - at;
    if (column > indent && column + 1 + length > 80) {
      out += "\n" + std::string(indent, ' ');
      column = indent;
    } else if (column > indent) {
      out += ' ';
      ++column;
    }
    out.append(text, at, length);
    column += length;
    at = end + 1;
  }
  out += '\n';
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
  out += "\nOptions:\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Option &o : options)
    rows.emplace_back(o.spelling() +
                          (o.valueName ? " " + std::string(o.valueName) : ""),
                      o.help);
  rows.emplace_back("-h, --help", "Print this help and exit");
  size_t width = 0;
  for (const auto &row : rows)
    width = std::max(width, row.first.size());
  for (const auto &[spelled, help] : rows) {
    out += "  " + spelled + std::string(width + 2 - spelled.size(), ' ');
    appendWrapped(out, help, width + 4);
  }
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
    if (auto probe = formatChatTurn(spec, "user", "", true, true); !probe)
      return fail(model + toString(probe.takeError()));
  }

  int64_t capacity = s.contextSize ? s.contextSize : info.maxContext;
  // The longest text one token stands for, for checkTextFits (a token's
  // stored text is never shorter than the bytes it decodes to).
  size_t longestToken = 1;
  if (tokenizer)
    for (const std::string &token : tokenizer->getSpec().tokens)
      longestToken = std::max(longestToken, token.size());

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
      auto turn = formatChatTurn(tokenizer->getSpec(), "user", prompt,
                                 /*first=*/true, /*addAssistant=*/true);
      if (!turn)
        return fail(model + toString(turn.takeError()));
      tokens = tokenizer->encode(*turn, false, true);
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
    bool first = tokens.empty();
    if (!tokens.empty()) {
      if (Error e = session.evaluate(tokens))
        return fail(toString(std::move(e)));
      if (auto reply = session.generate(s.generate); !reply)
        return fail(toString(reply.takeError()));
      std::printf("\n");
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
      auto turn = formatChatTurn(tokenizer->getSpec(), "user", line, first,
                                 /*addAssistant=*/true);
      if (!turn)
        return fail(model + toString(turn.takeError()));
      first = false;
      if (Error e = session.evaluate(tokenizer->encode(*turn, false, true)))
        return fail(toString(std::move(e)));
      if (auto reply = session.generate(s.generate); !reply)
        return fail(toString(reply.takeError()));
      std::printf("\n");
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
