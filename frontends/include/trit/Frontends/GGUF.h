//===- GGUF.h - GGUF v3 reader ----------------------------------*- C++ -*-===//
//
// Parses the GGUF container (llama.cpp, bitnet.cpp) over bytes that stay
// where they are (normally a MappedFile): metadata of every value type, tensor
// infos, and tensor data ranges. Every count, length and offset is checked
// against the bytes that are actually there before anything is allocated, so
// a damaged file is an error that names the file and the problem.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_FRONTENDS_GGUF_H
#define TRIT_FRONTENDS_GGUF_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace trit::gguf {

/// ggml tensor types Trit reads. Other ggml types are known by name only,
/// for error messages.
enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  I2_S = 36, // bitnet.cpp's fork only: 2-bit codes + trailing f32 scale
  /// Binary: per 128 weights an f16 d, then 16 bytes of sign bits.
  Q1_0 = 41,
  /// Per 64 weights an f16 d, then 16 bytes of 2-bit codes (18-byte blocks).
  /// PrismML's fork before v7 stored its group-128 layout (PQ2_0's) under
  /// this id; the reader tells the two apart by size (TensorInfo::legacyQ2_0).
  Q2_0 = 42,
  /// PrismML's fork: the Q2_0 codec per 128 weights (34-byte blocks).
  PQ2_0 = 142,
  /// PrismML's fork: 128 base-3 weights in qs[24], qh[2], then f16 d.
  PTQ1_0 = 143,
};

/// The name of a ggml type id ("F32", "Q4_K", "I2_S", ...), or "" if unknown.
llvm::StringRef getTensorTypeName(uint32_t type);

enum class ValueType : uint32_t {
  UInt8 = 0,
  Int8 = 1,
  UInt16 = 2,
  Int16 = 3,
  UInt32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  UInt64 = 10,
  Int64 = 11,
  Float64 = 12,
};

llvm::StringRef getValueTypeName(ValueType type);

/// One metadata value. Strings and array elements point into the file.
class Value {
public:
  ValueType getType() const { return type; }
  bool isArray() const { return type == ValueType::Array; }
  ValueType getElementType() const { return elementType; }
  uint64_t getArraySize() const { return count; }

  /// The value as an unsigned / signed integer, if it is an integer (or
  /// bool) of any width that holds it exactly.
  std::optional<uint64_t> getUInt() const;
  std::optional<int64_t> getInt() const;
  /// The value as a double, if it is a float or an integer.
  std::optional<double> getFloat() const;
  std::optional<bool> getBool() const;
  std::optional<llvm::StringRef> getString() const;

  /// Elements of an array of strings.
  std::optional<std::vector<llvm::StringRef>> getStringArray() const;
  /// Elements of an array of integers (any width, signed or not).
  std::optional<std::vector<int64_t>> getIntArray() const;
  /// Elements of an array of numbers (floats or integers).
  std::optional<std::vector<double>> getFloatArray() const;

private:
  friend struct ValueParser;
  /// Reads element `index` of a numeric array (or the scalar for index 0).
  std::optional<double> numericElement(uint64_t index) const;
  std::optional<int64_t> integerElement(uint64_t index, bool &isSigned) const;

  ValueType type = ValueType::UInt8;
  ValueType elementType = ValueType::UInt8;
  uint64_t count = 1;
  /// Raw little-endian bytes of a scalar or a numeric array.
  llvm::ArrayRef<uint8_t> raw;
  /// The string, or the elements of a string array.
  std::vector<llvm::StringRef> strings;
};

struct TensorInfo {
  llvm::StringRef name;
  /// ggml order: dims[0] is the fastest-varying (the input features).
  llvm::SmallVector<uint64_t, 4> dims;
  uint32_t type = 0;
  /// Offset of the data from the start of the data section.
  uint64_t offset = 0;
  /// Bytes of data, computed from the type and dims (I2_S: n/4 + 32).
  uint64_t size = 0;
  /// A Q2_0 (id 42) tensor in the legacy PrismML layout: the PQ2_0 block of
  /// 128 weights in 34 bytes instead of 64 in 18. Decided once per file
  /// from the sizes the tensor offsets leave, and the same for every id-42
  /// tensor of the file.
  bool legacyQ2_0 = false;
  /// The data, inside the file.
  llvm::ArrayRef<uint8_t> data;

  uint64_t getElementCount() const;
  TensorType getType() const { return static_cast<TensorType>(type); }
};

/// A parsed GGUF file. Does not own the bytes it was parsed from.
class File {
public:
  /// Parses `bytes`; `fileName` is used in error messages.
  static llvm::Expected<File> parse(llvm::ArrayRef<uint8_t> bytes,
                                    llvm::StringRef fileName);

  uint32_t getVersion() const { return version; }
  uint64_t getAlignment() const { return alignment; }
  const std::string &getFileName() const { return fileName; }

  /// Metadata keys in file order.
  llvm::ArrayRef<std::string> getKeys() const { return keys; }
  const Value *lookup(llvm::StringRef key) const;

  llvm::ArrayRef<TensorInfo> getTensors() const { return tensors; }
  const TensorInfo *lookupTensor(llvm::StringRef name) const;

  /// Typed metadata access with errors that name the file and the key:
  /// "model.gguf: metadata key 'x' is missing" / "... has type string, not
  /// an unsigned integer".
  llvm::Expected<uint64_t> getRequiredUInt(llvm::StringRef key) const;
  llvm::Expected<double> getRequiredFloat(llvm::StringRef key) const;
  llvm::Expected<llvm::StringRef> getRequiredString(llvm::StringRef key) const;

private:
  std::string fileName;
  uint32_t version = 0;
  uint64_t alignment = 32;
  std::vector<std::string> keys;
  llvm::StringMap<Value> metadata;
  std::vector<TensorInfo> tensors;
  llvm::StringMap<size_t> tensorIndex;
};

/// Bytes of a tensor of `type` with `dims`, or an error naming what is wrong
/// (unknown type, row not a whole number of blocks, overflow). `legacyQ2_0`
/// sizes an id-42 tensor in the legacy group-128 layout.
llvm::Expected<uint64_t> getTensorDataSize(uint32_t type,
                                           llvm::ArrayRef<uint64_t> dims,
                                           bool legacyQ2_0 = false);

} // namespace trit::gguf

#endif // TRIT_FRONTENDS_GGUF_H
