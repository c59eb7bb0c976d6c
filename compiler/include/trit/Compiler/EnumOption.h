//===- EnumOption.h - options whose values are enums ------------*- C++ -*-===//
//
// An option enum states its accepted names and their help once, in a table
// that getEnumOptionValues() returns. TRIT_ENUM_OPTION_PARSER then makes
// that table the llvm::cl parser of the type, so a tool's cl::opt, an MLIR
// pass option (ODS `Option<..., "Enum", ...>`) and a pipeline option of
// the type all accept the same names, list them in --help, print them in
// textual pipelines, and refuse anything else with the list: no option
// value is checked by hand.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_ENUMOPTION_H
#define TRIT_COMPILER_ENUMOPTION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"

#include <string>

namespace mlir::trit {

/// One accepted value of an option enum.
template <typename Enum>
struct EnumOptionValue {
  Enum value;
  llvm::StringLiteral name;
  llvm::StringLiteral help;
};

/// The name of `value` in its enum's table ("" if it has none).
template <typename Enum>
llvm::StringRef stringifyEnumOption(Enum value) {
  for (const EnumOptionValue<Enum> &entry : getEnumOptionValues(Enum()))
    if (entry.value == value)
      return entry.name;
  return "";
}

/// "a, b or c": the names an option of this enum accepts.
template <typename Enum>
std::string getEnumOptionNames() {
  std::string names;
  auto values = getEnumOptionValues(Enum());
  for (size_t i = 0; i < values.size(); ++i)
    names += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") +
             values[i].name.str();
  return names;
}

/// The llvm::cl parser of an option enum. It has the layout of LLVM's
/// generic cl::parser (a `Values` list of name, help and value), which MLIR
/// pass options read to print a value back as its name.
template <typename Enum>
class EnumOptionParser : public llvm::cl::generic_parser_base {
protected:
  struct OptionInfo : GenericOptionInfo {
    OptionInfo(llvm::StringRef name, Enum value, llvm::StringRef help)
        : GenericOptionInfo(name, help), V(value) {}
    llvm::cl::OptionValue<Enum> V;
  };
  llvm::SmallVector<OptionInfo, 8> Values;

public:
  using parser_data_type = Enum;

  EnumOptionParser(llvm::cl::Option &option) : generic_parser_base(option) {
    for (const EnumOptionValue<Enum> &entry : getEnumOptionValues(Enum()))
      Values.emplace_back(entry.name, entry.value, entry.help);
  }

  unsigned getNumOptions() const override { return Values.size(); }
  llvm::StringRef getOption(unsigned n) const override {
    return Values[n].Name;
  }
  llvm::StringRef getDescription(unsigned n) const override {
    return Values[n].HelpStr;
  }
  const llvm::cl::GenericOptionValue &
  getOptionValue(unsigned n) const override {
    return Values[n].V;
  }

  /// True on error, as llvm::cl parsers return.
  bool parse(llvm::cl::Option &option, llvm::StringRef, llvm::StringRef arg,
             Enum &value) {
    for (const OptionInfo &info : Values)
      if (info.Name == arg) {
        value = info.V.getValue();
        return false;
      }
    return option.error("unknown value '" + arg + "'; expected " +
                        getEnumOptionNames<Enum>());
  }
};

} // namespace mlir::trit

/// Makes mlir::trit::EnumOptionParser the parser of every option of type
/// `Enum` (at global scope, after the enum and its getEnumOptionValues).
#define TRIT_ENUM_OPTION_PARSER(Enum)                                          \
  namespace llvm::cl {                                                         \
  template <>                                                                  \
  class parser<Enum> : public ::mlir::trit::EnumOptionParser<Enum> {           \
  public:                                                                      \
    parser(Option &option) : EnumOptionParser(option) {}                       \
  };                                                                           \
  }

#endif // TRIT_COMPILER_ENUMOPTION_H
