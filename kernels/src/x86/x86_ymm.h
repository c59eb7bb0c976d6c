/*===- x86_ymm.h - 256-bit helpers shared by the AVX2 and AVX-512 files ---===*
 *
 * Included by the files of x86/avx2/, x86/avx512vnni/ and x86/avx512vbmi/,
 * each compiled with its own target flags (all have AVX2): an I2_S block's
 * codes (also a T3X5 row's tail), their products with the activations by
 * vpmaddubsw (AVX2's kernels) and a horizontal sum.
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_KERNELS_SRC_X86_X86_YMM_H
#define TRIT_KERNELS_SRC_X86_X86_YMM_H

#include <immintrin.h>
#include <stdint.h>

/* The codes of one 128-weight I2_S block (32 bytes): c[i] holds weights
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

/* The sum of eight int32 lanes. */
static inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v),
                            _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

#endif /* TRIT_KERNELS_SRC_X86_X86_YMM_H */
