/*===- t3x5.c - T3X5 kernels for AVX-512 VNNI -----------------------------===*
 *
 * A group's 64 four-bit indices are one register of bytes: for a pair of
 * groups, one 64-byte load masked (the first group) or shifted down a
 * nibble and masked (the second); for an unpaired group, a broadcast of its
 * 32 index bytes with the upper half shifted. Each of the three weights + 1
 * is a vpshufb of the positive triples' table, and the codes whose sign bit
 * is set (the group's 64 sign bits as a k register) take 2 - that, a masked
 * subtraction: one lookup per weight on the shuffle unit, the rest on the
 * ALUs. vpshufb looks up within 128-bit lanes, so each table is 16 bytes
 * repeated four times; no AVX-512 VBMI needed.
 *
 * The row dots (one token) and the tile (prompts). The VBMI row dots
 * (x86/avx512vbmi/t3x5.c) share the accumulation (x86/x86_zmm.h).
 *===----------------------------------------------------------------------===*/

#include "gemv.h"
#include "x86/x86_zmm.h"

#include <immintrin.h>

/* tables[d]: weight d + 1 of index i's positive triple. */
static inline __attribute__((always_inline)) void
t3x5_tables(__m512i tables[3]) {
  for (int d = 0; d < 3; ++d) {
    uint8_t pos[16];
    for (unsigned i = 0; i < 16; ++i)
      pos[i] = (uint8_t)trit_t3x5_digit(i, d);
    tables[d] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)pos));
  }
}

/* The weights + 1 of a group from its 64 indices and its sign bits:
 * u[d] holds elements 64d .. 64d+63. */
static inline __attribute__((always_inline)) void
lookup_group(__m512i index, const uint8_t *signs, const __m512i tables[3],
             __m512i u[3]) {
  uint64_t bits;
  __builtin_memcpy(&bits, signs, 8);
  __mmask64 negative = _cvtu64_mask64(bits);
  const __m512i two = _mm512_set1_epi8(2);
  for (int d = 0; d < 3; ++d) {
    __m512i positive = _mm512_shuffle_epi8(tables[d], index);
    u[d] = _mm512_mask_sub_epi8(positive, negative, two, positive);
  }
}

/* Group h (0 or 1) of an 80-byte pair. */
static inline __attribute__((always_inline)) void
unpack_paired(const uint8_t *pair, int h, const __m512i tables[3],
              __m512i u[3]) {
  __m512i nibbles = _mm512_loadu_si512(pair);
  if (h)
    nibbles = _mm512_srli_epi16(nibbles, 4);
  lookup_group(_mm512_and_si512(nibbles, _mm512_set1_epi8(15)),
               pair + 64 + 8 * h, tables, u);
}

/* An unpaired 40-byte group. */
static inline __attribute__((always_inline)) void
unpack_group(const uint8_t *group, const __m512i tables[3], __m512i u[3]) {
  __m512i nibbles =
      _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)group));
  __m512i index = _mm512_and_si512(
      _mm512_srlv_epi64(nibbles, _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0)),
      _mm512_set1_epi8(15));
  lookup_group(index, group + 32, tables, u);
}

/* Group g of a row with `groups` whole groups. */
static inline __attribute__((always_inline)) void
unpack_nth_group(const uint8_t *row, int64_t groups, int64_t g,
                 const __m512i tables[3], __m512i u[3]) {
  if (g < groups / 2 * 2)
    unpack_paired(row + g / 2 * 80, (int)(g & 1), tables, u);
  else
    unpack_group(row + g / 2 * 80, tables, u);
}

/* One token. Each pair's two groups go to their own three accumulators
 * (six vpdpbusd chains hide the instruction's latency). The decoding keeps
 * one core busy at about DRAM speed, so the weights are prefetched well
 * ahead: 8 KB measured best (streamed 62 -> 85 GMAC/s on one core). */
void trit_t3x5_dot_rows_avx512vnni(const uint8_t *weights, const int8_t *q,
                                   int64_t cols, int64_t row_begin,
                                   int64_t row_end, int32_t *dots) {
  __m512i tables[3];
  t3x5_tables(tables);
  int64_t stride = trit_t3x5_row_bytes(cols), groups = cols / 192;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * stride;
    __m512i a[3], b[3];
    for (int d = 0; d < 3; ++d)
      a[d] = b[d] = _mm512_setzero_si512();
    for (int64_t p = 0; p < groups / 2; ++p) {
      TRIT_MCA_BEGIN("t3x5_dot_rows/384");
      _mm_prefetch((const char *)(w + p * 80 + TRIT_PREFETCH_BYTES),
                   _MM_HINT_T0);
      _mm_prefetch((const char *)(w + p * 80 + TRIT_PREFETCH_BYTES + 64),
                   _MM_HINT_T0);
      __m512i u0[3], u1[3];
      unpack_paired(w + p * 80, 0, tables, u0);
      unpack_paired(w + p * 80, 1, tables, u1);
      t3x5_pair_dot(a, b, u0, u1, q + p * 384);
      TRIT_MCA_END6("t3x5_dot_rows/384", a[0], a[1], a[2], b[0], b[1],
                    b[2]);
    }
    __m512i u[3];
    if (groups % 2) /* the unpaired last group */
      unpack_group(w + groups / 2 * 80, tables, u);
    dots[r - row_begin] = t3x5_row_sum(a, b, groups % 2 ? u : 0, w, q, cols);
  }
}

