//===- GGUFFuzzer.cpp - libFuzzer target for the GGUF reader and importer -===//

#include "ModelInternal.h"
#include "trit/Frontends/GGUF.h"

#include "llvm/Support/raw_ostream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::Expected<trit::gguf::File> file =
      trit::gguf::File::parse(llvm::ArrayRef<uint8_t>(data, size), "fuzz");
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  // Touch everything the importer reads.
  for (const std::string &key : file->getKeys()) {
    const trit::gguf::Value *value = file->lookup(key);
    (void)value->getUInt();
    (void)value->getFloat();
    (void)value->getString();
    (void)value->getStringArray();
    (void)value->getIntArray();
    (void)value->getFloatArray();
  }
  size_t sum = 0;
  for (const trit::gguf::TensorInfo &tensor : file->getTensors())
    for (uint8_t byte : tensor.data)
      sum += byte;
  // Import it as a model and decode every weight (ternary values, group
  // scales, floats), as the summary does.
  trit::Model model;
  if (llvm::Error e = trit::importGGUFFile(*file, model)) {
    llvm::consumeError(std::move(e));
    return int(sum & 0);
  }
  llvm::raw_null_ostream null;
  llvm::consumeError(trit::writeModelSummary(model, null));
  return int(sum & 0);
}
