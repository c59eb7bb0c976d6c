/*===- i2s.c - I2_S kernels for AVX2 --------------------------------------===*
 *
 * The I2_S row dots, tile and GEMV. vpmaddubsw multiplies the unsigned codes
 * (0..2) by the signed activations and adds pairs into int16; codes <= 2 keep
 * every pair sum within +-510, and the four such sums of a block within +-2040,
 * so nothing saturates before the widening to int32 once per 128-weight block.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"
#include "x86/x86_ymm.h"

#include <immintrin.h>

void trit_i2s_dot_rows_avx2(const uint8_t *weights, const int8_t *q,
                            int64_t cols, int64_t row_begin, int64_t row_end,
                            int32_t *dots) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * (cols / 4);
    __m256i acc = _mm256_setzero_si256();
    for (int64_t b = 0; b < cols / 128; ++b) {
      TRIT_MCA_BEGIN("i2s_dot_rows/128");
      __m256i c[4];
      unpack_block(w + b * 32, c);
      acc = _mm256_add_epi32(
          acc, _mm256_madd_epi16(block_pair_sums(c, q + b * 128), ones));
      TRIT_MCA_END("i2s_dot_rows/128", acc);
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
