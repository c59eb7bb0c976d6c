/*===- t3x5.c - T3X5 kernels for AVX2 -------------------------------------===*
 *
 * The T3X5 row dots and tile. A group is two halves of 32 codes (32 bytes of
 * index nibbles each). Each weight is a vpshufb of the positive and of the
 * negated triples' 16-byte table, blended by the sign bits spread to bytes.
 * Three maddubs per half, and the two halves, add at most 6 * 2 * 2 * 128 =
 * 3072 per int16 lane.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"
#include "x86/x86_ymm.h"

#include <immintrin.h>

static inline __attribute__((always_inline)) void
t3x5_tables(__m256i tables[6]) {
  for (int d = 0; d < 3; ++d) {
    uint8_t pos[16], neg[16];
    for (unsigned i = 0; i < 16; ++i) {
      pos[i] = (uint8_t)trit_t3x5_digit(i, d);
      neg[i] = (uint8_t)trit_t3x5_digit(16 | i, d);
    }
    tables[d] =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)pos));
    tables[3 + d] =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)neg));
  }
}

/* 0xff in byte j where bit j of `bits` is set. */
static inline __attribute__((always_inline)) __m256i
spread_bits(uint32_t bits) {
  const __m256i select = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
  __m256i v = _mm256_shuffle_epi8(
      _mm256_set1_epi32((int)bits),
      _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2,
                       2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
  return _mm256_cmpeq_epi8(_mm256_and_si256(v, select), select);
}

/* The weights + 1 of 32 codes: their indices in the low nibbles of 32
 * bytes (the high nibbles when `high`), their signs in 32 bits. */
static inline __attribute__((always_inline)) void
lookup_half(const uint8_t *nibbles, int high, const uint8_t *signs,
            const __m256i tables[6], __m256i u[3]) {
  __m256i bytes = _mm256_loadu_si256((const __m256i *)nibbles);
  __m256i index = _mm256_and_si256(
      high ? _mm256_srli_epi16(bytes, 4) : bytes, _mm256_set1_epi8(15));
  uint32_t bits;
  __builtin_memcpy(&bits, signs, 4);
  __m256i negative = spread_bits(bits);
  for (int d = 0; d < 3; ++d)
    u[d] = _mm256_blendv_epi8(_mm256_shuffle_epi8(tables[d], index),
                              _mm256_shuffle_epi8(tables[3 + d], index),
                              negative);
}

/* The weights + 1 of codes 32h .. 32h+31 of group g of a row with `groups`
 * whole groups (paired, or the unpaired last one): u[d] holds elements
 * 64d + 32h .. 64d + 32h + 31 of the group. */
static inline __attribute__((always_inline)) void
unpack_half(const uint8_t *row, int64_t groups, int64_t g, int h,
            const __m256i tables[6], __m256i u[3]) {
  const uint8_t *base = row + g / 2 * 80;
  if (g < groups / 2 * 2)
    lookup_half(base + 32 * h, (int)(g & 1), base + 64 + 8 * (g & 1) + 4 * h,
                tables, u);
  else
    lookup_half(base, h, base + 32 + 4 * h, tables, u);
}

/* A half group's weights against its activations (x is the first of
 * digit 0's), in sixteen int16 sums of pairs of products. */
static inline __attribute__((always_inline)) __m256i
half_sums(const __m256i u[3], const int8_t *x) {
  __m256i p =
      _mm256_maddubs_epi16(u[0], _mm256_loadu_si256((const __m256i *)x));
  for (int d = 1; d < 3; ++d)
    p = _mm256_add_epi16(
        p, _mm256_maddubs_epi16(
               u[d], _mm256_loadu_si256((const __m256i *)(x + 64 * d))));
  return p;
}

/* A row's I2_S-style tail of n (0, 64 or 128) weights times x, in int32
 * lanes. */
static inline __attribute__((always_inline)) __m256i
tail_sums(const uint8_t *w, const int8_t *x, int64_t n) {
  if (n == 128) {
    __m256i c[4];
    unpack_block(w, c);
    return _mm256_madd_epi16(block_pair_sums(c, x), _mm256_set1_epi16(1));
  }
  if (n == 64) {
    const __m128i mask = _mm_set1_epi8(3);
    __m128i packed = _mm_loadu_si128((const __m128i *)w);
    __m128i p = _mm_setzero_si128();
    for (int i = 0; i < 4; ++i)
      p = _mm_add_epi16(
          p, _mm_maddubs_epi16(
                 _mm_and_si128(_mm_srli_epi16(packed, 6 - 2 * i), mask),
                 _mm_loadu_si128((const __m128i *)(x + 16 * i))));
    return _mm256_zextsi128_si256(_mm_madd_epi16(p, _mm_set1_epi16(1)));
  }
  return _mm256_setzero_si256();
}

void trit_t3x5_dot_rows_avx2(const uint8_t *weights, const int8_t *q,
                             int64_t cols, int64_t row_begin, int64_t row_end,
                             int32_t *dots) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i tables[6];
  t3x5_tables(tables);
  int64_t stride = trit_t3x5_row_bytes(cols), groups = cols / 192;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * stride;
    __m256i acc = tail_sums(w + groups * 40, q + groups * 192, cols % 192);
    for (int64_t g = 0; g < groups; ++g) {
      __m256i lo[3], hi[3];
      unpack_half(w, groups, g, 0, tables, lo);
      unpack_half(w, groups, g, 1, tables, hi);
      __m256i p = _mm256_add_epi16(half_sums(lo, q + g * 192),
                                   half_sums(hi, q + g * 192 + 32));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
    }
    dots[r - row_begin] = hsum_epi32(acc);
  }
}

/* One row against T tokens, each half group's weights decoded once. */
static inline __attribute__((always_inline)) void
t3x5_dot_row_tokens(const uint8_t *w, const int8_t *q, int64_t cols, int T,
                    int32_t *dots, int64_t stride) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i tables[6];
  t3x5_tables(tables);
  int64_t groups = cols / 192;
  __m256i acc[4];
  for (int t = 0; t < T; ++t)
    acc[t] = tail_sums(w + groups * 40, q + t * cols + groups * 192,
                       cols % 192);
  for (int64_t g = 0; g < groups; ++g)
    for (int h = 0; h < 2; ++h) {
      __m256i u[3];
      unpack_half(w, groups, g, h, tables, u);
      for (int t = 0; t < T; ++t)
        acc[t] = _mm256_add_epi32(
            acc[t], _mm256_madd_epi16(
                        half_sums(u, q + t * cols + g * 192 + 32 * h), ones));
    }
  for (int t = 0; t < T; ++t)
    dots[t * stride] = hsum_epi32(acc[t]);
}

TRIT_DEFINE_T3X5_DOT_TILE_BY_ROW_TOKENS(avx2)
