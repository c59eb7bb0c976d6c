//===- SafetensorsFuzzer.cpp - libFuzzer target for safetensors -----------===//

#include "trit/Frontends/Safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::Expected<trit::safetensors::File> file = trit::safetensors::File::parse(
      llvm::ArrayRef<uint8_t>(data, size), "fuzz.safetensors");
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  size_t sum = 0;
  for (const trit::safetensors::TensorInfo &tensor : file->getTensors())
    for (uint8_t byte : tensor.data)
      sum += byte;
  return int(sum & 0);
}