/* Rows r and r + 1 against T (up to 8) tokens: each group of both rows is
 * unpacked once and multiplied with every token's three 64-byte activation
 * loads; one zmm accumulator per row and token (16, plus 6 of weights and
 * 3 tables: 8 tokens amortize the unpacking 12-15% better than 4). */
static inline __attribute__((always_inline)) void
t3x5_dot_two_rows(const uint8_t *w0, const uint8_t *w1, const int8_t *q,
                  int64_t cols, int T, const __m512i tables[3],
                  int32_t *dots0, int32_t *dots1, int64_t stride) {
  __m512i a0[8], a1[8];
  for (int t = 0; t < T; ++t)
    a0[t] = a1[t] = _mm512_setzero_si512();
  int64_t groups = cols / 192;
  for (int64_t g = 0; g < groups; ++g) {
    __m512i u0[3], u1[3];
    unpack_nth_group(w0, groups, g, tables, u0);
    unpack_nth_group(w1, groups, g, tables, u1);
    for (int t = 0; t < T; ++t) {
      const int8_t *x = q + t * cols + g * 192;
      for (int d = 0; d < 3; ++d) {
        __m512i xd = _mm512_loadu_si512(x + 64 * d);
        a0[t] = _mm512_dpbusd_epi32(a0[t], u0[d], xd);
        a1[t] = _mm512_dpbusd_epi32(a1[t], u1[d], xd);
      }
    }
  }
  for (int t = 0; t < T; ++t) {
    const int8_t *x = q + t * cols + groups * 192;
    __m256i t0 = tail_dpbusd(_mm256_setzero_si256(), w0 + groups * 40, x,
                             cols % 192);
    __m256i t1 = tail_dpbusd(_mm256_setzero_si256(), w1 + groups * 40, x,
                             cols % 192);
    dots0[t * stride] = _mm512_reduce_add_epi32(
        _mm512_add_epi32(a0[t], _mm512_zextsi256_si512(t0)));
    dots1[t * stride] = _mm512_reduce_add_epi32(
        _mm512_add_epi32(a1[t], _mm512_zextsi256_si512(t1)));
  }
}

/* Rows [row_begin, row_end) against every token, two rows and up to eight
 * tokens per pass, the weights unpacked in registers; dots[t * stride +
 * r - row_begin]. */
static inline __attribute__((always_inline)) void
t3x5_dot_tile_registers(const uint8_t *weights, const int8_t *q, int64_t cols,
                        int64_t row_begin, int64_t row_end, int64_t tokens,
                        const __m512i tables[3], int32_t *dots,
                        int64_t stride) {
  int64_t row_bytes = trit_t3x5_row_bytes(cols);
  int64_t t = 0;
  while (tokens - t >= 2) {
    int T = tokens - t >= 8 ? 8 : (int)(tokens - t);
    const int8_t *qt = q + t * cols;
    int64_t r = row_begin;
    for (; r + 2 <= row_end; r += 2) {
      const uint8_t *w0 = weights + r * row_bytes, *w1 = w0 + row_bytes;
      int32_t *d = dots + t * stride + (r - row_begin);
      switch (T) { /* constant token counts, so the loops unroll */
      case 8: t3x5_dot_two_rows(w0, w1, qt, cols, 8, tables, d, d + 1, stride); break;
      case 7: t3x5_dot_two_rows(w0, w1, qt, cols, 7, tables, d, d + 1, stride); break;
      case 6: t3x5_dot_two_rows(w0, w1, qt, cols, 6, tables, d, d + 1, stride); break;
      case 5: t3x5_dot_two_rows(w0, w1, qt, cols, 5, tables, d, d + 1, stride); break;
      case 4: t3x5_dot_two_rows(w0, w1, qt, cols, 4, tables, d, d + 1, stride); break;
      case 3: t3x5_dot_two_rows(w0, w1, qt, cols, 3, tables, d, d + 1, stride); break;
      default: t3x5_dot_two_rows(w0, w1, qt, cols, 2, tables, d, d + 1, stride); break;
      }
    }
    if (r < row_end) /* an odd last row */
      for (int k = 0; k < T; ++k)
        trit_t3x5_dot_rows_avx512vnni(weights, qt + k * cols, cols, r, r + 1,
                                      dots + (t + k) * stride +
                                          (r - row_begin));
    t += T;
  }
  for (; t < tokens; ++t)
    trit_t3x5_dot_rows_avx512vnni(weights, q + t * cols, cols, row_begin,
                                  row_end, dots + t * stride);
}

