//===- GGUF.cpp - GGUF v3 reader ------------------------------------------===//

#include "trit/Frontends/GGUF.h"
#include "trit/Frontends/MappedFile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/MathExtras.h"

#include <cstring>
#include <numeric>

using namespace llvm;

namespace trit::gguf {

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

StringRef getTensorTypeName(uint32_t type) {
  switch (type) {
  case 0: return "F32";
  case 1: return "F16";
  case 2: return "Q4_0";
  case 3: return "Q4_1";
  case 6: return "Q5_0";
  case 7: return "Q5_1";
  case 8: return "Q8_0";
  case 9: return "Q8_1";
  case 10: return "Q2_K";
  case 11: return "Q3_K";
  case 12: return "Q4_K";
  case 13: return "Q5_K";
  case 14: return "Q6_K";
  case 15: return "Q8_K";
  case 16: return "IQ2_XXS";
  case 17: return "IQ2_XS";
  case 18: return "IQ3_XXS";
  case 19: return "IQ1_S";
  case 20: return "IQ4_NL";
  case 21: return "IQ3_S";
  case 22: return "IQ2_S";
  case 23: return "IQ4_XS";
  case 24: return "I8";
  case 25: return "I16";
  case 26: return "I32";
  case 27: return "I64";
  case 28: return "F64";
  case 29: return "IQ1_M";
  case 30: return "BF16";
  case 34: return "TQ1_0";
  case 35: return "TQ2_0";
  case 36: return "I2_S";
  case 37: return "I8_S";
  case 38: return "TL1";
  case 39: return "TL2";
  case 40: return "NVFP4";
  case 41: return "Q1_0";
  case 42: return "Q2_0";
  case 142: return "PQ2_0";
  case 143: return "PTQ1_0";
  default: return "";
  }
}

StringRef getValueTypeName(ValueType type) {
  switch (type) {
  case ValueType::UInt8: return "uint8";
  case ValueType::Int8: return "int8";
  case ValueType::UInt16: return "uint16";
  case ValueType::Int16: return "int16";
  case ValueType::UInt32: return "uint32";
  case ValueType::Int32: return "int32";
  case ValueType::Float32: return "float32";
  case ValueType::Bool: return "bool";
  case ValueType::String: return "string";
  case ValueType::Array: return "array";
  case ValueType::UInt64: return "uint64";
  case ValueType::Int64: return "int64";
  case ValueType::Float64: return "float64";
  }
  return "unknown";
}

/// Bytes of one scalar of `type`; 0 for strings, arrays and unknown types.
static uint64_t getScalarSize(ValueType type) {
  switch (type) {
  case ValueType::UInt8:
  case ValueType::Int8:
  case ValueType::Bool:
    return 1;
  case ValueType::UInt16:
  case ValueType::Int16:
    return 2;
  case ValueType::UInt32:
  case ValueType::Int32:
  case ValueType::Float32:
    return 4;
  case ValueType::UInt64:
  case ValueType::Int64:
  case ValueType::Float64:
    return 8;
  case ValueType::String:
  case ValueType::Array:
    return 0;
  }
  return 0;
}

static bool isKnownValueType(uint32_t type) { return type <= 12; }

Expected<uint64_t> getTensorDataSize(uint32_t type, ArrayRef<uint64_t> dims,
                                     bool legacyQ2_0) {
  uint64_t elements = 1;
  for (uint64_t dim : dims)
    if (__builtin_mul_overflow(elements, dim, &elements) ||
        elements > (uint64_t(1) << 56))
      return createStringError(inconvertibleErrorCode(),
                               "element count overflows");
  auto blocks = [&](uint64_t block, uint64_t bytes,
                    StringRef what = "") -> Expected<uint64_t> {
    if (dims.empty() || dims[0] % block != 0)
      return createStringError(
          inconvertibleErrorCode(),
          (what.empty() ? getTensorTypeName(type) : what) +
              Twine(" needs rows of a multiple of ") + Twine(block) +
              " elements, got " + Twine(dims.empty() ? 0 : dims[0]));
    return elements / block * bytes;
  };
  switch (type) {
  case uint32_t(TensorType::F32):
    return elements * 4;
  case uint32_t(TensorType::F16):
  case uint32_t(TensorType::BF16):
    return elements * 2;
  case uint32_t(TensorType::TQ1_0):
    return blocks(256, 54);
  case uint32_t(TensorType::TQ2_0):
    return blocks(256, 66);
  case uint32_t(TensorType::I2_S):
    // bitnet.cpp: 2-bit codes, then the f32 scale, padded to 32 bytes.
    if (elements % 4 != 0)
      return createStringError(inconvertibleErrorCode(),
                               "I2_S needs a multiple of 4 elements, got " +
                                   Twine(elements));
    return elements / 4 + 32;
  case uint32_t(TensorType::Q1_0):
    return blocks(128, 18);
  case uint32_t(TensorType::Q2_0):
    if (legacyQ2_0)
      return blocks(128, 34, "the legacy group-128 Q2_0 layout");
    return blocks(64, 18);
  case uint32_t(TensorType::PQ2_0):
    return blocks(128, 34);
  case uint32_t(TensorType::PTQ1_0):
    return blocks(128, 28);
  default:
    break;
  }
  StringRef name = getTensorTypeName(type);
  if (name.empty())
    return createStringError(inconvertibleErrorCode(),
                             "unknown tensor type id " + Twine(type));
  return createStringError(inconvertibleErrorCode(),
                           "tensor type " + name +
                               " is not supported (Trit reads F32, F16, BF16, "
                               "I2_S, TQ1_0, TQ2_0, Q1_0, Q2_0, PQ2_0 and "
                               "PTQ1_0)");
}

uint64_t TensorInfo::getElementCount() const {
  return std::accumulate(dims.begin(), dims.end(), uint64_t(1),
                         std::multiplies<uint64_t>());
}

//===----------------------------------------------------------------------===//
// Values
//===----------------------------------------------------------------------===//

std::optional<int64_t> Value::integerElement(uint64_t index,
                                             bool &isSigned) const {
  ValueType t = isArray() ? elementType : type;
  uint64_t size = getScalarSize(t);
  if (size == 0 || (index + 1) * size > raw.size())
    return std::nullopt;
  const uint8_t *p = raw.data() + index * size;
  using namespace support::endian;
  isSigned = true;
  switch (t) {
  case ValueType::UInt8:
  case ValueType::Bool:
    isSigned = false;
    return *p;
  case ValueType::Int8:
    return int8_t(*p);
  case ValueType::UInt16:
    isSigned = false;
    return read16le(p);
  case ValueType::Int16:
    return int16_t(read16le(p));
  case ValueType::UInt32:
    isSigned = false;
    return read32le(p);
  case ValueType::Int32:
    return int32_t(read32le(p));
  case ValueType::UInt64:
    isSigned = false;
    return int64_t(read64le(p)); // reinterpreted; callers check the sign
  case ValueType::Int64:
    return int64_t(read64le(p));
  default:
    return std::nullopt;
  }
}

std::optional<double> Value::numericElement(uint64_t index) const {
  ValueType t = isArray() ? elementType : type;
  uint64_t size = getScalarSize(t);
  if (size == 0 || (index + 1) * size > raw.size())
    return std::nullopt;
  const uint8_t *p = raw.data() + index * size;
  if (t == ValueType::Float32) {
    uint32_t bits = support::endian::read32le(p);
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  if (t == ValueType::Float64) {
    uint64_t bits = support::endian::read64le(p);
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  if (t == ValueType::Bool)
    return std::nullopt;
  bool isSigned;
  std::optional<int64_t> i = integerElement(index, isSigned);
  if (!i)
    return std::nullopt;
  if (!isSigned && t == ValueType::UInt64)
    return double(uint64_t(*i));
  return double(*i);
}

std::optional<uint64_t> Value::getUInt() const {
  if (isArray() || type == ValueType::Bool)
    return std::nullopt;
  bool isSigned;
  std::optional<int64_t> i = integerElement(0, isSigned);
  if (!i || (isSigned && *i < 0))
    return std::nullopt;
  return uint64_t(*i);
}

std::optional<int64_t> Value::getInt() const {
  if (isArray() || type == ValueType::Bool)
    return std::nullopt;
  bool isSigned;
  std::optional<int64_t> i = integerElement(0, isSigned);
  if (!i || (!isSigned && *i < 0)) // uint64 above INT64_MAX
    return std::nullopt;
  return i;
}

std::optional<double> Value::getFloat() const {
  if (isArray())
    return std::nullopt;
  return numericElement(0);
}

std::optional<bool> Value::getBool() const {
  if (type != ValueType::Bool)
    return std::nullopt;
  return raw[0] != 0;
}

std::optional<StringRef> Value::getString() const {
  if (type != ValueType::String)
    return std::nullopt;
  return strings.front();
}

std::optional<std::vector<StringRef>> Value::getStringArray() const {
  if (!isArray() || elementType != ValueType::String)
    return std::nullopt;
  return strings;
}

std::optional<std::vector<int64_t>> Value::getIntArray() const {
  if (!isArray() || elementType == ValueType::Bool ||
      elementType == ValueType::Float32 || elementType == ValueType::Float64 ||
      getScalarSize(elementType) == 0)
    return std::nullopt;
  std::vector<int64_t> values;
  values.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    bool isSigned;
    std::optional<int64_t> v = integerElement(i, isSigned);
    if (!v || (!isSigned && *v < 0))
      return std::nullopt;
    values.push_back(*v);
  }
  return values;
}

std::optional<std::vector<double>> Value::getFloatArray() const {
  if (!isArray() || getScalarSize(elementType) == 0 ||
      elementType == ValueType::Bool)
    return std::nullopt;
  std::vector<double> values;
  values.reserve(count);
  for (uint64_t i = 0; i < count; ++i)
    values.push_back(*numericElement(i));
  return values;
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

namespace {
/// Reads little-endian fields from the file and reports the byte offset of
/// whatever is missing or wrong.
class Cursor {
public:
  Cursor(ArrayRef<uint8_t> bytes, StringRef file) : bytes(bytes), file(file) {}

  uint64_t offset() const { return pos; }
  uint64_t remaining() const { return bytes.size() - pos; }

  Error error(const Twine &message) const {
    return fileError(file, message);
  }

  Error need(uint64_t n, const Twine &what) const {
    if (n <= remaining())
      return Error::success();
    return error("truncated at byte " + Twine(pos) + " while reading " + what +
                 " (needs " + Twine(n) + " bytes, " + Twine(remaining()) +
                 " left)");
  }

  Error take(uint64_t n, ArrayRef<uint8_t> &out, const Twine &what) {
    if (Error e = need(n, what))
      return e;
    out = bytes.slice(pos, n);
    pos += n;
    return Error::success();
  }

  Error readU32(uint32_t &out, const Twine &what) {
    ArrayRef<uint8_t> raw;
    if (Error e = take(4, raw, what))
      return e;
    out = support::endian::read32le(raw.data());
    return Error::success();
  }

  Error readU64(uint64_t &out, const Twine &what) {
    ArrayRef<uint8_t> raw;
    if (Error e = take(8, raw, what))
      return e;
    out = support::endian::read64le(raw.data());
    return Error::success();
  }

  Error readString(StringRef &out, const Twine &what) {
    uint64_t start = pos;
    uint64_t length;
    if (Error e = readU64(length, what + " length"))
      return e;
    if (length > remaining())
      return error("string length " + Twine(length) + " at byte " +
                   Twine(start) + " (" + what + ") exceeds the " +
                   Twine(remaining()) + " bytes left in the file");
    out = StringRef(reinterpret_cast<const char *>(bytes.data() + pos), length);
    pos += length;
    return Error::success();
  }

  /// Moves to the next multiple of `alignment` (which may be past the end).
  void align(uint64_t alignment) { pos = alignTo(pos, alignment); }

private:
  ArrayRef<uint8_t> bytes;
  StringRef file;
  uint64_t pos = 0;
};
} // namespace

/// Decides the layout of the file's Q2_0 (id 42) tensors: the official one
/// (64 weights in 18 bytes) or PrismML's legacy one (128 weights in 34
/// bytes, the PQ2_0 block). Writers place tensors one after another, each
/// padded to the alignment, so the bytes from a tensor's offset to the next
/// tensor's show its size. A tensor large enough that only one layout fits
/// decides; every other id-42 tensor must fit the same one. A file whose
/// id-42 tensors are all small enough to fit both reads as the official
/// layout. Tensors whose space is smaller than both sizes are left to the
/// overlap and end-of-file checks that follow.
static Error resolveQ2_0Layout(std::vector<TensorInfo> &tensors,
                               uint64_t dataSize, uint64_t alignment,
                               const Cursor &cursor) {
  if (llvm::none_of(tensors, [](const TensorInfo &t) {
        return t.type == uint32_t(TensorType::Q2_0);
      }))
    return Error::success();
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t(0));
  llvm::sort(order, [&](size_t a, size_t b) {
    return std::make_pair(tensors[a].offset, a) <
           std::make_pair(tensors[b].offset, b);
  });

  const TensorInfo *official = nullptr, *legacy = nullptr;
  for (size_t k = 0; k < order.size(); ++k) {
    TensorInfo &t = tensors[order[k]];
    if (t.type != uint32_t(TensorType::Q2_0))
      continue;
    bool last = k + 1 == order.size();
    uint64_t end = last ? dataSize : tensors[order[k + 1]].offset;
    if (end < t.offset)
      continue; // past the end of the file: reported below
    uint64_t space = end - t.offset;
    uint64_t officialSize = t.size;
    Expected<uint64_t> legacySize = getTensorDataSize(t.type, t.dims, true);
    std::optional<uint64_t> legacyBytes;
    if (legacySize)
      legacyBytes = *legacySize;
    else
      consumeError(legacySize.takeError());
    // The last tensor may be followed by any padding.
    auto fits = [&](uint64_t size) {
      return size <= space && (last || space - size < alignment);
    };
    bool fitsOfficial = fits(officialSize);
    bool fitsLegacy = legacyBytes && fits(*legacyBytes);
    if (!fitsOfficial && !fitsLegacy) {
      if (space < officialSize && (!legacyBytes || space < *legacyBytes))
        continue; // overlaps the next tensor: reported below
      std::string sizes =
          legacyBytes ? (Twine(officialSize) + " or " + Twine(*legacyBytes) +
                         " bytes")
                            .str()
                      : (Twine(officialSize) +
                         " bytes; its rows do not divide into the legacy "
                         "layout's blocks")
                            .str();
      return cursor.error("tensor '" + t.name + "' (Q2_0, rows of " +
                          Twine(t.dims[0]) + ") has " + Twine(space) +
                          " bytes up to the next tensor, which matches "
                          "neither the Q2_0 layout (64-weight blocks) nor the "
                          "legacy group-128 layout (" +
                          sizes + ", each padded to the alignment of " +
                          Twine(alignment) + ")");
    }
    if (fitsOfficial && !fitsLegacy && !official)
      official = &t;
    if (fitsLegacy && !fitsOfficial && !legacy)
      legacy = &t;
  }
  if (official && legacy)
    return cursor.error("tensor '" + official->name +
                        "' has the size of the Q2_0 layout (64-weight "
                        "blocks) but tensor '" +
                        legacy->name +
                        "' that of the legacy group-128 layout; the Q2_0 "
                        "tensors of a file must all use one layout");
  if (!legacy)
    return Error::success();
  for (TensorInfo &t : tensors) {
    if (t.type != uint32_t(TensorType::Q2_0))
      continue;
    Expected<uint64_t> size = getTensorDataSize(t.type, t.dims, true);
    if (!size)
      return cursor.error("tensor '" + t.name +
                          "': " + toString(size.takeError()));
    t.size = *size;
    t.legacyQ2_0 = true;
  }
  return Error::success();
}

/// Reads a metadata value; a friend of Value.
struct ValueParser {
  static Error parse(Cursor &cursor, Value &value, StringRef key);
  static void setType(Value &value, ValueType type) { value.type = type; }
};

Error ValueParser::parse(Cursor &cursor, Value &value, StringRef key) {
  std::string what = ("the value of '" + key + "'").str();
  if (value.type == ValueType::String) {
    StringRef s;
    if (Error e = cursor.readString(s, what))
      return e;
    value.strings = {s};
    return Error::success();
  }
  if (value.type != ValueType::Array) {
    if (Error e = cursor.take(getScalarSize(value.type), value.raw, what))
      return e;
    if (value.type == ValueType::Bool && value.raw[0] > 1)
      return cursor.error("metadata key '" + key + "' is a bool of value " +
                          Twine(unsigned(value.raw[0])) + "; expected 0 or 1");
    return Error::success();
  }

  uint32_t elementType;
  if (Error e = cursor.readU32(elementType, "the array type of '" + key + "'"))
    return e;
  if (!isKnownValueType(elementType))
    return cursor.error("metadata key '" + key +
                        "' is an array of unknown value type " +
                        Twine(elementType));
  value.elementType = static_cast<ValueType>(elementType);
  if (value.elementType == ValueType::Array)
    return cursor.error("metadata key '" + key +
                        "' is an array of arrays, which Trit does not read");
  if (Error e = cursor.readU64(value.count, "the array size of '" + key + "'"))
    return e;

  // Bound the count by the bytes left before reserving anything.
  uint64_t minElementSize = value.elementType == ValueType::String
                                ? 8
                                : getScalarSize(value.elementType);
  if (value.count > cursor.remaining() / minElementSize)
    return cursor.error("metadata key '" + key + "' claims " +
                        Twine(value.count) + " elements, more than the " +
                        Twine(cursor.remaining()) +
                        " bytes left in the file can hold");
  if (value.elementType == ValueType::String) {
    value.strings.reserve(std::min<uint64_t>(value.count, 1 << 20));
    for (uint64_t i = 0; i < value.count; ++i) {
      StringRef s;
      if (Error e = cursor.readString(
              s, "element " + Twine(i) + " of '" + key + "'"))
        return e;
      value.strings.push_back(s);
    }
    return Error::success();
  }
  return cursor.take(value.count * minElementSize, value.raw, what);
}

Expected<File> File::parse(ArrayRef<uint8_t> bytes, StringRef fileName) {
  File file;
  file.fileName = fileName.str();
  Cursor cursor(bytes, fileName);

  ArrayRef<uint8_t> magic;
  if (Error e = cursor.take(4, magic, "the magic number"))
    return std::move(e);
  if (std::memcmp(magic.data(), "GGUF", 4) != 0)
    return cursor.error("not a GGUF file (the first bytes are not \"GGUF\")");
  if (Error e = cursor.readU32(file.version, "the version"))
    return std::move(e);
  if (file.version != 2 && file.version != 3)
    return cursor.error(
        "unsupported GGUF version " + Twine(file.version) +
        (file.version > 0xffff ? " (a big-endian file?)" : "") +
        "; Trit reads versions 2 and 3");

  uint64_t tensorCount, keyCount;
  if (Error e = cursor.readU64(tensorCount, "the tensor count"))
    return std::move(e);
  if (Error e = cursor.readU64(keyCount, "the metadata count"))
    return std::move(e);
  // A key is at least 13 bytes (length, type, one-byte value); a tensor info
  // at least 32 (name length, n_dims, one dim, type, offset).
  if (keyCount > cursor.remaining() / 13)
    return cursor.error("metadata count " + Twine(keyCount) +
                        " is more than the file can hold");
  if (tensorCount > cursor.remaining() / 32)
    return cursor.error("tensor count " + Twine(tensorCount) +
                        " is more than the file can hold");

  // Reserve only what any real file needs; damaged counts grow as parsed.
  file.keys.reserve(std::min<uint64_t>(keyCount, 1024));
  for (uint64_t i = 0; i < keyCount; ++i) {
    uint64_t start = cursor.offset();
    StringRef key;
    if (Error e = cursor.readString(key, "metadata key " + Twine(i)))
      return std::move(e);
    if (key.empty())
      return cursor.error("metadata key " + Twine(i) + " at byte " +
                          Twine(start) + " is empty");
    if (file.metadata.count(key))
      return cursor.error("metadata key '" + key + "' appears twice");
    uint32_t type;
    if (Error e = cursor.readU32(type, "the type of '" + key + "'"))
      return std::move(e);
    if (!isKnownValueType(type))
      return cursor.error("metadata key '" + key + "' has unknown value type " +
                          Twine(type));
    Value value;
    ValueParser::setType(value, static_cast<ValueType>(type));
    if (Error e = ValueParser::parse(cursor, value, key))
      return std::move(e);
    file.keys.push_back(key.str());
    file.metadata.try_emplace(key, std::move(value));
  }

  if (const Value *alignment = file.lookup("general.alignment")) {
    std::optional<uint64_t> value = alignment->getUInt();
    if (alignment->getType() != ValueType::UInt32 || !value || *value == 0 ||
        !isPowerOf2_64(*value))
      return cursor.error(
          "general.alignment must be a uint32 power of two, got a " +
          getValueTypeName(alignment->getType()) +
          (value ? " of value " + Twine(*value) : Twine()));
    file.alignment = *value;
  }

  file.tensors.reserve(std::min<uint64_t>(tensorCount, 4096));
  for (uint64_t i = 0; i < tensorCount; ++i) {
    TensorInfo info;
    if (Error e = cursor.readString(info.name, "the name of tensor " + Twine(i)))
      return std::move(e);
    if (info.name.empty())
      return cursor.error("tensor " + Twine(i) + " has an empty name");
    if (file.tensorIndex.count(info.name))
      return cursor.error("tensor '" + info.name + "' appears twice");
    uint32_t dimCount;
    if (Error e = cursor.readU32(dimCount, "the rank of '" + info.name + "'"))
      return std::move(e);
    if (dimCount == 0 || dimCount > 4)
      return cursor.error("tensor '" + info.name + "' has rank " +
                          Twine(dimCount) + "; GGUF tensors have rank 1 to 4");
    for (uint32_t d = 0; d < dimCount; ++d) {
      uint64_t dim;
      if (Error e = cursor.readU64(dim, "dimension " + Twine(d) + " of '" +
                                            info.name + "'"))
        return std::move(e);
      if (dim == 0)
        return cursor.error("tensor '" + info.name + "' has dimension " +
                            Twine(d) + " of size 0");
      info.dims.push_back(dim);
    }
    if (Error e = cursor.readU32(info.type, "the type of '" + info.name + "'"))
      return std::move(e);
    if (Error e =
            cursor.readU64(info.offset, "the offset of '" + info.name + "'"))
      return std::move(e);
    if (info.offset % file.alignment != 0)
      return cursor.error("tensor '" + info.name + "' has offset " +
                          Twine(info.offset) +
                          ", not a multiple of the alignment " +
                          Twine(file.alignment));
    Expected<uint64_t> size = getTensorDataSize(info.type, info.dims);
    if (!size)
      return cursor.error("tensor '" + info.name +
                          "': " + toString(size.takeError()));
    info.size = *size;
    file.tensorIndex[info.name] = file.tensors.size();
    file.tensors.push_back(std::move(info));
  }

  cursor.align(file.alignment);
  uint64_t dataStart = cursor.offset();
  uint64_t dataSize = dataStart <= bytes.size() ? bytes.size() - dataStart : 0;
  if (Error e = resolveQ2_0Layout(file.tensors, dataSize, file.alignment,
                                  cursor))
    return std::move(e);
  for (TensorInfo &info : file.tensors) {
    if (info.offset > dataSize || info.size > dataSize - info.offset)
      return cursor.error("tensor '" + info.name + "' (" +
                          getTensorTypeName(info.type) + ", " +
                          Twine(info.size) + " bytes at data offset " +
                          Twine(info.offset) +
                          ") extends past the end of the file (the data "
                          "section holds " +
                          Twine(dataSize) + " bytes)");
    info.data = bytes.slice(dataStart + info.offset, info.size);
  }

  // Tensor data must not overlap.
  std::vector<const TensorInfo *> byOffset;
  for (const TensorInfo &info : file.tensors)
    byOffset.push_back(&info);
  llvm::sort(byOffset, [](const TensorInfo *a, const TensorInfo *b) {
    return a->offset < b->offset;
  });
  for (size_t i = 1; i < byOffset.size(); ++i)
    if (byOffset[i - 1]->offset + byOffset[i - 1]->size > byOffset[i]->offset)
      return cursor.error("the data of tensors '" + byOffset[i - 1]->name +
                          "' and '" + byOffset[i]->name + "' overlap");
  return file;
}

const Value *File::lookup(StringRef key) const {
  auto it = metadata.find(key);
  return it == metadata.end() ? nullptr : &it->second;
}

const TensorInfo *File::lookupTensor(StringRef name) const {
  auto it = tensorIndex.find(name);
  return it == tensorIndex.end() ? nullptr : &tensors[it->second];
}

/// The value of `key` read by `get`, or an error naming the key and what it
/// holds instead of `what`.
template <typename T, typename Getter>
static Expected<T> getRequired(const File &file, StringRef key, Getter get,
                               StringRef what) {
  const Value *value = file.lookup(key);
  if (!value)
    return fileError(file.getFileName(),
                     "metadata key '" + key + "' is missing");
  if (std::optional<T> v = get(*value))
    return *v;
  return fileError(file.getFileName(),
                   "metadata key '" + key + "' is a " +
                       getValueTypeName(value->getType()) + ", not " + what);
}

Expected<uint64_t> File::getRequiredUInt(StringRef key) const {
  return getRequired<uint64_t>(
      *this, key, [](const Value &v) { return v.getUInt(); },
      "a non-negative integer");
}

Expected<double> File::getRequiredFloat(StringRef key) const {
  return getRequired<double>(
      *this, key, [](const Value &v) { return v.getFloat(); }, "a number");
}

Expected<StringRef> File::getRequiredString(StringRef key) const {
  return getRequired<StringRef>(
      *this, key, [](const Value &v) { return v.getString(); }, "a string");
}

} // namespace trit::gguf
