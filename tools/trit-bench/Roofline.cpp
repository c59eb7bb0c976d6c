//===- Roofline.cpp - this machine's limits, measured ---------------------===//

#include "Roofline.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

using namespace trit::bench;

namespace {

// Where the read loops' results go, so that the reads cannot be dropped.
volatile uint64_t readSink;

double seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) uint64_t readAvx2(const uint8_t *p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 128 <= n; i += 128) {
    a0 = _mm256_xor_si256(a0, _mm256_load_si256((const __m256i *)(p + i)));
    a1 = _mm256_xor_si256(a1, _mm256_load_si256((const __m256i *)(p + i + 32)));
    a2 = _mm256_xor_si256(a2, _mm256_load_si256((const __m256i *)(p + i + 64)));
    a3 = _mm256_xor_si256(a3, _mm256_load_si256((const __m256i *)(p + i + 96)));
  }
  __m256i a = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  return uint64_t(_mm256_extract_epi64(a, 0) ^ _mm256_extract_epi64(a, 3));
}
#endif

uint64_t readPortable(const uint8_t *p, size_t n) {
  uint64_t acc = 0;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    acc ^= v;
  }
  return acc;
}

uint64_t readRange(const uint8_t *p, size_t n) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2"))
    return readAvx2(p, n);
#endif
  return readPortable(p, n);
}

} // namespace

double trit::bench::measureReadBandwidth(size_t bytes, int threads,
                                         int repeats) {
  bytes = bytes / 4096 * 4096;
  auto *buffer = static_cast<uint8_t *>(std::aligned_alloc(4096, bytes));
  if (!buffer)
    return 0;
  // Touch every page from the threads that will read it (first touch).
  std::vector<std::thread> pool;
  size_t slice = bytes / threads / 128 * 128;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { std::memset(buffer + t * slice, t + 1, slice); });
  for (auto &th : pool)
    th.join();
  double best = 0;
  std::atomic<uint64_t> sink{0}; // keeps the reads observable
  for (int r = 0; r < repeats; ++r) {
    pool.clear();
    auto t0 = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back(
          [&, t] { sink ^= readRange(buffer + t * slice, slice); });
    for (auto &th : pool)
      th.join();
    best = std::max(best, slice * double(threads) / seconds(t0) / 1e9);
  }
  std::free(buffer);
  readSink = sink.load();
  return best;
}

#if defined(__x86_64__)
/// Keeps twelve zmm accumulators alive past the timed loop.
__attribute__((target("avx512f"))) static void keepAccumulators(
    const __m512i a[12]) {
  __m512i sum = a[0];
  for (int k = 1; k < 12; ++k)
    sum = _mm512_add_epi32(sum, a[k]);
  volatile int keep = _mm512_reduce_add_epi32(sum);
  (void)keep;
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static double vnniLoop() {
  // Twelve independent accumulators hide the instruction's latency.
  __m512i a[12];
  for (int i = 0; i < 12; ++i)
    a[i] = _mm512_set1_epi32(i);
  __m512i x = _mm512_set1_epi8(3), y = _mm512_set1_epi8(-2);
  const long iterations = 20000000;
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    for (int k = 0; k < 12; ++k)
      a[k] = _mm512_dpbusd_epi32(a[k], x, y);
    __asm__ volatile("" : "+v"(x));
  }
  double s = seconds(t0);
  keepAccumulators(a);
  return iterations * 12.0 * 64 / s / 1e9;
}

__attribute__((target("avx512f,avx512bw,avx512vnni,avx512vbmi"))) static double
lutLoop() {
  // The lookup-table tile's inner step: vpermb looks up 64 table bytes
  // (16 rows x 4 triples) and vpdpbusd multiplies them by their signs and
  // sums each row's four; three weights per looked-up byte. Twelve
  // accumulators, each with its own index register, so each vpdpbusd
  // needs its own vpermb.
  __m512i a[12], index[12];
  for (int i = 0; i < 12; ++i) {
    a[i] = _mm512_set1_epi32(i);
    index[i] = _mm512_set1_epi8(char(5 * i));
    // Opaque, or the compiler turns lookups of constants into broadcasts.
    __asm__ volatile("" : "+v"(index[i]));
  }
  __m512i table = _mm512_set1_epi8(5), sign = _mm512_set1_epi8(-1);
  const long iterations = 20000000;
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    for (int k = 0; k < 12; ++k)
      a[k] = _mm512_dpbusd_epi32(
          a[k], _mm512_permutexvar_epi8(index[k], table), sign);
    // A new table each step, so the lookups cannot leave the loop.
    table = _mm512_add_epi8(table, sign);
  }
  double s = seconds(t0);
  keepAccumulators(a);
  return iterations * 12.0 * 64 * 3 / s / 1e9;
}

__attribute__((target("avx2"))) static double avx2Loop() {
  // The AVX2 kernels' multiply: vpmaddubsw, 32 int8 products (added in
  // pairs) per instruction. Its rate is the ceiling; the kernels' widening
  // (vpmaddwd) and int32 adds run beside it on other ports, or once per
  // several multiplies, so counting them here (as before 2026-12-07) put
  // the probe below what the kernels reach. Twelve accumulators with their
  // own operands hide the latency.
  __m256i a[12], b[12];
  for (int i = 0; i < 12; ++i) {
    a[i] = _mm256_set1_epi16(short(i));
    b[i] = _mm256_set1_epi8(char(i - 6));
  }
  __m256i x = _mm256_set1_epi8(3);
  const long iterations = 40000000;
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < iterations; ++i) {
    for (int k = 0; k < 12; ++k)
      a[k] = _mm256_add_epi16(a[k], _mm256_maddubs_epi16(x, b[k]));
    __asm__ volatile("" : "+x"(x));
  }
  double s = seconds(t0);
  __m256i sum = a[0];
  for (int k = 1; k < 12; ++k)
    sum = _mm256_add_epi16(sum, a[k]);
  volatile int keep = _mm256_extract_epi16(sum, 0);
  (void)keep;
  return iterations * 12.0 * 32 / s / 1e9;
}
#endif

double trit::bench::measureVnniPeak() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw"))
    return vnniLoop();
#endif
  return 0;
}

double trit::bench::measureLutPeak() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vnni") &&
      __builtin_cpu_supports("avx512vbmi"))
    return lutLoop();
#endif
  return 0;
}

double trit::bench::measureAvx2Peak() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2"))
    return avx2Loop();
#endif
  return 0;
}
