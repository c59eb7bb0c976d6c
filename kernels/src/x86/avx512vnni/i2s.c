/*===- i2s.c - I2_S kernels for AVX-512 VNNI ------------------------------===*
 *
 * The I2_S row dots, tile and GEMV. vpdpbusd multiplies unsigned bytes (the
 * codes 0..2) by signed bytes (the activations) and accumulates groups of four
 * into int32 lanes, exactly. One 64-byte load holds two 128-weight blocks; the
 * activations of the matching elements of both blocks are put side by side.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"
#include "x86/x86_ymm.h"

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
  int64_t blocks = cols / 128;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * (cols / 4);
    /* Four accumulators: vpdpbusd's latency would otherwise chain the four
     * products of each pair of blocks. */
    __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
    __m512i acc2 = _mm512_setzero_si512(), acc3 = _mm512_setzero_si512();
    int64_t b = 0;
    for (; b + 2 <= blocks; b += 2) {
      TRIT_MCA_BEGIN("i2s_dot_rows/256");
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
      TRIT_MCA_END4("i2s_dot_rows/256", acc0, acc1, acc2, acc3);
    }
    __m512i acc = _mm512_add_epi32(_mm512_add_epi32(acc0, acc1),
                                   _mm512_add_epi32(acc2, acc3));
    __m256i tail = _mm256_setzero_si256();
    if (b < blocks) { /* an odd last block */
      __m256i c[4];
      unpack_block(w + b * 32, c);
      const int8_t *x = q + b * 128;
      for (int i = 0; i < 4; ++i)
        tail = _mm256_dpbusd_epi32(
            tail, c[i], _mm256_loadu_si256((const __m256i *)(x + 32 * i)));
    }
    acc = _mm512_add_epi32(acc, _mm512_zextsi256_si512(tail));
    dots[r - row_begin] = _mm512_reduce_add_epi32(acc);
  }
}

/* Rows r and r + 1 of the tile against T tokens. Each 128-weight block of
 * a row is unpacked once into four registers of codes and multiplied with
 * every token's activations (256-bit vpdpbusd, whose activation operand is
 * a plain contiguous load); two accumulators per row and token keep the
 * dependency chains short. */
static inline __attribute__((always_inline)) void
dot_two_rows(const uint8_t *w0, const uint8_t *w1, const int8_t *q,
             int64_t cols, int T, int32_t *dots0, int32_t *dots1,
             int64_t stride) {
  __m256i a0[4], b0[4], a1[4], b1[4];
  for (int t = 0; t < T; ++t)
    a0[t] = b0[t] = a1[t] = b1[t] = _mm256_setzero_si256();
  for (int64_t b = 0; b < cols / 128; ++b) {
    __m256i c0[4], c1[4];
    unpack_block(w0 + b * 32, c0);
    unpack_block(w1 + b * 32, c1);
    for (int t = 0; t < T; ++t) {
      const int8_t *x = q + t * cols + b * 128;
      __m256i x0 = _mm256_loadu_si256((const __m256i *)x);
      __m256i x1 = _mm256_loadu_si256((const __m256i *)(x + 32));
      __m256i x2 = _mm256_loadu_si256((const __m256i *)(x + 64));
      __m256i x3 = _mm256_loadu_si256((const __m256i *)(x + 96));
      a0[t] = _mm256_dpbusd_epi32(a0[t], c0[0], x0);
      b0[t] = _mm256_dpbusd_epi32(b0[t], c0[1], x1);
      a1[t] = _mm256_dpbusd_epi32(a1[t], c1[0], x0);
      b1[t] = _mm256_dpbusd_epi32(b1[t], c1[1], x1);
      a0[t] = _mm256_dpbusd_epi32(a0[t], c0[2], x2);
      b0[t] = _mm256_dpbusd_epi32(b0[t], c0[3], x3);
      a1[t] = _mm256_dpbusd_epi32(a1[t], c1[2], x2);
      b1[t] = _mm256_dpbusd_epi32(b1[t], c1[3], x3);
    }
  }
  for (int t = 0; t < T; ++t) {
    dots0[t * stride] = hsum_epi32(_mm256_add_epi32(a0[t], b0[t]));
    dots1[t * stride] = hsum_epi32(_mm256_add_epi32(a1[t], b1[t]));
  }
}

static inline __attribute__((always_inline)) void dot_tile_tokens(const uint8_t *weights, const int8_t *q,
                            int64_t cols, int64_t row_begin, int64_t row_end,
                            int T, int32_t *dots) {
  int64_t rows = row_end - row_begin, stride = rows;
  int64_t r = row_begin;
  for (; r + 2 <= row_end; r += 2) {
    const uint8_t *w0 = weights + r * (cols / 4);
    int32_t *d = dots + (r - row_begin);
    /* Constant token counts, so the loops over tokens unroll. */
    switch (T) {
    case 4: dot_two_rows(w0, w0 + cols / 4, q, cols, 4, d, d + 1, stride); break;
    case 3: dot_two_rows(w0, w0 + cols / 4, q, cols, 3, d, d + 1, stride); break;
    default: dot_two_rows(w0, w0 + cols / 4, q, cols, 2, d, d + 1, stride); break;
    }
  }
  if (r < row_end) /* an odd last row */
    for (int t = 0; t < T; ++t)
      trit_i2s_dot_rows_avx512vnni(weights, q + t * cols, cols, r, r + 1,
                                   dots + t * stride + (r - row_begin));
}

/* Inlined into each generated range function, so the shapes are constants
 * in its loops (always_inline is honoured across the bitcode link). */
__attribute__((always_inline)) void
trit_i2s_dot_tile_avx512vnni(const uint8_t *weights, const int8_t *q,
                                  int64_t cols, int64_t row_begin,
                                  int64_t row_end, int64_t tokens,
                                  int32_t *dots) {
  int64_t rows = row_end - row_begin;
  int64_t t = 0;
  /* Groups of four tokens, then the rest; a single token streams its rows
   * through the GEMV kernel, which reads 64 bytes per load. */
  while (tokens - t >= 2) {
    int T = tokens - t >= 4 ? 4 : (int)(tokens - t);
    dot_tile_tokens(weights, q + t * cols, cols, row_begin, row_end, T,
                    dots + t * rows);
    t += T;
  }
  for (; t < tokens; ++t)
    trit_i2s_dot_rows_avx512vnni(weights, q + t * cols, cols, row_begin,
                                 row_end, dots + t * rows);
}

TRIT_DEFINE_BITLINEAR_GEMV(avx512vnni)
