/*===- avx512vnni.c - AVX-512 VNNI microkernels ---------------------------===*
 *
 * vpdpbusd multiplies unsigned bytes (the codes 0..2) by signed bytes (the
 * activations) and accumulates groups of four into int32 lanes, exactly.
 * One 64-byte load holds two 128-weight blocks; the activations of the
 * matching elements of both blocks are put side by side.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

#include <immintrin.h>

/* x[offset .. offset+32) of block b and of block b + 1, in one register. */
static inline __m512i pair(const int8_t *x, int64_t offset) {
  __m256i lo = _mm256_loadu_si256((const __m256i *)(x + offset));
  __m256i hi = _mm256_loadu_si256((const __m256i *)(x + 128 + offset));
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

void trit_i2s_dot_rows_avx512vnni(const uint8_t *weights, const int8_t *q,
                                  int64_t cols, int64_t row_begin,
                                  int64_t row_end, int32_t *dots) {
  const __m512i mask = _mm512_set1_epi8(3);
  const __m256i mask256 = _mm256_set1_epi8(3);
  int64_t blocks = cols / 128;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * (cols / 4);
    /* Four accumulators: vpdpbusd's latency would otherwise chain the four
     * products of each pair of blocks. */
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    __m512i acc2 = _mm512_setzero_si512(), acc3 = _mm512_setzero_si512();
    int64_t b = 0;
    for (; b + 2 <= blocks; b += 2) {
      __m512i packed = _mm512_loadu_si512((const void *)(w + b * 32));
      const int8_t *x = q + b * 128;
      acc0 = _mm512_dpbusd_epi32(
          acc0, _mm512_and_si512(_mm512_srli_epi16(packed, 6), mask),
          pair(x, 0));
      acc1 = _mm512_dpbusd_epi32(
          acc1, _mm512_and_si512(_mm512_srli_epi16(packed, 4), mask),
          pair(x, 32));
      acc2 = _mm512_dpbusd_epi32(
          acc2, _mm512_and_si512(_mm512_srli_epi16(packed, 2), mask),
          pair(x, 64));
      acc3 = _mm512_dpbusd_epi32(acc3, _mm512_and_si512(packed, mask),
                                 pair(x, 96));
    }
    __m512i acc = _mm512_add_epi32(_mm512_add_epi32(acc0, acc1),
                                   _mm512_add_epi32(acc2, acc3));
    __m256i tail = _mm256_setzero_si256();
    if (b < blocks) { /* an odd last block */
      __m256i packed = _mm256_loadu_si256((const __m256i *)(w + b * 32));
      const int8_t *x = q + b * 128;
      tail = _mm256_dpbusd_epi32(
          tail, _mm256_and_si256(_mm256_srli_epi16(packed, 6), mask256),
          _mm256_loadu_si256((const __m256i *)x));
      tail = _mm256_dpbusd_epi32(
          tail, _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask256),
          _mm256_loadu_si256((const __m256i *)(x + 32)));
      tail = _mm256_dpbusd_epi32(
          tail, _mm256_and_si256(_mm256_srli_epi16(packed, 2), mask256),
          _mm256_loadu_si256((const __m256i *)(x + 64)));
      tail = _mm256_dpbusd_epi32(tail, _mm256_and_si256(packed, mask256),
                                 _mm256_loadu_si256((const __m256i *)(x + 96)));
    }
    acc = _mm512_add_epi32(acc, _mm512_zextsi256_si512(tail));
    dots[r - row_begin] = _mm512_reduce_add_epi32(acc);
  }
}

TRIT_DEFINE_BITLINEAR_GEMV(avx512vnni)

#define TRIT_ISA avx512vnni
#include "ops.h"
