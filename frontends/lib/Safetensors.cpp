//===- Safetensors.cpp - safetensors reader -------------------------------===//

#include "trit/Frontends/Safetensors.h"
#include "JSON.h"
#include "trit/Frontends/MappedFile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/JSON.h"

using namespace llvm;

namespace trit::safetensors {

static constexpr std::pair<DType, StringRef> kDTypeNames[] = {
    {DType::Bool, "BOOL"}, {DType::U8, "U8"},     {DType::I8, "I8"},
    {DType::U16, "U16"},   {DType::I16, "I16"},   {DType::F16, "F16"},
    {DType::BF16, "BF16"}, {DType::U32, "U32"},   {DType::I32, "I32"},
    {DType::F32, "F32"},   {DType::U64, "U64"},   {DType::I64, "I64"},
    {DType::F64, "F64"}};

uint64_t getDTypeSize(DType dtype) {
  switch (dtype) {
  case DType::Bool:
  case DType::U8:
  case DType::I8:
    return 1;
  case DType::U16:
  case DType::I16:
  case DType::F16:
  case DType::BF16:
    return 2;
  case DType::U32:
  case DType::I32:
  case DType::F32:
    return 4;
  case DType::U64:
  case DType::I64:
  case DType::F64:
    return 8;
  }
  return 1;
}

StringRef getDTypeName(DType dtype) {
  for (auto [d, name] : kDTypeNames)
    if (d == dtype)
      return name;
  return "?";
}

std::optional<DType> parseDType(StringRef name) {
  for (auto [d, n] : kDTypeNames)
    if (n == name)
      return d;
  return std::nullopt;
}

int64_t TensorInfo::getElementCount() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

/// Largest header accepted; real headers are well under a megabyte.
static constexpr uint64_t kMaxHeaderSize = 100 << 20;

Expected<File> File::parse(ArrayRef<uint8_t> bytes, StringRef fileName) {
  File file;
  file.fileName = fileName.str();
  auto error = [&](const Twine &message) {
    return fileError(fileName, message);
  };

  if (bytes.size() < 8)
    return error("truncated: " + Twine(bytes.size()) +
                 " bytes, too short for the 8-byte header length");
  uint64_t headerSize = support::endian::read64le(bytes.data());
  if (headerSize > bytes.size() - 8)
    return error("header length " + Twine(headerSize) + " exceeds the " +
                 Twine(bytes.size() - 8) + " bytes after it");
  if (headerSize > kMaxHeaderSize)
    return error("header length " + Twine(headerSize) +
                 " is larger than the 100 MiB Trit accepts");
  StringRef header(reinterpret_cast<const char *>(bytes.data() + 8),
                   headerSize);
  ArrayRef<uint8_t> data = bytes.drop_front(8 + headerSize);

  Expected<json::Value> parsed =
      parseUntrustedJSON(header, fileName + ": invalid JSON header:");
  if (!parsed)
    return parsed.takeError();
  json::Object *root = parsed->getAsObject();
  if (!root)
    return error("the header is not a JSON object");

  for (auto &[key, value] : *root) {
    std::string name = key.str();
    if (name == "__metadata__") {
      json::Object *metadata = value.getAsObject();
      if (!metadata)
        return error("__metadata__ is not a JSON object");
      for (auto &[mk, mv] : *metadata) {
        std::optional<StringRef> s = mv.getAsString();
        if (!s)
          return error("__metadata__ value '" + mk.str() +
                       "' is not a string");
        file.metadata[mk.str()] = s->str();
      }
      continue;
    }
    auto tensorError = [&](const Twine &message) {
      return error("tensor '" + name + "': " + message);
    };
    json::Object *entry = value.getAsObject();
    if (!entry)
      return tensorError("entry is not a JSON object");

    TensorInfo info;
    info.name = name;
    std::optional<StringRef> dtype = entry->getString("dtype");
    if (!dtype)
      return tensorError("missing string 'dtype'");
    std::optional<DType> parsedDType = parseDType(*dtype);
    if (!parsedDType)
      return tensorError("unknown dtype '" + *dtype + "'");
    info.dtype = *parsedDType;

    json::Array *shape = entry->getArray("shape");
    if (!shape)
      return tensorError("missing array 'shape'");
    if (shape->size() > 8)
      return tensorError("rank " + Twine(shape->size()) + " is too large");
    uint64_t elements = 1;
    for (const json::Value &dim : *shape) {
      std::optional<int64_t> d = dim.getAsInteger();
      if (!d || *d < 0)
        return tensorError("shape holds something other than a "
                           "non-negative integer");
      if (__builtin_mul_overflow(elements, uint64_t(*d), &elements) ||
          elements > (uint64_t(1) << 56))
        return tensorError("element count overflows");
      info.shape.push_back(*d);
    }

    json::Array *offsets = entry->getArray("data_offsets");
    if (!offsets || offsets->size() != 2)
      return tensorError("missing 'data_offsets' [begin, end]");
    std::optional<int64_t> begin = (*offsets)[0].getAsInteger();
    std::optional<int64_t> end = (*offsets)[1].getAsInteger();
    if (!begin || !end || *begin < 0 || *end < *begin)
      return tensorError("data_offsets must be integers 0 <= begin <= end");
    if (uint64_t(*end) > data.size())
      return tensorError("data [" + Twine(*begin) + ", " + Twine(*end) +
                         ") extends past the " + Twine(data.size()) +
                         " bytes of data in the file");
    uint64_t expected = elements * getDTypeSize(info.dtype);
    if (uint64_t(*end - *begin) != expected)
      return tensorError("holds " + Twine(*end - *begin) + " bytes but " +
                         getDTypeName(info.dtype) + " of this shape needs " +
                         Twine(expected));
    info.data = data.slice(*begin, *end - *begin);
    file.tensors.push_back(std::move(info));
  }

  // JSON objects are unordered: sort by name for a stable order, then check
  // that no two tensors share bytes.
  llvm::sort(file.tensors, [](const TensorInfo &a, const TensorInfo &b) {
    return a.name < b.name;
  });
  std::vector<const TensorInfo *> byOffset;
  for (const TensorInfo &t : file.tensors)
    if (!t.data.empty())
      byOffset.push_back(&t);
  llvm::sort(byOffset, [](const TensorInfo *a, const TensorInfo *b) {
    return a->data.data() < b->data.data();
  });
  for (size_t i = 1; i < byOffset.size(); ++i)
    if (byOffset[i - 1]->data.end() > byOffset[i]->data.data())
      return error("the data of tensors '" + byOffset[i - 1]->name +
                   "' and '" + byOffset[i]->name + "' overlap");
  for (size_t i = 0; i < file.tensors.size(); ++i)
    file.index[file.tensors[i].name] = i;
  return file;
}

const TensorInfo *File::lookup(StringRef name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &tensors[it->second];
}

} // namespace trit::safetensors
