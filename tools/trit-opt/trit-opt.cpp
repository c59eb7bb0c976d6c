//===- trit-opt.cpp - Trit's mlir-opt -------------------------------------===//
//
// Parses, verifies, transforms and prints trit IR: the driver for lit tests
// and for running the compiler's passes one at a time.
//
//===----------------------------------------------------------------------===//

#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "trit/Compiler/Passes.h"
#include "trit/InitTritDialects.h"

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerSymbolDCEPass();
  mlir::trit::registerTritPassesAndPipelines();

  mlir::DialectRegistry registry;
  mlir::trit::registerTritDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Trit optimizer driver: runs passes on trit IR\n", registry));
}
