//===- ArtifactFormat.h - the .trit container, shared by writer and reader -===//
//
// A 64-byte prefix, the FlatBuffer header (runtime/schema/artifact.fbs), the
// compiled code and the weights, each 64-byte aligned. The checksum covers
// every byte after the prefix, so a damaged file is detected before use.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_ARTIFACTFORMAT_H
#define TRIT_RUNTIME_ARTIFACTFORMAT_H

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace trit::artifact {

inline constexpr char kMagic[8] = {'T', 'R', 'I', 'T', 'M', 'O', 'D', 'L'};
/// Bumped when the container or the schema changes incompatibly (2: the
/// checksum is computed over chunks).
inline constexpr uint32_t kContainerVersion = 2;
inline constexpr uint64_t kAlignment = 64;

struct Prefix {
  char magic[8];
  uint32_t containerVersion;
  uint32_t reserved;
  uint64_t headerOffset;
  uint64_t headerSize;
  uint64_t fileSize;
  uint64_t checksum; // containerChecksum of bytes [sizeof(Prefix), fileSize)
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
/// detects truncation, bit flips and overwritten blocks. Incremental, so a
/// writer can checksum what it streams without reading its output back.
class Checksum {
public:
  void update(const uint8_t *data, size_t size) {
    if (size == 0) // data may be null, which memcpy does not take
      return;
    total += size;
    if (pending) {
      size_t take = std::min(size, sizeof(block) - pending);
      std::memcpy(block + pending, data, take);
      pending += take;
      data += take;
      size -= take;
      if (pending < sizeof(block))
        return;
      mixBlock(block);
      pending = 0;
    }
    for (; size >= sizeof(block); data += sizeof(block), size -= sizeof(block))
      mixBlock(data);
    std::memcpy(block, data, size);
    pending = size;
  }

  uint64_t finish() const {
    uint64_t h = total * kPrime1;
    for (uint64_t lane : lanes)
      h = mix(h, lane);
    for (size_t i = 0; i < pending; ++i)
      h = mix(h, block[i]);
    return h ^ (h >> 29);
  }

private:
  static constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ull;
  static constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;
  static uint64_t mix(uint64_t h, uint64_t w) {
    h ^= w * kPrime2;
    h = (h << 31) | (h >> 33);
    return h * kPrime1;
  }
  void mixBlock(const uint8_t *p) {
    for (int l = 0; l < 4; ++l) {
      uint64_t w;
      std::memcpy(&w, p + 8 * l, 8);
      lanes[l] = mix(lanes[l], w);
    }
  }

  uint64_t lanes[4] = {kPrime1, kPrime2, ~kPrime1, ~kPrime2};
  uint8_t block[32];
  size_t pending = 0;
  uint64_t total = 0;
};

inline uint64_t checksum(const uint8_t *data, size_t size) {
  Checksum sum;
  sum.update(data, size);
  return sum.finish();
}

/// The container's checksum: the Checksum of each kChecksumChunk bytes, then
/// the Checksum of those values in order. The reader checks the chunks of a
/// gigabyte file on several threads; the writer streams.
inline constexpr uint64_t kChecksumChunk = uint64_t(16) << 20;

inline uint64_t combineChunkChecksums(const uint64_t *sums, size_t count) {
  return checksum(reinterpret_cast<const uint8_t *>(sums),
                  count * sizeof(uint64_t));
}

class ContainerChecksum {
public:
  void update(const uint8_t *data, size_t size) {
    while (size) {
      size_t take = std::min<uint64_t>(size, kChecksumChunk - inChunk);
      chunk.update(data, take);
      inChunk += take;
      data += take;
      size -= take;
      if (inChunk == kChecksumChunk)
        endChunk();
    }
  }
  uint64_t finish() {
    if (inChunk)
      endChunk();
    return combineChunkChecksums(sums.data(), sums.size());
  }

private:
  void endChunk() {
    sums.push_back(chunk.finish());
    chunk = Checksum();
    inChunk = 0;
  }
  Checksum chunk;
  uint64_t inChunk = 0;
  std::vector<uint64_t> sums;
};

/// The same at once (the reader's sequential version).
inline uint64_t containerChecksum(const uint8_t *data, size_t size) {
  ContainerChecksum sum;
  sum.update(data, size);
  return sum.finish();
}

} // namespace trit::artifact

#endif // TRIT_RUNTIME_ARTIFACTFORMAT_H
