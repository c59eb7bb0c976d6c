//===- TritTypes.cpp - trit types -----------------------------------------===//

#include "trit/Dialect/TritOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::trit;

#define GET_TYPEDEF_CLASSES
#include "trit/Dialect/TritTypes.cpp.inc"

void TritDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "trit/Dialect/TritTypes.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// QActType
//===----------------------------------------------------------------------===//

LogicalResult QActType::verify(function_ref<InFlightDiagnostic()> emitError,
                               ArrayRef<int64_t> shape, int64_t block) {
  if (shape.size() != 2)
    return emitError() << "!trit.qact must be rows x cols, got rank "
                       << shape.size();
  if (ShapedType::isDynamic(shape[1]) || shape[1] <= 0)
    return emitError() << "!trit.qact needs a static, positive column count";
  if (!ShapedType::isDynamic(shape[0]) && shape[0] < 0)
    return emitError() << "!trit.qact row count must not be negative";
  if (block < 0)
    return emitError() << "!trit.qact block must be positive, got " << block;
  if (block > 0 && shape[1] % block != 0)
    return emitError() << "!trit.qact block " << block
                       << " does not divide the column count " << shape[1];
  return success();
}

Type QActType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<int64_t, 2> shape;
  int64_t block = 0;
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/true,
                                /*withTrailingX=*/false))
    return {};
  if (succeeded(parser.parseOptionalComma())) {
    if (parser.parseKeyword("block") || parser.parseEqual() ||
        parser.parseInteger(block))
      return {};
    if (block == 0) {
      parser.emitError(loc, "!trit.qact block must be positive, got 0");
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<QActType>(loc, parser.getContext(), shape, block);
}

void QActType::print(AsmPrinter &printer) const {
  printer << "<";
  llvm::interleave(
      getShape(), printer,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          printer << "?";
        else
          printer << dim;
      },
      "x");
  if (getBlock() != 0)
    printer << ", block = " << getBlock();
  printer << ">";
}

//===----------------------------------------------------------------------===//
// KVCacheType
//===----------------------------------------------------------------------===//

LogicalResult KVCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t layers, int64_t kvHeads,
                                  int64_t headDim, Type elementType) {
  if (layers <= 0 || kvHeads <= 0 || headDim <= 0)
    return emitError() << "!trit.kv_cache needs positive layers, kv_heads and "
                          "head_dim, got "
                       << layers << ", " << kvHeads << ", " << headDim;
  if (!elementType.isF16() && !elementType.isBF16() && !elementType.isF32())
    return emitError() << "!trit.kv_cache element type must be f16, bf16 or "
                          "f32, got "
                       << elementType;
  return success();
}