/* Row r's weights + 1 as bytes, u[k] for element k (cols of them). */
static inline __attribute__((always_inline)) void
t3x5_unpack_row(const uint8_t *w, int64_t cols, const __m512i tables[3],
                uint8_t *u) {
  int64_t groups = cols / 192;
  for (int64_t g = 0; g < groups; ++g) {
    __m512i d[3];
    unpack_nth_group(w, groups, g, tables, d);
    for (int k = 0; k < 3; ++k)
      _mm512_storeu_si512(u + g * 192 + 64 * k, d[k]);
  }
  int64_t quarter = cols % 192 / 4;
  const uint8_t *tail = w + groups * 40;
  uint8_t *out = u + groups * 192;
  for (int64_t j = 0; j < quarter; ++j) /* the I2_S tail, at most 32 bytes */
    for (int k = 0; k < 4; ++k)
      out[k * quarter + j] = (uint8_t)((tail[j] >> (6 - 2 * k)) & 3);
}

/* Four rows of bytes (u, cols apart) against T (1-4) tokens: sixteen zmm
 * accumulators, each 64-byte load of weights or activations serving up to
 * four vpdpbusd. */
static inline __attribute__((always_inline)) void
u8_dot_four_rows(const uint8_t *u, const int8_t *q, int64_t cols, int T,
                 int32_t *dots, int64_t stride) {
  __m512i acc[4][4];
  for (int r = 0; r < 4; ++r)
    for (int t = 0; t < T; ++t)
      acc[r][t] = _mm512_setzero_si512();
  for (int64_t k = 0; k < cols; k += 64) {
    __m512i w[4];
    for (int r = 0; r < 4; ++r)
      w[r] = _mm512_loadu_si512(u + r * cols + k);
    for (int t = 0; t < T; ++t) {
      __m512i x = _mm512_loadu_si512(q + t * cols + k);
      for (int r = 0; r < 4; ++r)
        acc[r][t] = _mm512_dpbusd_epi32(acc[r][t], w[r], x);
    }
  }
  for (int r = 0; r < 4; ++r)
    for (int t = 0; t < T; ++t)
      dots[t * stride + r] = _mm512_reduce_add_epi32(acc[r][t]);
}

/* Prompt processing: rows in blocks of four, each unpacked to bytes once
 * (4 x cols bytes on the stack, in L1) and multiplied with every token, so
 * the unpacking is paid once per prompt chunk instead of once per eight
 * tokens. Below eight tokens, for rows over 16384 weights (a stack buffer
 * over 64 KB), and for the last rows short of four, the weights are
 * unpacked in registers. */
__attribute__((always_inline)) void
trit_t3x5_dot_tile_avx512vnni(const uint8_t *weights, const int8_t *q,
                              int64_t cols, int64_t row_begin, int64_t row_end,
                              int64_t tokens, int32_t *dots) {
  __m512i tables[3];
  t3x5_tables(tables);
  int64_t rows = row_end - row_begin, stride = trit_t3x5_row_bytes(cols);
  int64_t r = row_begin;
  if (tokens >= 8 && cols <= 16384) {
    uint8_t u[4 * cols];
    for (; r + 4 <= row_end; r += 4) {
      for (int k = 0; k < 4; ++k)
        t3x5_unpack_row(weights + (r + k) * stride, cols, tables,
                        u + k * cols);
      int32_t *d = dots + (r - row_begin);
      int64_t t = 0;
      for (; t + 4 <= tokens; t += 4)
        u8_dot_four_rows(u, q + t * cols, cols, 4, d + t * rows, rows);
      switch (tokens - t) { /* constant token counts, so the loops unroll */
      case 3: u8_dot_four_rows(u, q + t * cols, cols, 3, d + t * rows, rows); break;
      case 2: u8_dot_four_rows(u, q + t * cols, cols, 2, d + t * rows, rows); break;
      case 1: u8_dot_four_rows(u, q + t * cols, cols, 1, d + t * rows, rows); break;
      default: break;
      }
    }
  }
  if (r < row_end)
    t3x5_dot_tile_registers(weights, q, cols, r, row_end, tokens, tables,
                            dots + (r - row_begin), rows);
}
