//===- ArtifactFormat.h - the .trit container, shared by writer and reader -===//
//
// A 64-byte prefix, the FlatBuffer header (runtime/schema/artifact.fbs), the
// compiled code and the weights, each 64-byte aligned. The checksum covers
// every byte after the prefix, so a damaged file is detected before use.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_ARTIFACTFORMAT_H
#define TRIT_RUNTIME_ARTIFACTFORMAT_H

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace trit::artifact {

inline constexpr char kMagic[8] = {'T', 'R', 'I', 'T', 'M', 'O', 'D', 'L'};
/// Bumped when the container or the schema changes incompatibly.
inline constexpr uint32_t kContainerVersion = 1;
inline constexpr uint64_t kAlignment = 64;

struct Prefix {
  char magic[8];
  uint32_t containerVersion;
  uint32_t reserved;
  uint64_t headerOffset;
  uint64_t headerSize;
  uint64_t fileSize;
  uint64_t checksum; // of bytes [sizeof(Prefix) rounded to 64, fileSize)
  uint8_t padding[16];
};
static_assert(sizeof(Prefix) == 64, "the prefix is one cache line");

/// CPU features the runtime can check on the host; the writer records the
/// ones the target enables as the artifact's required features.
inline constexpr const char *kCheckableFeatures[] = {
    // x86
    "sse4.1", "sse4.2", "avx", "avx2", "fma", "f16c", "bmi", "bmi2",
    "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd", "avx512vnni",
    "avx512bf16", "avx512vbmi", "avx512vbmi2", "avx512bitalg",
    "avx512vpopcntdq", "avx512ifma", "avxvnni", "gfni", "vaes", "vpclmulqdq",
    "amx-tile", "amx-int8", "amx-bf16",
    // aarch64
    "neon", "dotprod", "fullfp16", "i8mm", "sve",
};

inline uint64_t alignUp(uint64_t v) {
  return (v + kAlignment - 1) / kAlignment * kAlignment;
}

/// A 64-bit checksum fast enough for gigabytes (four independent
/// multiply-rotate lanes over 8-byte words), not a cryptographic hash: it
/// detects truncation, bit flips and overwritten blocks.
inline uint64_t checksum(const uint8_t *data, size_t size) {
  const uint64_t prime1 = 0x9E3779B185EBCA87ull, prime2 = 0xC2B2AE3D27D4EB4Full;
  uint64_t lanes[4] = {prime1, prime2, ~prime1, ~prime2};
  auto mix = [&](uint64_t h, uint64_t w) {
    h ^= w * prime2;
    h = (h << 31) | (h >> 33);
    return h * prime1;
  };
  size_t i = 0;
  for (; i + 32 <= size; i += 32)
    for (int l = 0; l < 4; ++l) {
      uint64_t w;
      std::memcpy(&w, data + i + 8 * l, 8);
      lanes[l] = mix(lanes[l], w);
    }
  uint64_t h = size * prime1;
  for (int l = 0; l < 4; ++l)
    h = mix(h, lanes[l]);
  for (; i < size; ++i)
    h = mix(h, data[i]);
  return h ^ (h >> 29);
}

} // namespace trit::artifact

#endif // TRIT_RUNTIME_ARTIFACTFORMAT_H
