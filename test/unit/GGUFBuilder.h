//===- GGUFBuilder.h - writes GGUF bytes for reader tests -------*- C++ -*-===//
//
// Builds small GGUF files field by field, so tests can make valid files and
// break them in exactly one place.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TEST_UNIT_GGUFBUILDER_H
#define TRIT_TEST_UNIT_GGUFBUILDER_H

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace trit::test {

class GGUFBuilder {
public:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    uint32_t type;
    std::vector<uint8_t> data;
    /// Data offset; -1 places it after the previous tensor, aligned.
    int64_t offset = -1;
  };

  uint32_t version = 3;
  uint32_t alignment = 32;
  /// Raw bytes of the metadata section, appended with the add* calls.
  std::vector<uint8_t> kv;
  uint64_t kvCount = 0;
  std::vector<Tensor> tensors;

  template <typename T> static void put(std::vector<uint8_t> &out, T value) {
    uint8_t bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.insert(out.end(), bytes, bytes + sizeof(T));
  }
  static void putString(std::vector<uint8_t> &out, const std::string &s) {
    put<uint64_t>(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
  }

  template <typename T>
  GGUFBuilder &add(const std::string &key, uint32_t type, T value) {
    putString(kv, key);
    put<uint32_t>(kv, type);
    put<T>(kv, value);
    ++kvCount;
    return *this;
  }
  GGUFBuilder &addString(const std::string &key, const std::string &value) {
    putString(kv, key);
    put<uint32_t>(kv, 8);
    putString(kv, value);
    ++kvCount;
    return *this;
  }
  GGUFBuilder &addStringArray(const std::string &key,
                              const std::vector<std::string> &values) {
    putString(kv, key);
    put<uint32_t>(kv, 9);
    put<uint32_t>(kv, 8);
    put<uint64_t>(kv, values.size());
    for (const std::string &v : values)
      putString(kv, v);
    ++kvCount;
    return *this;
  }
  template <typename T>
  GGUFBuilder &addArray(const std::string &key, uint32_t elementType,
                        const std::vector<T> &values) {
    putString(kv, key);
    put<uint32_t>(kv, 9);
    put<uint32_t>(kv, elementType);
    put<uint64_t>(kv, values.size());
    for (T v : values)
      put<T>(kv, v);
    ++kvCount;
    return *this;
  }
  GGUFBuilder &addTensor(Tensor tensor) {
    tensors.push_back(std::move(tensor));
    return *this;
  }

  std::vector<uint8_t> build() const {
    std::vector<uint8_t> out = {'G', 'G', 'U', 'F'};
    put<uint32_t>(out, version);
    put<uint64_t>(out, tensors.size());
    put<uint64_t>(out, kvCount);
    out.insert(out.end(), kv.begin(), kv.end());
    std::vector<uint64_t> offsets;
    uint64_t next = 0;
    for (const Tensor &t : tensors) {
      uint64_t offset = t.offset >= 0 ? uint64_t(t.offset) : next;
      offsets.push_back(offset);
      next = (offset + t.data.size() + alignment - 1) / alignment * alignment;
      putString(out, t.name);
      put<uint32_t>(out, t.dims.size());
      for (uint64_t d : t.dims)
        put<uint64_t>(out, d);
      put<uint32_t>(out, t.type);
      put<uint64_t>(out, offset);
    }
    out.resize((out.size() + alignment - 1) / alignment * alignment, 0);
    size_t dataStart = out.size();
    for (size_t i = 0; i < tensors.size(); ++i) {
      size_t end = dataStart + offsets[i] + tensors[i].data.size();
      if (out.size() < end)
        out.resize(end, 0);
      if (!tensors[i].data.empty()) // memcpy from null is undefined
        std::memcpy(out.data() + dataStart + offsets[i],
                    tensors[i].data.data(), tensors[i].data.size());
    }
    return out;
  }
};

} // namespace trit::test

#endif // TRIT_TEST_UNIT_GGUFBUILDER_H
