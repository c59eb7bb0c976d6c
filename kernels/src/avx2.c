/*===- avx2.c - AVX2 microkernels -----------------------------------------===*
 *
 * maddubs multiplies the unsigned codes (0..2) by the signed activations and
 * adds pairs into int16; codes <= 2 keep every pair sum within +-510, and the
 * four such sums of a block within +-2040, so nothing saturates before the
 * widening to int32 once per 128-weight block.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

#include <immintrin.h>

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
  const __m256i mask = _mm256_set1_epi8(3);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * (cols / 4);
    __m256i acc = _mm256_setzero_si256();
    for (int64_t b = 0; b < cols / 128; ++b) {
      __m256i packed = _mm256_loadu_si256((const __m256i *)(w + b * 32));
      const int8_t *x = q + b * 128;
      __m256i c0 = _mm256_and_si256(_mm256_srli_epi16(packed, 6), mask);
      __m256i c1 = _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask);
      __m256i c2 = _mm256_and_si256(_mm256_srli_epi16(packed, 2), mask);
      __m256i c3 = _mm256_and_si256(packed, mask);
      __m256i p = _mm256_maddubs_epi16(
          c0, _mm256_loadu_si256((const __m256i *)x));
      p = _mm256_add_epi16(
          p, _mm256_maddubs_epi16(
                 c1, _mm256_loadu_si256((const __m256i *)(x + 32))));
      p = _mm256_add_epi16(
          p, _mm256_maddubs_epi16(
                 c2, _mm256_loadu_si256((const __m256i *)(x + 64))));
      p = _mm256_add_epi16(
          p, _mm256_maddubs_epi16(
                 c3, _mm256_loadu_si256((const __m256i *)(x + 96))));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
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
  const __m256i mask = _mm256_set1_epi8(3);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[4];
  for (int t = 0; t < T; ++t)
    acc[t] = _mm256_setzero_si256();
  for (int64_t b = 0; b < cols / 128; ++b) {
    __m256i packed = _mm256_loadu_si256((const __m256i *)(w + b * 32));
    __m256i c0 = _mm256_and_si256(_mm256_srli_epi16(packed, 6), mask);
    __m256i c1 = _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask);
    __m256i c2 = _mm256_and_si256(_mm256_srli_epi16(packed, 2), mask);
    __m256i c3 = _mm256_and_si256(packed, mask);
    for (int t = 0; t < T; ++t) {
      const int8_t *x = q + t * cols + b * 128;
      __m256i p = _mm256_maddubs_epi16(
          c0, _mm256_loadu_si256((const __m256i *)x));
      p = _mm256_add_epi16(
          p, _mm256_maddubs_epi16(
                 c1, _mm256_loadu_si256((const __m256i *)(x + 32))));
      p = _mm256_add_epi16(
          p, _mm256_maddubs_epi16(
                 c2, _mm256_loadu_si256((const __m256i *)(x + 64))));
      p = _mm256_add_epi16(
          p, _mm256_maddubs_epi16(
                 c3, _mm256_loadu_si256((const __m256i *)(x + 96))));
      acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(p, ones));
    }
  }
  for (int t = 0; t < T; ++t)
    dots[t * stride] = hsum_epi32(acc[t]);
}

TRIT_DEFINE_BITLINEAR_GEMV(avx2)
TRIT_DEFINE_DOT_TILE_BY_ROW_TOKENS(avx2)

#define TRIT_ISA avx2
#include "ops.h"
