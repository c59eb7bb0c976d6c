//===- TritDialect.cpp - trit dialect registration ------------------------===//

#include "trit/Dialect/TritOps.h"

using namespace mlir;
using namespace mlir::trit;

#include "trit/Dialect/TritDialect.cpp.inc"

void TritDialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "trit/Dialect/TritOps.cpp.inc"
      >();
}
