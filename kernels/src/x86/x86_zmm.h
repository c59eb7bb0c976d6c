/*===- x86_zmm.h - 512-bit helpers of the AVX-512 files -------------------===*
 *
 * Included by x86/avx512vnni/ and x86/avx512vbmi/ (the avx512vnni family):
 * the prefetch distance and the T3X5 row dot's accumulation, shared by the
 * VNNI and the VBMI row dots.
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_KERNELS_SRC_X86_X86_ZMM_H
#define TRIT_KERNELS_SRC_X86_X86_ZMM_H

#include "x86/x86_ymm.h"

#include <immintrin.h>
#include <stdint.h>

/* How far ahead the one-token T3X5 kernel prefetches its weights. */
#ifndef TRIT_PREFETCH_BYTES
#define TRIT_PREFETCH_BYTES 8192
#endif

/* acc plus a row's I2_S-style tail of n (0, 64 or 128) weights times x. */
static inline __attribute__((always_inline)) __m256i
tail_dpbusd(__m256i acc, const uint8_t *w, const int8_t *x, int64_t n) {
  if (n == 128) {
    __m256i c[4];
    unpack_block(w, c);
    for (int i = 0; i < 4; ++i)
      acc = _mm256_dpbusd_epi32(
          acc, c[i], _mm256_loadu_si256((const __m256i *)(x + 32 * i)));
  } else if (n == 64) {
    const __m128i mask = _mm_set1_epi8(3);
    __m128i packed = _mm_loadu_si128((const __m128i *)w);
    __m128i t = _mm_setzero_si128();
    for (int i = 0; i < 4; ++i)
      t = _mm_dpbusd_epi32(
          t, _mm_and_si128(_mm_srli_epi16(packed, 6 - 2 * i), mask),
          _mm_loadu_si128((const __m128i *)(x + 16 * i)));
    acc = _mm256_add_epi32(acc, _mm256_zextsi128_si256(t));
  }
  return acc;
}

/* A pair's weights + 1 (u0: first group, u1: second) against its 384
 * activations x, into the pair's accumulators. */
static inline __attribute__((always_inline)) void
t3x5_pair_dot(__m512i a[3], __m512i b[3], const __m512i u0[3],
              const __m512i u1[3], const int8_t *x) {
  for (int d = 0; d < 3; ++d) {
    a[d] = _mm512_dpbusd_epi32(a[d], u0[d], _mm512_loadu_si512(x + 64 * d));
    b[d] = _mm512_dpbusd_epi32(b[d], u1[d],
                               _mm512_loadu_si512(x + 192 + 64 * d));
  }
}

/* A T3X5 row's dot from its pairs' accumulators (a: first groups, b:
 * second), the weights + 1 of its unpaired last group (or null) and its
 * I2_S tail. */
static inline __attribute__((always_inline)) int32_t
t3x5_row_sum(__m512i a[3], const __m512i b[3], const __m512i *unpaired,
             const uint8_t *w, const int8_t *q, int64_t cols) {
  int64_t groups = cols / 192;
  for (int d = 0; unpaired && d < 3; ++d)
    a[d] = _mm512_dpbusd_epi32(
        a[d], unpaired[d],
        _mm512_loadu_si512(q + (groups - 1) * 192 + 64 * d));
  __m256i tail = tail_dpbusd(_mm256_setzero_si256(), w + groups * 40,
                             q + groups * 192, cols % 192);
  __m512i sum = _mm512_add_epi32(
      _mm512_add_epi32(_mm512_add_epi32(a[0], b[0]),
                       _mm512_add_epi32(a[1], b[1])),
      _mm512_add_epi32(_mm512_add_epi32(a[2], b[2]),
                       _mm512_zextsi256_si512(tail)));
  return _mm512_reduce_add_epi32(sum);
}

#endif /* TRIT_KERNELS_SRC_X86_X86_ZMM_H */
