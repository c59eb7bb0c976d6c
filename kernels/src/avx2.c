/*===- avx2.c - AVX2 microkernels -----------------------------------------===*
 *
 * maddubs multiplies the unsigned codes (0..2) by the signed activations and
 * adds pairs into int16; codes <= 2 keep every pair sum within +-510, and the
 * four such sums of a block within +-2040, so nothing saturates before the
 * widening to int32 once per 128-weight block.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

#include <immintrin.h>

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

/* A block's codes times its 128 activations, in sixteen int16 sums of
 * eight products each (at most 8 * 2 * 128 = 2048 in magnitude). */
static inline __attribute__((always_inline)) __m256i
block_pair_sums(const __m256i c[4], const int8_t *x) {
  __m256i p = _mm256_maddubs_epi16(c[0], _mm256_loadu_si256((const __m256i *)x));
  for (int i = 1; i < 4; ++i)
    p = _mm256_add_epi16(
        p, _mm256_maddubs_epi16(
               c[i], _mm256_loadu_si256((const __m256i *)(x + 32 * i))));
  return p;
}

static inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v),
                            _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

void trit_i2s_dot_rows_avx2(const uint8_t *weights, const int8_t *q,
                            int64_t cols, int64_t row_begin, int64_t row_end,
                            int32_t *dots) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * (cols / 4);
    __m256i acc = _mm256_setzero_si256();
    for (int64_t b = 0; b < cols / 128; ++b) {
      __m256i c[4];
      unpack_block(w + b * 32, c);
      acc = _mm256_add_epi32(
          acc, _mm256_madd_epi16(block_pair_sums(c, q + b * 128), ones));
    }
    dots[r - row_begin] = hsum_epi32(acc);
  }
}

/* One row against T tokens: each 128-weight block is unpacked once into
 * four code registers and multiplied with every token's activations, so a
 * prompt pays the unpacking once per four tokens (sixteen ymm registers:
 * four codes, four accumulators, the activations, the constants). */
static inline __attribute__((always_inline)) void
dot_row_tokens(const uint8_t *w, const int8_t *q, int64_t cols, int T,
               int32_t *dots, int64_t stride) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[4];
  for (int t = 0; t < T; ++t)
    acc[t] = _mm256_setzero_si256();
  for (int64_t b = 0; b < cols / 128; ++b) {
    __m256i c[4];
    unpack_block(w + b * 32, c);
    for (int t = 0; t < T; ++t)
      acc[t] = _mm256_add_epi32(
          acc[t], _mm256_madd_epi16(
                      block_pair_sums(c, q + t * cols + b * 128), ones));
  }
  for (int t = 0; t < T; ++t)
    dots[t * stride] = hsum_epi32(acc[t]);
}

TRIT_DEFINE_BITLINEAR_GEMV(avx2)
TRIT_DEFINE_DOT_TILE_BY_ROW_TOKENS(avx2)

#define TRIT_ISA avx2
#include "ops.h"
