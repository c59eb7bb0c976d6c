//===- Safetensors.h - safetensors reader -----------------------*- C++ -*-===//
//
// Parses a .safetensors file (8-byte header length, JSON header, raw data)
// over bytes that stay where they are. Every dtype, shape and data range is
// checked against the file before it is used.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_FRONTENDS_SAFETENSORS_H
#define TRIT_FRONTENDS_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <vector>

namespace trit::safetensors {

enum class DType { Bool, U8, I8, U16, I16, F16, BF16, U32, I32, F32, U64, I64, F64 };

uint64_t getDTypeSize(DType dtype);
llvm::StringRef getDTypeName(DType dtype);
std::optional<DType> parseDType(llvm::StringRef name);

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  llvm::SmallVector<int64_t, 4> shape;
  /// The tensor's bytes, inside the file.
  llvm::ArrayRef<uint8_t> data;

  int64_t getElementCount() const;
};

class File {
public:
  static llvm::Expected<File> parse(llvm::ArrayRef<uint8_t> bytes,
                                    llvm::StringRef fileName);

  const std::string &getFileName() const { return fileName; }
  llvm::ArrayRef<TensorInfo> getTensors() const { return tensors; }
  const TensorInfo *lookup(llvm::StringRef name) const;
  /// The string pairs of "__metadata__".
  const llvm::StringMap<std::string> &getMetadata() const { return metadata; }

private:
  std::string fileName;
  std::vector<TensorInfo> tensors;
  llvm::StringMap<size_t> index;
  llvm::StringMap<std::string> metadata;
};

} // namespace trit::safetensors

#endif // TRIT_FRONTENDS_SAFETENSORS_H
