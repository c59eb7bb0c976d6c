//===- TritAttrs.cpp - trit attributes ------------------------------------===//

#include "trit/Dialect/TritOps.h"
#include "trit/layouts.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::trit;

#include "trit/Dialect/TritEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "trit/Dialect/TritAttrs.cpp.inc"

void TritDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "trit/Dialect/TritAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// PackingAttr
//===----------------------------------------------------------------------===//

int64_t PackingAttr::getDefaultBlock(PackingKind kind) {
  switch (kind) {
  case PackingKind::I2_S:
    return 128;
  case PackingKind::TQ2_0:
  case PackingKind::TQ1_0:
    return 256;
  case PackingKind::T3X5:
  case PackingKind::Q2_0:
  case PackingKind::T2G:
    return 64;
  case PackingKind::PTQ1_0:
  case PackingKind::Q1_0:
    return 128;
  }
  llvm_unreachable("unknown packing kind");
}

double PackingAttr::getBitsPerWeight() const {
  switch (getKind()) {
  case PackingKind::I2_S:
    return 2.0;
  case PackingKind::TQ2_0:
    return 66.0 * 8 / 256;
  case PackingKind::TQ1_0:
    return 54.0 * 8 / 256;
  case PackingKind::T3X5:
    return 40.0 * 8 / 192; // rows of whole groups; a 2-bit tail adds a little
  case PackingKind::Q2_0:
  case PackingKind::T2G: // t2g's padding (rows, scales) adds a little
    return 2.0 + 16.0 / getBlock();
  case PackingKind::PTQ1_0:
    return 28.0 * 8 / 128;
  case PackingKind::Q1_0:
    return 18.0 * 8 / 128;
  }
  llvm_unreachable("unknown packing kind");
}

int64_t PackingAttr::getPackedSizeInBytes(int64_t rows, int64_t cols) const {
  switch (getKind()) {
  case PackingKind::I2_S:
    return trit_weight_layout_bytes(TRIT_WEIGHT_LAYOUT_I2_S, rows, cols);
  case PackingKind::TQ2_0:
    return rows * (cols / 256) * 66;
  case PackingKind::TQ1_0:
    return rows * (cols / 256) * 54;
  case PackingKind::T3X5:
    return trit_weight_layout_bytes(getInterleave() == 64
                                        ? TRIT_WEIGHT_LAYOUT_T3X5_X64
                                        : TRIT_WEIGHT_LAYOUT_T3X5,
                                    rows, cols);
  case PackingKind::Q2_0:
    return rows * (cols / getBlock()) * (getBlock() / 4 + 2);
  case PackingKind::PTQ1_0:
    return rows * (cols / 128) * 28;
  case PackingKind::Q1_0:
    return rows * (cols / 128) * 18;
  case PackingKind::T2G:
    return trit_weight_layout_bytes(getBlock() == 128
                                        ? TRIT_WEIGHT_LAYOUT_T2G128_X16
                                        : TRIT_WEIGHT_LAYOUT_T2G64_X16,
                                    rows, cols);
  }
  llvm_unreachable("unknown packing kind");
}

LogicalResult PackingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  PackingKind kind, int64_t block,
                                  int64_t interleave) {
  if (block <= 0)
    return emitError() << "packing block must be positive, got " << block;
  if (interleave <= 0)
    return emitError() << "packing interleave must be positive, got "
                       << interleave;
  switch (kind) {
  case PackingKind::I2_S:
    if (block % 4 != 0)
      return emitError() << "i2_s packs 4 weights per byte: block must be a "
                            "multiple of 4, got "
                         << block;
    break;
  case PackingKind::TQ2_0:
  case PackingKind::TQ1_0:
    if (block != 256)
      return emitError() << stringifyPackingKind(kind)
                         << " has fixed blocks of 256 weights, got " << block;
    break;
  case PackingKind::T3X5:
    if (block != 64)
      return emitError() << "t3x5 needs rows of a multiple of 64 weights: "
                            "block must be 64, got "
                         << block;
    if (interleave != 1 && interleave != 64)
      return emitError() << "t3x5 stores rows one after another "
                            "(interleave 1) or 64 rows in lanes (interleave "
                            "64), got interleave "
                         << interleave;
    break;
  case PackingKind::Q2_0:
  case PackingKind::T2G:
    if (block != 64 && block != 128)
      return emitError() << stringifyPackingKind(kind)
                         << " scales blocks of 64 or 128 weights, got "
                         << block;
    if (kind == PackingKind::T2G && interleave != 16)
      return emitError() << "t2g keeps 16 rows in lanes: interleave must be "
                            "16, got "
                         << interleave;
    break;
  case PackingKind::PTQ1_0:
  case PackingKind::Q1_0:
    if (block != 128)
      return emitError() << stringifyPackingKind(kind)
                         << " has fixed blocks of 128 weights, got " << block;
    break;
  }
  return success();
}

bool mlir::trit::isGroupScaled(PackingKind kind) {
  return kind == PackingKind::Q2_0 || kind == PackingKind::PTQ1_0 ||
         kind == PackingKind::Q1_0 || kind == PackingKind::T2G;
}

