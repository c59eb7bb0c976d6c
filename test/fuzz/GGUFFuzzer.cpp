//===- GGUFFuzzer.cpp - libFuzzer target for the GGUF reader --------------===//

#include "trit/Frontends/GGUF.h"

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
  return int(sum & 0);
}
