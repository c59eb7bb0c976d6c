//===- CommandLine.h - llvm::cl-like options without LLVM ------*- C++ -*-===//
//
// The option parsing that trit-run and trit-server share. Options keep
// llvm::cl's spellings: `-name value`, `--name value`, `-name=value` or
// `--name=value`; flags take no value, and `--` ends the options. Numbers are
// read whole and range-checked by their setting's type.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_COMMANDLINE_H
#define TRIT_RUNTIME_COMMANDLINE_H

#include "trit/Runtime/Error.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <variant>
#include <vector>

namespace trit {

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

enum class Parsed { Ok, Invalid, OutOfRange };

/// `text` as a whole decimal integer (strtoll alone would skip leading
/// spaces and stop at the first character that is not a digit).
Parsed parseInteger(const std::string &text, long long &out);

/// Parses `value` for `option` into its setting.
Error setOptionValue(const Option &option, const std::string &value);

/// Parses argv[1..argc) into the options' settings; sets `help` (and stops)
/// at -h or --help. Positional arguments go to `positional` (an error when
/// it is null: "unexpected argument", followed by `noPositional`).
Error parseOptions(int argc, char **argv, const std::string &program,
                   const std::vector<Option> &options,
                   std::vector<std::string> *positional,
                   const std::string &noPositional, bool &help);

/// The options as --help lists them, one per line (the help text wrapped
/// at 80 columns), with -h, --help last.
std::string describeOptionTable(const std::vector<Option> &options);

} // namespace trit

#endif // TRIT_RUNTIME_COMMANDLINE_H