LogicalResult PackingAttr::verifyEncoding(
    ArrayRef<int64_t> shape, Type elementType,
    function_ref<InFlightDiagnostic()> emitError) const {
  if (!llvm::isa<TernaryType>(elementType))
    return emitError() << "#trit.packing is the layout of ternary tensors, "
                          "but the element type is "
                       << elementType;
  if (shape.size() != 2)
    return emitError() << "#trit.packing needs a rank-2 (rows x cols) "
                          "tensor, got rank "
                       << shape.size();
  if (ShapedType::isDynamicShape(shape))
    return emitError() << "#trit.packing needs a static shape";
  if (shape[1] % getBlock() != 0)
    return emitError() << "#trit.packing<" << stringifyPackingKind(getKind())
                       << "> needs the column count to be a multiple of its "
                          "block of "
                       << getBlock() << ", got " << shape[1] << " columns";
  // t2g pads its last superblock of 16 rows.
  if (getKind() != PackingKind::T2G && shape[0] % getInterleave() != 0)
    return emitError() << "#trit.packing interleaves " << getInterleave()
                       << " rows, but the row count " << shape[0]
                       << " is not a multiple of it";
  return success();
}

Attribute PackingAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  std::optional<PackingKind> kind = symbolizePackingKind(keyword);
  if (!kind) {
    parser.emitError(loc, "unknown ternary packing '")
        << keyword << "'; expected i2_s, tq2_0, tq1_0, t3x5, q2_0, ptq1_0, q1_0 or t2g";
    return {};
  }
  int64_t block = getDefaultBlock(*kind);
  int64_t interleave = 1;
  while (succeeded(parser.parseOptionalComma())) {
    SMLoc keyLoc = parser.getCurrentLocation();
    StringRef key;
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return {};
    if (key == "block") {
      if (parser.parseInteger(block))
        return {};
    } else if (key == "interleave") {
      if (parser.parseInteger(interleave))
        return {};
    } else {
      parser.emitError(keyLoc, "unknown #trit.packing parameter '")
          << key << "'; expected 'block' or 'interleave'";
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<PackingAttr>(loc, parser.getContext(), *kind, block,
                                        interleave);
}

void PackingAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyPackingKind(getKind());
  if (getBlock() != getDefaultBlock(getKind()))
    printer << ", block = " << getBlock();
  if (getInterleave() != 1)
    printer << ", interleave = " << getInterleave();
  printer << ">";
}

//===----------------------------------------------------------------------===//
// ExternalAttr
//===----------------------------------------------------------------------===//

Attribute ExternalAttr::parse(AsmParser &parser, Type) {
  std::string source, key;
  WeightPart part = WeightPart::Data;
  if (parser.parseLess() || parser.parseString(&source) ||
      parser.parseComma() || parser.parseString(&key))
    return {};
  if (succeeded(parser.parseOptionalComma())) {
    SMLoc loc = parser.getCurrentLocation();
    StringRef keyword;
    if (parser.parseKeyword(&keyword))
      return {};
    std::optional<WeightPart> parsed = symbolizeWeightPart(keyword);
    if (!parsed) {
      parser.emitError(loc, "unknown tensor part '")
          << keyword << "'; expected 'data' or 'scale'";
      return {};
    }
    part = *parsed;
  }
  if (parser.parseGreater())
    return {};
  return ExternalAttr::get(parser.getContext(), source, key, part);
}

void ExternalAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printer.printString(getSource());
  printer << ", ";
  printer.printString(getKey());
  if (getPart() != WeightPart::Data)
    printer << ", " << stringifyWeightPart(getPart());
  printer << ">";
}

//===----------------------------------------------------------------------===//
// TargetAttr
//===----------------------------------------------------------------------===//

LogicalResult TargetAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef triple, StringRef cpu,
                                 StringRef features) {
  if (triple.empty() || cpu.empty())
    return emitError() << "#trit.target needs a triple and a CPU name";
  if (cpu == "host")
    return emitError() << "#trit.target names a concrete CPU; 'host' is "
                          "resolved before the attribute is made";
  SmallVector<StringRef> list;
  features.split(list, ',', -1, /*KeepEmpty=*/false);
  for (StringRef feature : list)
    if (feature.size() < 2 || (feature[0] != '+' && feature[0] != '-'))
      return emitError() << "#trit.target feature '" << feature
                         << "' must start with '+' or '-'";
  return success();
}

bool TargetAttr::hasFeature(StringRef feature) const {
  SmallVector<StringRef> list;
  getFeatures().split(list, ',', -1, /*KeepEmpty=*/false);
  bool enabled = false;
  for (StringRef entry : list) // later entries override earlier ones
    if (entry.drop_front() == feature)
      enabled = entry[0] == '+';
  return enabled;
}

TargetAttr TargetAttr::lookup(Operation *op) {
  auto module = llvm::isa<ModuleOp>(op) ? llvm::cast<ModuleOp>(op)
                                  : op->getParentOfType<ModuleOp>();
  return module ? module->getAttrOfType<TargetAttr>(getAttrName())
                : TargetAttr();
}
