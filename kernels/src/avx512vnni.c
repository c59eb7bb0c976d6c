/*===- avx512vnni.c - AVX-512 VNNI microkernels ---------------------------===*
 *
 * vpdpbusd multiplies unsigned bytes (the codes 0..2) by signed bytes (the
 * activations) and accumulates groups of four into int32 lanes, exactly.
 * One 64-byte load holds two 128-weight blocks; the activations of the
 * matching elements of both blocks are put side by side.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

#include <immintrin.h>

static inline int32_t hsum256(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v),
                            _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}

/* The codes of one 128-weight block (32 bytes): c[i] holds weights
 * 32i .. 32i+31, from bits 7-6, 5-4, 3-2 and 1-0 of each byte. */
static inline __attribute__((always_inline)) void
unpack_block(const uint8_t *block, __m256i c[4]) {
  const __m256i mask = _mm256_set1_epi8(3);
  __m256i packed = _mm256_loadu_si256((const __m256i *)block);
  c[0] = _mm256_and_si256(_mm256_srli_epi16(packed, 6), mask);
  c[1] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask);
  c[2] = _mm256_and_si256(_mm256_srli_epi16(packed, 2), mask);
  c[3] = _mm256_and_si256(packed, mask);
}

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
    dots0[t * stride] = hsum256(_mm256_add_epi32(a0[t], b0[t]));
    dots1[t * stride] = hsum256(_mm256_add_epi32(a1[t], b1[t]));
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

/* The 4-bit LM head's row dot (ops.h defines the arithmetic): one 64-byte
 * load of codes per 128-element block, its nibbles against two contiguous
 * 64-byte activation loads, the lane offsets as the starting value. */
static inline float q4_dot_row_vnni(const uint8_t *codes, const float *scales,
                                    const int8_t *x, const int32_t *offsets,
                                    int64_t blocks) {
  const __m512i low = _mm512_set1_epi8(15);
  __m512 acc = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    __m512i c = _mm512_loadu_si512((const void *)(codes + b * 64));
    __m512i lane = _mm512_loadu_si512((const void *)(offsets + b * 16));
    lane = _mm512_dpbusd_epi32(lane, _mm512_and_si512(c, low),
                               _mm512_loadu_si512((const void *)(x + b * 128)));
    lane = _mm512_dpbusd_epi32(
        lane, _mm512_and_si512(_mm512_srli_epi16(c, 4), low),
        _mm512_loadu_si512((const void *)(x + b * 128 + 64)));
    acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_cvtepi32_ps(lane),
                                           _mm512_set1_ps(scales[b])));
  }
  float lanes[16];
  _mm512_storeu_ps(lanes, acc);
  float sum = 0.0f;
  for (int l = 0; l < 16; ++l)
    sum += lanes[l];
  return sum;
}
#define TRIT_Q4_ROW_KERNEL q4_dot_row_vnni

/* The attention's inner loops for head sizes that are a multiple of 16
 * (ops.h defines their arithmetic): sixteen lanes are one zmm register,
 * and the pairwise halving is three extract-and-add steps and a last
 * scalar add. */
static inline float attention_dot16_avx512(const float *qh,
                                           const uint16_t *k, int64_t hd) {
  __m512 acc = _mm512_setzero_ps();
  for (int64_t d = 0; d < hd; d += 16)
    acc = _mm512_add_ps(
        acc, _mm512_mul_ps(_mm512_loadu_ps(qh + d),
                           _mm512_cvtph_ps(_mm256_loadu_si256(
                               (const __m256i *)(k + d)))));
  __m256 s8 = _mm256_add_ps(
      _mm512_castps512_ps256(acc),
      _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1)));
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8),
                         _mm256_extractf128_ps(s8, 1));
  __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}
#define TRIT_ATTENTION_DOT16 attention_dot16_avx512

static inline void attention_accumulate16_avx512(float *o, float pj,
                                                 const uint16_t *v,
                                                 int64_t hd) {
  __m512 p = _mm512_set1_ps(pj);
  for (int64_t d = 0; d < hd; d += 16)
    _mm512_storeu_ps(
        o + d, _mm512_add_ps(_mm512_loadu_ps(o + d),
                             _mm512_mul_ps(p, _mm512_cvtph_ps(_mm256_loadu_si256(
                                                  (const __m256i *)(v + d))))));
}
#define TRIT_ATTENTION_ACCUMULATE16 attention_accumulate16_avx512

#define TRIT_ISA avx512vnni
#include "ops.h"
