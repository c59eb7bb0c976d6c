//===- CommandLine.cpp - llvm::cl-like options without LLVM ---------------===//

#include "trit/Runtime/CommandLine.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>

using namespace trit;

Parsed trit::parseInteger(const std::string &text, long long &out) {
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

Error trit::setOptionValue(const Option &option, const std::string &value) {
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

Error trit::parseOptions(int argc, char **argv, const std::string &program,
                         const std::vector<Option> &options,
                         std::vector<std::string> *positional,
                         const std::string &noPositional, bool &help) {
  bool optionsEnded = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!optionsEnded && arg == "--") {
      optionsEnded = true;
      continue;
    }
    if (optionsEnded || arg.size() < 2 || arg[0] != '-') {
      if (!positional)
        return makeError("unexpected argument '" + arg + "'" + noPositional);
      positional->push_back(arg);
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
    if (Error e = setOptionValue(*option, value))
      return e;
  }
  return Error::success();
}

/// Appends `text` to `out`, wrapped at 80 columns with lines after the first
/// indented by `indent`.
static void appendWrapped(std::string &out, const std::string &text,
                          size_t indent) {
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

std::string trit::describeOptionTable(const std::vector<Option> &options) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Option &o : options)
    rows.emplace_back(o.spelling() +
                          (o.valueName ? " " + std::string(o.valueName) : ""),
                      o.help);
  rows.emplace_back("-h, --help", "Print this help and exit");
  size_t width = 0;
  for (const auto &row : rows)
    width = std::max(width, row.first.size());
  std::string out;
  for (const auto &[spelled, help] : rows) {
    out += "  " + spelled + std::string(width + 2 - spelled.size(), ' ');
    appendWrapped(out, help, width + 4);
  }
  return out;
}
