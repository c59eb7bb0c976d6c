/*===- avx512vnni.c - AVX-512 VNNI microkernels ---------------------------===*
 *
 * vpdpbusd multiplies unsigned bytes (the codes 0..2) by signed bytes (the
 * activations) and accumulates groups of four into int32 lanes, exactly.
 * One 64-byte load holds two 128-weight blocks; the activations of the
 * matching elements of both blocks are put side by side.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"
#include "x86_ymm.h"

#include <immintrin.h>

/* How far ahead the one-token T3X5 kernel prefetches its weights. */
#ifndef TRIT_PREFETCH_BYTES
#define TRIT_PREFETCH_BYTES 8192
#endif

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

/*===--- T3X5 -------------------------------------------------------------===*
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
 *===----------------------------------------------------------------------===*/

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

/* The same with AVX-512 VBMI: a group's 5-bit codes (the sign bit added to
 * each index under the sign mask) index 32-entry tables of weight + 1 for
 * positive and negated triples with vpermb, one lookup per weight and no
 * masked subtraction, the same integer sums (generation 6-8% faster on one
 * Zen4 core, where decoding is the limit). Tables as vpermb operands:
 * bytes 32..63 repeat. */
__attribute__((target("avx512vbmi"), always_inline)) static inline void
t3x5_code_tables(__m512i tables[3]) {
  for (int d = 0; d < 3; ++d) {
    uint8_t entries[64];
    for (unsigned c = 0; c < 64; ++c)
      entries[c] = (uint8_t)trit_t3x5_digit(c & 31, d);
    tables[d] = _mm512_loadu_si512(entries);
  }
}

/* The weights + 1 of a group from its 64 indices and sign bits. */
__attribute__((target("avx512vbmi"), always_inline)) static inline void
lookup_group_codes(__m512i index, const uint8_t *signs,
                   const __m512i tables[3], __m512i u[3]) {
  uint64_t bits;
  __builtin_memcpy(&bits, signs, 8);
  __m512i code = _mm512_mask_add_epi8(index, _cvtu64_mask64(bits), index,
                                      _mm512_set1_epi8(16));
  for (int d = 0; d < 3; ++d)
    u[d] = _mm512_permutexvar_epi8(code, tables[d]);
}

__attribute__((target("avx512vbmi"))) void
trit_t3x5_dot_rows_avx512vbmi(const uint8_t *weights, const int8_t *q,
                              int64_t cols, int64_t row_begin,
                              int64_t row_end, int32_t *dots) {
  __m512i tables[3];
  t3x5_code_tables(tables);
  const __m512i low = _mm512_set1_epi8(15);
  int64_t stride = trit_t3x5_row_bytes(cols), groups = cols / 192;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * stride;
    __m512i a[3], b[3];
    for (int d = 0; d < 3; ++d)
      a[d] = b[d] = _mm512_setzero_si512();
    for (int64_t p = 0; p < groups / 2; ++p) {
      TRIT_MCA_BEGIN("t3x5_dot_rows_vbmi/384");
      const uint8_t *pair = w + p * 80;
      _mm_prefetch((const char *)(pair + TRIT_PREFETCH_BYTES), _MM_HINT_T0);
      _mm_prefetch((const char *)(pair + TRIT_PREFETCH_BYTES + 64),
                   _MM_HINT_T0);
      __m512i nibbles = _mm512_loadu_si512(pair), u0[3], u1[3];
      lookup_group_codes(_mm512_and_si512(nibbles, low), pair + 64, tables,
                         u0);
      lookup_group_codes(
          _mm512_and_si512(_mm512_srli_epi16(nibbles, 4), low), pair + 72,
          tables, u1);
      t3x5_pair_dot(a, b, u0, u1, q + p * 384);
      TRIT_MCA_END6("t3x5_dot_rows_vbmi/384", a[0], a[1], a[2], b[0], b[1],
                    b[2]);
    }
    __m512i u[3];
    if (groups % 2) { /* the unpaired last group, as unpack_group */
      const uint8_t *group = w + groups / 2 * 80;
      __m512i nibbles =
          _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)group));
      lookup_group_codes(
          _mm512_and_si512(_mm512_srlv_epi64(
                               nibbles, _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0)),
                           low),
          group + 32, tables, u);
    }
    dots[r - row_begin] = t3x5_row_sum(a, b, groups % 2 ? u : 0, w, q, cols);
  }
}

/* The T3X5 tile with the VBMI row kernel for a single token (generation);
 * several tokens take the usual tile. */
__attribute__((target("avx512vbmi"), always_inline)) void
trit_t3x5_dot_tile_avx512vbmi(const uint8_t *weights, const int8_t *q,
                              int64_t cols, int64_t row_begin, int64_t row_end,
                              int64_t tokens, int32_t *dots) {
  if (tokens == 1)
    trit_t3x5_dot_rows_avx512vbmi(weights, q, cols, row_begin, row_end, dots);
  else
    trit_t3x5_dot_tile_avx512vnni(weights, q, cols, row_begin, row_end, tokens,
                                  dots);
}

/*===--- T3X5 with rows in lanes (#trit.packing<t3x5, interleave = 64>) --===*
 *
 * kernels.h defines the layout. One token: the token's exact triple sums
 * are looked up rather than the weights. Per quad Q of 12 activations, the
 * 64 entries 16t + i hold triple t's sum with index i's positive weights,
 * an int16 split into two byte tables: its low byte (unsigned) and its high
 * byte + 2 (0..3). For 16 rows of a quad, vpermb looks up each table with
 * the rows' 64 indices (a row per dword lane, its four triples in the
 * lane's bytes) and vpdpbusd multiplies the bytes by the codes' signs
 * (+1/-1) and sums each row's four: a row's dot is
 * low + 256 * high - 512 * (its sign sum) + the activations' sum (the
 * codes t + 1 convention). Two lookups and two vpdpbusd per 192 weights,
 * where the row-major T3X5 kernels take three of each and the code's
 * assembly; four blocks of 16 rows go together so each table load serves
 * 64 rows, and their 320 bytes per pair of quads are one stream,
 * prefetched 8 KB ahead into L2 (into L1, as the row-major kernels do,
 * one core streamed 16 GB/s; into L2, 27-29) and 1 KB ahead into L1.
 *===----------------------------------------------------------------------===*/

/* A token's tables (tables + 128 Q: 64 low bytes, then 64 high bytes + 2)
 * for every quad of a row padded to whole pairs, with zero activations past
 * `cols`. Word lane L of half h of a quad's 64 entries is triple
 * t = 2h + L / 16 with index L % 16: sum over d of
 * (digit(L % 16, d) - 1) * q[12Q + 4d + t]. */
__attribute__((target("avx512vbmi"))) static void
t3x5x64_sum_tables(const int8_t *q, int64_t cols, uint8_t *tables) {
  __m512i position[2][3], weight[3];
  for (int d = 0; d < 3; ++d) {
    int16_t w[32], at[2][32];
    for (int lane = 0; lane < 32; ++lane) {
      w[lane] = (int16_t)(trit_t3x5_digit((unsigned)lane % 16, d) - 1);
      for (int h = 0; h < 2; ++h)
        at[h][lane] = (int16_t)(4 * d + 2 * h + lane / 16);
    }
    weight[d] = _mm512_loadu_si512(w);
    for (int h = 0; h < 2; ++h)
      position[h][d] = _mm512_loadu_si512(at[h]);
  }
  int64_t quads = (cols + 23) / 24 * 2;
  for (int64_t quad = 0; quad < quads; ++quad) {
    int64_t left = cols - 12 * quad;
    __mmask32 valid = left >= 12 ? 0xfff : left > 0 ? (1u << left) - 1 : 0;
    __m512i x = _mm512_cvtepi8_epi16(
        _mm256_maskz_loadu_epi8(valid, q + (valid ? 12 * quad : 0)));
    __m256i low[2], high[2];
    for (int h = 0; h < 2; ++h) {
      __m512i sum = _mm512_setzero_si512();
      for (int d = 0; d < 3; ++d)
        sum = _mm512_add_epi16(
            sum, _mm512_mullo_epi16(
                     _mm512_permutexvar_epi16(position[h][d], x), weight[d]));
      low[h] = _mm512_cvtepi16_epi8(sum);
      high[h] = _mm512_cvtepi16_epi8(
          _mm512_add_epi16(_mm512_srai_epi16(sum, 8), _mm512_set1_epi16(2)));
    }
    uint8_t *out = tables + 128 * quad;
    _mm256_storeu_si256((__m256i *)out, low[0]);
    _mm256_storeu_si256((__m256i *)(out + 32), low[1]);
    _mm256_storeu_si256((__m256i *)(out + 64), high[0]);
    _mm256_storeu_si256((__m256i *)(out + 96), high[1]);
  }
}

/* The sum of a token's `cols` activations. */
__attribute__((target("avx512vbmi"))) static int32_t
activation_sum(const int8_t *q, int64_t cols) {
  __m512i acc = _mm512_setzero_si512();
  for (int64_t k = 0; k < cols; k += 64) {
    __mmask64 valid =
        cols - k >= 64 ? ~0ull : (1ull << (cols - k)) - 1;
    acc = _mm512_dpbusd_epi32(acc, _mm512_set1_epi8(1),
                              _mm512_maskz_loadu_epi8(valid, q + k));
  }
  return _mm512_reduce_add_epi32(acc);
}

__attribute__((target("avx512vbmi"))) void
trit_t3x5x64_row_tables_avx512vbmi(const int8_t *q, int64_t cols,
                                   uint8_t *tables) {
  t3x5x64_sum_tables(q, cols, tables);
  int32_t sum = activation_sum(q, cols);
  __builtin_memcpy(tables + (cols + 23) / 24 * 256, &sum, sizeof sum);
}

__attribute__((target("avx512vbmi"))) void
trit_t3x5x64_dot_rows_avx512vbmi(const uint8_t *weights, const int8_t *q,
                                 int64_t cols, int64_t row_begin,
                                 int64_t row_end, int32_t *dots) {
  uint8_t storage[trit_t3x5x64_row_tables_bytes(cols) + 64];
  uint8_t *tables = (uint8_t *)(((uintptr_t)storage + 63) & ~(uintptr_t)63);
  trit_t3x5x64_row_tables_avx512vbmi(q, cols, tables);
  trit_t3x5x64_dot_rows_looked_up_avx512vbmi(weights, tables, cols, row_begin,
                                             row_end, dots);
}

__attribute__((target("avx512vbmi"))) void
trit_t3x5x64_dot_rows_looked_up_avx512vbmi(const uint8_t *weights,
                                           const uint8_t *tables,
                                           int64_t cols, int64_t row_begin,
                                           int64_t row_end, int32_t *dots) {
  int64_t pairs = (cols + 23) / 24;
  int64_t superblock = trit_t3x5x64_superblock_bytes(cols);
  int32_t sum;
  __builtin_memcpy(&sum, tables + pairs * 256, sizeof sum);
  const __m512i qsum = _mm512_set1_epi32(sum);
  const __m512i low = _mm512_set1_epi8(15);
  const __m512i position = _mm512_set1_epi32(0x30201000);
  const __m512i plus = _mm512_set1_epi8(1), minus = _mm512_set1_epi8(-1);
  for (int64_t s = row_begin / 64; s * 64 < row_end; ++s) {
    const uint8_t *w = weights + s * superblock;
    __m512i lo[4], hi[4];
    for (int k = 0; k < 4; ++k)
      lo[k] = hi[k] = _mm512_setzero_si512();
    for (int64_t p = 0; p < pairs; ++p) {
      const uint8_t *t = tables + p * 256, *x = w + 256 + p * 320;
      /* Far into L2, near into L1 (one core streamed 27.7-29.4 GB/s with
       * the far prefetch alone, 30.4-30.7 with both). */
      for (int line = 0; line < 320; line += 64) {
        _mm_prefetch((const char *)(x + TRIT_PREFETCH_BYTES + line),
                     _MM_HINT_T1);
        _mm_prefetch((const char *)(x + 1024 + line), _MM_HINT_T0);
      }
      __m512i low0 = _mm512_load_si512(t), high0 = _mm512_load_si512(t + 64);
      __m512i low1 = _mm512_load_si512(t + 128);
      __m512i high1 = _mm512_load_si512(t + 192);
      for (int k = 0; k < 4; ++k, x += 80) {
        /* 16 rows x 24 columns */
        TRIT_MCA_BEGIN("t3x5x64_dot_rows_looked_up/384");
        __m512i nibbles = _mm512_loadu_si512(x);
        /* (nibble & 15) | 16 * (byte index % 4): the triple's table. */
        __m512i i0 = _mm512_ternarylogic_epi32(nibbles, low, position, 0xEA);
        __m512i i1 = _mm512_ternarylogic_epi32(_mm512_srli_epi16(nibbles, 4),
                                               low, position, 0xEA);
        uint64_t bits0, bits1;
        __builtin_memcpy(&bits0, x + 64, 8);
        __builtin_memcpy(&bits1, x + 72, 8);
        __m512i s0 = _mm512_mask_blend_epi8(_cvtu64_mask64(bits0), plus, minus);
        __m512i s1 = _mm512_mask_blend_epi8(_cvtu64_mask64(bits1), plus, minus);
        lo[k] = _mm512_dpbusd_epi32(lo[k], _mm512_permutexvar_epi8(i0, low0),
                                    s0);
        hi[k] = _mm512_dpbusd_epi32(hi[k], _mm512_permutexvar_epi8(i0, high0),
                                    s0);
        lo[k] = _mm512_dpbusd_epi32(lo[k], _mm512_permutexvar_epi8(i1, low1),
                                    s1);
        hi[k] = _mm512_dpbusd_epi32(hi[k], _mm512_permutexvar_epi8(i1, high1),
                                    s1);
        TRIT_MCA_END2("t3x5x64_dot_rows_looked_up/384", lo[k], hi[k]);
      }
    }
    int32_t result[64];
    for (int k = 0; k < 4; ++k) {
      __m512i signs = _mm512_loadu_si512(w + 64 * k);
      __m512i dot = _mm512_add_epi32(lo[k], _mm512_slli_epi32(hi[k], 8));
      dot = _mm512_add_epi32(_mm512_sub_epi32(dot, _mm512_slli_epi32(signs, 9)),
                             qsum);
      _mm512_storeu_si512(result + 16 * k, dot);
    }
    int64_t r0 = s * 64 > row_begin ? s * 64 : row_begin;
    int64_t r1 = s * 64 + 64 < row_end ? s * 64 + 64 : row_end;
    for (int64_t r = r0; r < r1; ++r)
      dots[r - row_begin] = result[r - s * 64];
  }
}

/* Several tokens: the weights + 1 of 16 rows are decoded once per pair of
 * quads (the code's assembly and three vpermb per quad: digit d of the four
 * triples is columns 12Q + 4d .. + 3, a row per dword lane) and each token
 * multiplies them by its four activations broadcast (vpdpbusd), up to 16
 * tokens at a time in T accumulators (with the six decoded vectors and
 * three tables, 25 of the 32 registers). x[t] points at token t's activations of the
 * first pair, `stride` apart per token; `pairs` pairs from `block` (the
 * block's 80 bytes of its superblock's first pair). */
__attribute__((target("avx512vbmi"), always_inline)) static inline void
t3x5x64_block_tokens(const uint8_t *block, int64_t pairs, const int8_t *x,
                     int64_t stride, int64_t step, int T,
                     const __m512i tables[3], __m512i acc[16]) {
  const __m512i low = _mm512_set1_epi8(15);
  for (int64_t p = 0; p < pairs; ++p, block += 320, x += step) {
    __m512i nibbles = _mm512_loadu_si512(block), u[2][3];
    lookup_group_codes(_mm512_and_si512(nibbles, low), block + 64, tables,
                       u[0]);
    lookup_group_codes(_mm512_and_si512(_mm512_srli_epi16(nibbles, 4), low),
                       block + 72, tables, u[1]);
    for (int t = 0; t < T; ++t)
      for (int h = 0; h < 2; ++h)
        for (int d = 0; d < 3; ++d) {
          int32_t four;
          __builtin_memcpy(&four, x + t * stride + 12 * h + 4 * d, 4);
          acc[t] = _mm512_dpbusd_epi32(acc[t], u[h][d],
                                       _mm512_set1_epi32(four));
        }
  }
}

/* Block b's 16 rows against T tokens of q into out[t * 16 + row]: the
 * whole pairs of quads from q, a partial last pair from zero-padded
 * copies of its activations. */
__attribute__((target("avx512vbmi"), always_inline)) static inline void
t3x5x64_block_dot(const uint8_t *weights, const int8_t *q, int64_t cols,
                  int64_t b, int T, const __m512i tables[3], int32_t *out) {
  int64_t pairs = (cols + 23) / 24, whole = cols / 24;
  const uint8_t *block = weights +
                         b / 4 * trit_t3x5x64_superblock_bytes(cols) + 256 +
                         b % 4 * 80;
  __m512i acc[16];
  for (int t = 0; t < T; ++t)
    acc[t] = _mm512_setzero_si512();
  t3x5x64_block_tokens(block, whole, q, cols, 24, T, tables, acc);
  if (whole < pairs) {
    int8_t padded[16 * 24] = {0};
    for (int t = 0; t < T; ++t)
      __builtin_memcpy(padded + 24 * t, q + t * cols + 24 * whole,
                       (unsigned long)(cols - 24 * whole));
    t3x5x64_block_tokens(block + 320 * whole, 1, padded, 24, 24, T, tables,
                         acc);
  }
  for (int t = 0; t < T; ++t)
    _mm512_storeu_si512(out + 16 * t, acc[t]);
}

__attribute__((target("avx512vbmi"))) void
trit_t3x5x64_dot_tile_avx512vbmi(const uint8_t *weights, const int8_t *q,
                                 int64_t cols, int64_t row_begin,
                                 int64_t row_end, int64_t tokens,
                                 int32_t *dots) {
  __m512i tables[3];
  t3x5_code_tables(tables);
  int64_t rows = row_end - row_begin;
  for (int64_t b = row_begin / 16; b * 16 < row_end; ++b)
    for (int64_t t0 = 0; t0 < tokens; t0 += 16) {
      int32_t out[16 * 16];
      const int8_t *qt = q + t0 * cols;
      switch (tokens - t0 < 16 ? tokens - t0 : 16) {
      case 1: t3x5x64_block_dot(weights, qt, cols, b, 1, tables, out); break;
      case 2: t3x5x64_block_dot(weights, qt, cols, b, 2, tables, out); break;
      case 3: t3x5x64_block_dot(weights, qt, cols, b, 3, tables, out); break;
      case 4: t3x5x64_block_dot(weights, qt, cols, b, 4, tables, out); break;
      case 5: t3x5x64_block_dot(weights, qt, cols, b, 5, tables, out); break;
      case 6: t3x5x64_block_dot(weights, qt, cols, b, 6, tables, out); break;
      case 7: t3x5x64_block_dot(weights, qt, cols, b, 7, tables, out); break;
      case 8: t3x5x64_block_dot(weights, qt, cols, b, 8, tables, out); break;
      case 9: t3x5x64_block_dot(weights, qt, cols, b, 9, tables, out); break;
      case 10: t3x5x64_block_dot(weights, qt, cols, b, 10, tables, out); break;
      case 11: t3x5x64_block_dot(weights, qt, cols, b, 11, tables, out); break;
      case 12: t3x5x64_block_dot(weights, qt, cols, b, 12, tables, out); break;
      case 13: t3x5x64_block_dot(weights, qt, cols, b, 13, tables, out); break;
      case 14: t3x5x64_block_dot(weights, qt, cols, b, 14, tables, out); break;
      case 15: t3x5x64_block_dot(weights, qt, cols, b, 15, tables, out); break;
      default: t3x5x64_block_dot(weights, qt, cols, b, 16, tables, out); break;
      }
      int64_t r0 = b * 16 > row_begin ? b * 16 : row_begin;
      int64_t r1 = b * 16 + 16 < row_end ? b * 16 + 16 : row_end;
      int64_t nt = tokens - t0 < 16 ? tokens - t0 : 16;
      for (int64_t t = 0; t < nt; ++t)
        for (int64_t r = r0; r < r1; ++r)
          dots[(t0 + t) * rows + r - row_begin] = out[t * 16 + r - b * 16];
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

/*===--- T3X5 through lookup tables (kernels.h) ---------------------------===*
 *
 * Lanes are rows. A table register holds four consecutive triples' 16
 * entries for one token, byte 4i + s for triple s's positive index i, plus
 * 128 so the entries are unsigned bytes; a row's index register holds, per
 * row, the four bytes 4i + s of its codes. vpermb looks up 64 entries (16
 * rows x 4 triples) and vpdpbusd multiplies them by the codes' signs (+1,
 * -1) and sums each row's four into its int32 lane; the 128s come back
 * out as 128 times each row's sum of signs. Per pass of two 192-weight
 * groups:
 * - the tables of every token (1 KB per token and group, on the stack):
 *   the 13 sums computed for all 64 triples of a group at once in int16
 *   lanes, rescaled with vpmulhrsw, and turned from [entry][triple] into
 *   [triple][entry] by a 16 x 16 dword transpose;
 * - per 64 rows, their codes decoded and transposed to rows-in-lanes once,
 *   then four tokens x 64 rows at a time, sixteen accumulators.
 * The sums S wait in `dots` between passes (the first starts from zero);
 * the exact tail and the rescaling finish them.
 *===----------------------------------------------------------------------===*/

/* r[l] lane i <- r[i] lane l, for 16 registers of 16 dwords. */
static inline __attribute__((always_inline)) void
transpose16x16_epi32(__m512i r[16]) {
  __m512i a[16], b[16];
  for (int k = 0; k < 8; ++k) {
    a[2 * k] = _mm512_unpacklo_epi32(r[2 * k], r[2 * k + 1]);
    a[2 * k + 1] = _mm512_unpackhi_epi32(r[2 * k], r[2 * k + 1]);
  }
  for (int k = 0; k < 4; ++k) {
    b[4 * k] = _mm512_unpacklo_epi64(a[4 * k], a[4 * k + 2]);
    b[4 * k + 1] = _mm512_unpackhi_epi64(a[4 * k], a[4 * k + 2]);
    b[4 * k + 2] = _mm512_unpacklo_epi64(a[4 * k + 1], a[4 * k + 3]);
    b[4 * k + 3] = _mm512_unpackhi_epi64(a[4 * k + 1], a[4 * k + 3]);
  }
  /* b[4k + c], 128-bit lane L: rows 4k..4k+3 of column 4L + c. */
  for (int c = 0; c < 4; ++c) {
    __m512i x0 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0x88);
    __m512i x1 = _mm512_shuffle_i32x4(b[c], b[4 + c], 0xDD);
    __m512i y0 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0x88);
    __m512i y1 = _mm512_shuffle_i32x4(b[8 + c], b[12 + c], 0xDD);
    r[c] = _mm512_shuffle_i32x4(x0, y0, 0x88);
    r[c + 8] = _mm512_shuffle_i32x4(x0, y0, 0xDD);
    r[c + 4] = _mm512_shuffle_i32x4(x1, y1, 0x88);
    r[c + 12] = _mm512_shuffle_i32x4(x1, y1, 0xDD);
  }
}

/* The 16 table registers of 64 triples of one token (X[h][d]: element d
 * of triples 32h .. 32h+31 as int16), tables[k] for triples 4k..4k+3. */
__attribute__((target("avx512vbmi"), always_inline)) static inline void
lut_tables_from_triples(__m512i triples[2][3], int32_t m, __m512i tables[16]) {
  __m512i entries[16];
  __m512i e16[2][14];
  const __m512i mult = _mm512_set1_epi16((short)m);
  for (int h = 0; h < 2; ++h) { /* triples 32h .. 32h+31 */
    __m512i X[3];
    for (int d = 0; d < 3; ++d)
      X[d] = _mm512_add_epi16(triples[h][d], triples[h][d]); /* 2E below */
    /* The positive triples (index 1..13: v = 14..26, kernels.h) as sums
     * of a = X[0], b = X[1], c = X[2], sharing b - c and b + c. */
    __m512i a = X[0], b = X[1], c = X[2];
    __m512i bmc = _mm512_sub_epi16(b, c), bpc = _mm512_add_epi16(b, c);
    __m512i E[14] = {
        _mm512_setzero_si512(),  c,
        bmc,                     b,
        bpc,                     _mm512_sub_epi16(a, bpc),
        _mm512_sub_epi16(a, b),  _mm512_sub_epi16(a, bmc),
        _mm512_sub_epi16(a, c),  a,
        _mm512_add_epi16(a, c),  _mm512_add_epi16(a, bmc),
        _mm512_add_epi16(a, b),  _mm512_add_epi16(a, bpc)};
    for (int i = 1; i <= 13; ++i)
      e16[h][i] = _mm512_mulhrs_epi16(E[i], mult);
  }
  /* Byte j of the low bytes of both halves' words, j = 0..63. */
  uint8_t even[64];
  for (int j = 0; j < 64; ++j)
    even[j] = (uint8_t)(2 * j);
  const __m512i pick = _mm512_loadu_si512(even);
  const __m512i offset = _mm512_set1_epi8((char)0x80);
  entries[0] = entries[14] = entries[15] = offset;
  for (int i = 1; i <= 13; ++i)
    entries[i] = _mm512_xor_si512(
        _mm512_permutex2var_epi8(e16[0][i], pick, e16[1][i]), offset);
  transpose16x16_epi32(entries);
  for (int k = 0; k < 16; ++k)
    tables[k] = entries[k];
}

/* The same for a T3X5 group (x: its 192 activations): triple j is
 * (x[j], x[j + 64], x[j + 128]). */
__attribute__((target("avx512vbmi"), always_inline)) static inline void
lut_group_tables(const int8_t *x, int32_t m, __m512i tables[16]) {
  __m512i triples[2][3];
  for (int h = 0; h < 2; ++h)
    for (int d = 0; d < 3; ++d)
      triples[h][d] = _mm512_cvtepi8_epi16(
          _mm256_loadu_si256((const __m256i *)(x + 64 * d + 32 * h)));
  lut_tables_from_triples(triples, m, tables);
}

/* Group g of a row as its 64 five-bit codes, byte j for triple j; returns
 * the codes' sum of signs (+1, or -1 when the sign bit is set). */
static inline __attribute__((always_inline)) __m512i
lut_row_codes(const uint8_t *row, int64_t groups, int64_t g, int32_t *signs) {
  const uint8_t *pair = row + g / 2 * 80;
  __m512i nibbles;
  uint64_t bits;
  if (g < groups / 2 * 2) {
    nibbles = _mm512_loadu_si512(pair);
    if (g & 1)
      nibbles = _mm512_srli_epi16(nibbles, 4);
    __builtin_memcpy(&bits, pair + 64 + 8 * (g & 1), 8);
  } else {
    nibbles = _mm512_srlv_epi64(
        _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)pair)),
        _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0));
    __builtin_memcpy(&bits, pair + 32, 8);
  }
  *signs = 64 - 2 * __builtin_popcountll(bits);
  __m512i index = _mm512_and_si512(nibbles, _mm512_set1_epi8(15));
  return _mm512_mask_add_epi8(index, _cvtu64_mask64(bits), index,
                              _mm512_set1_epi8(16));
}

/* Groups per pass: the accumulators go through memory once per pass. */
#define LUT_PASS_GROUPS 2
#define LUT_PASS_BLOCKS (16 * LUT_PASS_GROUPS)

/* Rows r0 .. r0+63 (the valid ones in `valid`, 16 per block) against
 * tokens t0 .. t0+3, over a pass's `blocks` of four triples: S += sum of
 * signs x (entry + 128), less 128 x the rows' sums of signs (from zero in
 * the first pass). */
__attribute__((target("avx512vbmi"), always_inline)) static inline void
lut_rows_tokens(const __m512i index[4][LUT_PASS_BLOCKS],
                const __m512i sign[4][LUT_PASS_BLOCKS],
                const __m512i correction[4], const __m512i *tables,
                int blocks, int first, int64_t t0, int64_t tokens,
                const __mmask16 valid[4], int32_t *dots, int64_t stride) {
  __m512i acc[4][4];
  const __m512i *table[4];
  for (int t = 0; t < 4; ++t) {
    /* Past the last token: recompute the last one, store nothing. */
    int64_t tt = t0 + t < tokens ? t0 + t : tokens - 1;
    table[t] = tables + tt * LUT_PASS_BLOCKS;
    for (int b = 0; b < 4; ++b)
      acc[b][t] = _mm512_sub_epi32(
          first ? _mm512_setzero_si512()
                : _mm512_maskz_loadu_epi32(valid[b],
                                           dots + tt * stride + 16 * b),
          correction[b]);
  }
  for (int k = 0; k < blocks; ++k) {
    /* The block's indices and signs stay in registers for the four tokens
     * (16 accumulators + 8 + a table: 25 of 32), one load each. */
    __m512i idx[4], sg[4];
    for (int b = 0; b < 4; ++b) {
      idx[b] = index[b][k];
      sg[b] = sign[b][k];
    }
    for (int t = 0; t < 4; ++t) {
      __m512i entries = _mm512_load_si512(table[t] + k);
      for (int b = 0; b < 4; ++b)
        acc[b][t] = _mm512_dpbusd_epi32(
            acc[b][t], _mm512_permutexvar_epi8(idx[b], entries), sg[b]);
    }
  }
  for (int t = 0; t < 4 && t0 + t < tokens; ++t)
    for (int b = 0; b < 4; ++b)
      _mm512_mask_storeu_epi32(dots + (t0 + t) * stride + 16 * b, valid[b],
                               acc[b][t]);
}

/* Codes (t + 1) of I2_S tail byte j of 16 rows as dwords: bytes 0..3 for
 * elements j, j + n/4, j + n/2, j + 3n/4; `word` holds bytes 4(j/4) ..
 * 4(j/4)+3 of each row's tail. */
static inline __m512i lut_tail_codes(__m512i word, int j) {
  const __m512i three = _mm512_set1_epi32(3);
  __m512i b = _mm512_and_si512(_mm512_srli_epi32(word, 8 * (j % 4)),
                               _mm512_set1_epi32(0xFF));
  return _mm512_or_si512(
      _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(b, 6), three),
                      _mm512_slli_epi32(
                          _mm512_and_si512(_mm512_srli_epi32(b, 4), three), 8)),
      _mm512_or_si512(
          _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(b, 2), three),
                            16),
          _mm512_slli_epi32(_mm512_and_si512(b, three), 24)));
}

__attribute__((target("avx512vbmi"))) void
trit_t3x5_lut_dot_tile_avx512vbmi(const uint8_t *weights, const int8_t *q,
                                  int64_t cols, int64_t row_begin,
                                  int64_t row_end, int64_t tokens,
                                  int32_t *dots, int64_t stride) {
  int64_t groups = cols / 192, row_bytes = trit_t3x5_row_bytes(cols);
  int64_t tail = cols % 192, quarter = tail / 4;
  int64_t rows = row_end - row_begin;
  int32_t mult[TRIT_LUT_MAX_TOKENS], lut_sum[TRIT_LUT_MAX_TOKENS];
  float unscale[TRIT_LUT_MAX_TOKENS];
  /* Per token: the largest triple sum and the groups' activation sum. */
  for (int64_t t = 0; t < tokens; ++t) {
    const int8_t *x = q + t * cols;
    __m512i largest = _mm512_setzero_si512();
    __m256i sum = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi8(1);
    for (int64_t g = 0; g < groups; ++g)
      for (int h = 0; h < 2; ++h) {
        __m512i s = _mm512_setzero_si512();
        for (int d = 0; d < 3; ++d) {
          __m256i v = _mm256_loadu_si256(
              (const __m256i *)(x + g * 192 + 64 * d + 32 * h));
          s = _mm512_add_epi16(s, _mm512_cvtepu8_epi16(_mm256_abs_epi8(v)));
          sum = _mm256_dpbusd_epi32(sum, ones, v);
        }
        largest = _mm512_max_epi16(largest, s);
      }
    int32_t M = 0;
    int16_t lanes[32];
    _mm512_storeu_si512(lanes, largest);
    for (int l = 0; l < 32; ++l)
      M = lanes[l] > M ? lanes[l] : M;
    int32_t Q = hsum_epi32(sum);
    mult[t] = trit_lut_multiplier(M);
    unscale[t] = trit_lut_unscale(mult[t]);
    lut_sum[t] = Q;
  }
  for (int64_t t = 0; groups == 0 && t < tokens; ++t)
    for (int64_t r = 0; r < rows; ++r)
      dots[t * stride + r] = 0;

  __m512i tables[tokens * LUT_PASS_BLOCKS]; /* 1 KB per token and group */
  for (int64_t g0 = 0; g0 < groups; g0 += LUT_PASS_GROUPS) {
    int pass = groups - g0 < LUT_PASS_GROUPS ? (int)(groups - g0)
                                             : LUT_PASS_GROUPS;
    for (int64_t t = 0; t < tokens; ++t)
      for (int h = 0; h < pass; ++h)
        lut_group_tables(q + t * cols + (g0 + h) * 192, mult[t],
                         tables + t * LUT_PASS_BLOCKS + 16 * h);
    for (int64_t r0 = row_begin; r0 < row_end; r0 += 64) {
      __m512i index[4][LUT_PASS_BLOCKS], sign[4][LUT_PASS_BLOCKS];
      __m512i correction[4];
      __mmask16 valid[4];
      for (int b = 0; b < 4; ++b) {
        int32_t sums[16] = {0};
        for (int h = 0; h < pass; ++h) {
          __m512i codes[16];
          for (int k = 0; k < 16; ++k) {
            int64_t r = r0 + 16 * b + k;
            int32_t signs = 0;
            codes[k] = r < row_end ? lut_row_codes(weights + r * row_bytes,
                                                   groups, g0 + h, &signs)
                                   : _mm512_setzero_si512();
            sums[k] += signs;
          }
          /* Rows in lanes, then each code's table byte 4i + (j & 3) and
           * its sign; the rows past the end get index 0 and sign +1,
           * whose entries are zero and which nothing stores. */
          transpose16x16_epi32(codes);
          for (int k = 0; k < 16; ++k) {
            index[b][16 * h + k] = _mm512_ternarylogic_epi32(
                _mm512_slli_epi16(codes[k], 2), _mm512_set1_epi8(0x3C),
                _mm512_set1_epi32(0x03020100), 0xEA); /* (a & b) | c */
            sign[b][16 * h + k] = _mm512_mask_blend_epi8(
                _mm512_test_epi8_mask(codes[k], _mm512_set1_epi8(16)),
                _mm512_set1_epi8(1), _mm512_set1_epi8(-1));
          }
        }
        correction[b] = _mm512_slli_epi32(_mm512_loadu_si512(sums), 7);
        int64_t left = row_end - (r0 + 16 * b);
        valid[b] = left >= 16 ? (__mmask16)0xFFFF
                   : left > 0 ? (__mmask16)((1u << left) - 1)
                              : (__mmask16)0;
      }
      for (int64_t t0 = 0; t0 < tokens; t0 += 4)
        lut_rows_tokens((const __m512i(*)[LUT_PASS_BLOCKS])index,
                        (const __m512i(*)[LUT_PASS_BLOCKS])sign, correction,
                        tables, 16 * pass, g0 == 0, t0, tokens, valid,
                        dots + (r0 - row_begin), stride);
    }
  }

  /* Rescale, add the groups' activation sum and the exact tail. */
  int32_t tail_x[tokens * 32];
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t j = 0; j < quarter; ++j) {
      const int8_t *x = q + t * cols + groups * 192 + j;
      tail_x[t * 32 + j] =
          (int32_t)((uint32_t)(uint8_t)x[0] |
                    (uint32_t)(uint8_t)x[quarter] << 8 |
                    (uint32_t)(uint8_t)x[2 * quarter] << 16 |
                    (uint32_t)(uint8_t)x[3 * quarter] << 24);
    }
  for (int64_t r0 = row_begin; r0 < row_end; r0 += 16) {
    int64_t left = row_end - r0;
    __mmask16 valid =
        left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    __m512i codes[32];
    const __m512i offsets = _mm512_mullo_epi32(
        _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
        _mm512_set1_epi32((int)row_bytes));
    const uint8_t *base = weights + r0 * row_bytes + groups * 40;
    for (int64_t j = 0; j < quarter; j += 4) {
      __m512i word = _mm512_mask_i32gather_epi32(
          _mm512_setzero_si512(), valid, offsets, base + j, 1);
      for (int k = 0; k < 4; ++k)
        codes[j + k] = lut_tail_codes(word, k);
    }
    for (int64_t t = 0; t < tokens; ++t) {
      int32_t *d = dots + t * stride + (r0 - row_begin);
      /* Four chains hide vpdpbusd's latency (quarter is 0, 16 or 32). */
      __m512i e0 = _mm512_set1_epi32(lut_sum[t]), e1 = _mm512_setzero_si512();
      __m512i e2 = _mm512_setzero_si512(), e3 = _mm512_setzero_si512();
      const int32_t *xt = tail_x + t * 32;
      for (int64_t j = 0; j < quarter; j += 4) {
        e0 = _mm512_dpbusd_epi32(e0, codes[j], _mm512_set1_epi32(xt[j]));
        e1 = _mm512_dpbusd_epi32(e1, codes[j + 1],
                                 _mm512_set1_epi32(xt[j + 1]));
        e2 = _mm512_dpbusd_epi32(e2, codes[j + 2],
                                 _mm512_set1_epi32(xt[j + 2]));
        e3 = _mm512_dpbusd_epi32(e3, codes[j + 3],
                                 _mm512_set1_epi32(xt[j + 3]));
      }
      __m512i S = _mm512_maskz_loadu_epi32(valid, d);
      __m512i approx = _mm512_cvtps_epi32(_mm512_mul_ps(
          _mm512_cvtepi32_ps(S), _mm512_set1_ps(unscale[t])));
      _mm512_mask_storeu_epi32(
          d, valid,
          _mm512_add_epi32(_mm512_add_epi32(approx, _mm512_add_epi32(e0, e1)),
                           _mm512_add_epi32(e2, e3)));
    }
  }
}

/*===--- T3X5 with rows in lanes through lookup tables (kernels.h) -------===*
 *
 * As above, without the decoding and transposes: the layout already holds
 * 16 rows x 4 triples per 64 index nibbles, so a row's index bytes are
 * 4i + t straight from its nibbles and its signs a blend under the stored
 * sign bits, and the 128s come back out once from the superblock's sign
 * sums. A table register is one quad's (its triples t = 0..3); a pass
 * takes 32 quads (384 columns).
 *===----------------------------------------------------------------------===*/

/* Where element d of triple j (0..31) of eight quads stands in their 96
 * activations: vpermt2b indices. */
__attribute__((target("avx512vbmi"), always_inline)) static inline void
lanes_lut_positions(__m512i at[3]) {
  for (int d = 0; d < 3; ++d) {
    uint8_t bytes[64];
    for (int j = 0; j < 64; ++j)
      bytes[j] = (uint8_t)(12 * (j % 32 / 4) + 4 * d + j % 4);
    at[d] = _mm512_loadu_si512(bytes);
  }
}

/* Elements d of the triples of quads quad0 .. quad0 + 15 of x (zero past
 * `cols`) as int16: triple j = 4(Q - quad0) + t, half h holding
 * j = 32h .. 32h + 31; `at` from lanes_lut_positions. */
__attribute__((target("avx512vbmi"), always_inline)) static inline void
lanes_lut_triples(const int8_t *x, int64_t cols, int64_t quad0,
                  const __m512i at[3], __m512i triples[2][3]) {
  for (int h = 0; h < 2; ++h) {
    int64_t base = 12 * quad0 + 96 * h, left = cols - base;
    __mmask64 low = left >= 64 ? ~0ull : left > 0 ? (1ull << left) - 1 : 0;
    __mmask64 high = left >= 128 ? ~0ull
                     : left > 64 ? (1ull << (left - 64)) - 1
                                 : 0;
    __m512i x0 = _mm512_maskz_loadu_epi8(low, x + (low ? base : 0));
    __m512i x1 = _mm512_maskz_loadu_epi8(high, x + (high ? base + 64 : 0));
    for (int d = 0; d < 3; ++d)
      triples[h][d] = _mm512_cvtepi8_epi16(_mm512_castsi512_si256(
          _mm512_permutex2var_epi8(x0, at[d], x1)));
  }
}

/* Rows are stored 16 to a block; the dots of the ones in the range. */
static inline __mmask16 lanes_valid(int64_t first_row, int64_t row_begin,
                                    int64_t row_end) {
  int64_t lo = row_begin - first_row, hi = row_end - first_row;
  lo = lo < 0 ? 0 : lo;
  hi = hi > 16 ? 16 : hi;
  return hi <= lo ? 0 : (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1));
}

__attribute__((target("avx512vbmi"))) void
trit_t3x5x64_lut_dot_tile_avx512vbmi(const uint8_t *weights,
                                     const int8_t *q, int64_t cols,
                                     int64_t row_begin, int64_t row_end,
                                     int64_t tokens, int32_t *dots,
                                     int64_t stride) {
  int64_t quads = (cols + 23) / 24 * 2;
  int64_t superblock = trit_t3x5x64_superblock_bytes(cols);
  int32_t mult[TRIT_LUT_MAX_TOKENS], lut_sum[TRIT_LUT_MAX_TOKENS];
  float unscale[TRIT_LUT_MAX_TOKENS];
  __m512i at[3];
  lanes_lut_positions(at);
  /* Per token: the largest triple sum and the activation sum. */
  for (int64_t t = 0; t < tokens; ++t) {
    const int8_t *x = q + t * cols;
    __m512i largest = _mm512_setzero_si512();
    for (int64_t quad0 = 0; quad0 < quads; quad0 += 16) {
      __m512i triples[2][3];
      lanes_lut_triples(x, cols, quad0, at, triples);
      for (int h = 0; h < 2; ++h)
        largest = _mm512_max_epi16(
            largest,
            _mm512_add_epi16(_mm512_add_epi16(_mm512_abs_epi16(triples[h][0]),
                                              _mm512_abs_epi16(triples[h][1])),
                             _mm512_abs_epi16(triples[h][2])));
    }
    int16_t lanes[32];
    _mm512_storeu_si512(lanes, largest);
    int32_t M = 0;
    for (int l = 0; l < 32; ++l)
      M = lanes[l] > M ? lanes[l] : M;
    mult[t] = trit_lut_multiplier(M);
    unscale[t] = trit_lut_unscale(mult[t]);
    lut_sum[t] = activation_sum(x, cols);
  }

  /* Dots of rows before row_begin are never stored (masked), so their
   * superblock's base may precede `dots`: address arithmetic in integers. */
#define LANES_DOTS(s) \
  ((int32_t *)((uintptr_t)dots + (uintptr_t)(((s) * 64 - row_begin) * 4)))
  __m512i tables[tokens * LUT_PASS_BLOCKS]; /* 2 KB per token and pass */
  for (int64_t p0 = 0; p0 < quads; p0 += LUT_PASS_BLOCKS) {
    int pass = quads - p0 < LUT_PASS_BLOCKS ? (int)(quads - p0)
                                            : LUT_PASS_BLOCKS;
    for (int64_t t = 0; t < tokens; ++t)
      for (int h = 0; h < pass; h += 16) {
        __m512i triples[2][3];
        lanes_lut_triples(q + t * cols, cols, p0 + h, at, triples);
        lut_tables_from_triples(triples, mult[t],
                                tables + t * LUT_PASS_BLOCKS + h);
      }
    for (int64_t s = row_begin / 64; s * 64 < row_end; ++s) {
      const uint8_t *w = weights + s * superblock;
      __m512i index[4][LUT_PASS_BLOCKS], sign[4][LUT_PASS_BLOCKS];
      __m512i correction[4];
      __mmask16 valid[4];
      const __m512i nibble = _mm512_set1_epi8(0x3C);
      const __m512i position = _mm512_set1_epi32(0x03020100);
      const __m512i plus = _mm512_set1_epi8(1), minus = _mm512_set1_epi8(-1);
      for (int b = 0; b < 4; ++b) {
        for (int k = 0; k < pass; k += 2) {
          const uint8_t *x = w + 256 + ((p0 + k) / 2 * 4 + b) * 80;
          __m512i nibbles = _mm512_loadu_si512(x);
          uint64_t bits0, bits1;
          __builtin_memcpy(&bits0, x + 64, 8);
          __builtin_memcpy(&bits1, x + 72, 8);
          /* Table byte 4i + t: the index times 4 or the lane's triple. */
          index[b][k] = _mm512_ternarylogic_epi32(
              _mm512_slli_epi16(nibbles, 2), nibble, position, 0xEA);
          index[b][k + 1] = _mm512_ternarylogic_epi32(
              _mm512_srli_epi16(nibbles, 2), nibble, position, 0xEA);
          sign[b][k] = _mm512_mask_blend_epi8(_cvtu64_mask64(bits0), plus,
                                              minus);
          sign[b][k + 1] = _mm512_mask_blend_epi8(_cvtu64_mask64(bits1), plus,
                                                  minus);
        }
        /* The first pass takes out the 128s of every code of the row. */
        correction[b] = p0 == 0 ? _mm512_slli_epi32(
                                      _mm512_loadu_si512(w + 64 * b), 7)
                                : _mm512_setzero_si512();
        valid[b] = lanes_valid(s * 64 + 16 * b, row_begin, row_end);
      }
      for (int64_t t0 = 0; t0 < tokens; t0 += 4)
        lut_rows_tokens((const __m512i(*)[LUT_PASS_BLOCKS])index,
                        (const __m512i(*)[LUT_PASS_BLOCKS])sign, correction,
                        tables, pass, p0 == 0, t0, tokens, valid,
                        LANES_DOTS(s), stride);
    }
  }

  /* Rescale and add the activation sum. */
  for (int64_t s = row_begin / 64; s * 64 < row_end; ++s)
    for (int b = 0; b < 4; ++b) {
      __mmask16 valid = lanes_valid(s * 64 + 16 * b, row_begin, row_end);
      for (int64_t t = 0; valid && t < tokens; ++t) {
        int32_t *d = LANES_DOTS(s) + t * stride + 16 * b;
        __m512i S = _mm512_maskz_loadu_epi32(valid, d);
        __m512i approx = _mm512_cvtps_epi32(_mm512_mul_ps(
            _mm512_cvtepi32_ps(S), _mm512_set1_ps(unscale[t])));
        _mm512_mask_storeu_epi32(
            d, valid, _mm512_add_epi32(approx, _mm512_set1_epi32(lut_sum[t])));
      }
    }
#undef LANES_DOTS
}

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

#define TRIT_T3X5_VBMI_TILE trit_t3x5_dot_tile_avx512vbmi
#define TRIT_T3X5_LUT_TILE trit_t3x5_lut_dot_tile_avx512vbmi
#define TRIT_T3X5X64_ROWS trit_t3x5x64_dot_rows_avx512vbmi
#define TRIT_T3X5X64_ROW_TABLES trit_t3x5x64_row_tables_avx512vbmi
#define TRIT_T3X5X64_ROWS_LOOKED_UP trit_t3x5x64_dot_rows_looked_up_avx512vbmi
#define TRIT_T3X5X64_TILE trit_t3x5x64_dot_tile_avx512vbmi
#define TRIT_T3X5X64_LUT_TILE trit_t3x5x64_lut_dot_tile_avx512vbmi
/*===--- T2G: group-scaled ternary (kernels.h) ----------------------------===*/

/* S (1 or 2) consecutive 16-row superblocks against T tokens, S * T <= 4:
 * per 16-column chunk one 64-byte load per superblock gives four vectors of
 * codes (four columns of 16 rows each), and one vpdpbusd per vector and
 * token adds the token's four activations broadcast. Each 32-column
 * block's integer sums become floats at once, in ggml's order
 * (kernels.h). Two superblocks for one token are two streams from memory,
 * which keeps more of DRAM busy than one. S and T are constants in each
 * call. */
static inline __attribute__((always_inline)) void
t2g_superblocks_tokens(const uint8_t *sb, int64_t sb_bytes, int S,
                       const int8_t *q, const float *q_d,
                       const int32_t *q_sums, int64_t cols, int64_t group,
                       int T, __m512 *sums) {
  const __m512i three = _mm512_set1_epi8(3);
  int64_t codes_at = trit_t2g_codes_offset(cols, group);
  int64_t blocks = cols / 32, per_group = group / 32;
  for (int i = 0; i < S * T; ++i)
    sums[i] = _mm512_setzero_ps();
  for (int64_t g = 0; g < cols / group; ++g) {
    __m512 sumi[4];
    for (int i = 0; i < S * T; ++i)
      sumi[i] = _mm512_setzero_ps();
    for (int64_t k = g * per_group; k < (g + 1) * per_group; ++k) {
      /* Two accumulators per superblock and token halve the chain of
       * dependent vpdpbusd a block waits on. */
      __m512i acc[4], acc2[4];
      for (int i = 0; i < S * T; ++i)
        acc[i] = acc2[i] = _mm512_setzero_si512();
      if (S == 1 && T == 1) /* one llvm-mca region: the one-token body */
        TRIT_MCA_BEGIN("t2g_gemm/512");
      for (int half = 0; half < 2; ++half) {
        int64_t chunk = 2 * k + half;
        for (int b = 0; b < S; ++b) {
          const uint8_t *codes = sb + b * sb_bytes + codes_at + chunk * 64;
          /* Far into L2, near into L1, as the T3X5 row dots: without, one
           * core streamed 11.8 GB/s of a 12288 x 4096 matrix from DRAM. */
          _mm_prefetch((const char *)codes + TRIT_PREFETCH_BYTES, _MM_HINT_T1);
          _mm_prefetch((const char *)codes + 2048, _MM_HINT_T0);
          __m512i v = _mm512_loadu_si512(codes);
          __m512i c[4] = {_mm512_and_si512(v, three),
                          _mm512_and_si512(_mm512_srli_epi16(v, 2), three),
                          _mm512_and_si512(_mm512_srli_epi16(v, 4), three),
                          _mm512_and_si512(_mm512_srli_epi16(v, 6), three)};
          for (int t = 0; t < T; ++t) {
            const int8_t *x = q + t * cols + chunk * 16;
            int32_t four[4];
            __builtin_memcpy(four, x, 16);
            int i = b * T + t;
            acc[i] = _mm512_dpbusd_epi32(acc[i], c[0], _mm512_set1_epi32(four[0]));
            acc2[i] = _mm512_dpbusd_epi32(acc2[i], c[1], _mm512_set1_epi32(four[1]));
            acc[i] = _mm512_dpbusd_epi32(acc[i], c[2], _mm512_set1_epi32(four[2]));
            acc2[i] = _mm512_dpbusd_epi32(acc2[i], c[3], _mm512_set1_epi32(four[3]));
          }
        }
      }
      if (S == 1 && T == 1)
        TRIT_MCA_END2("t2g_gemm/512", acc[0], acc2[0]);
      for (int b = 0; b < S; ++b)
        for (int t = 0; t < T; ++t) {
          int i = b * T + t;
          __m512i isum = _mm512_sub_epi32(
              _mm512_add_epi32(acc[i], acc2[i]),
              _mm512_set1_epi32(q_sums[t * blocks + k]));
          sumi[i] = _mm512_add_ps(
              sumi[i], _mm512_mul_ps(_mm512_set1_ps(q_d[t * blocks + k]),
                                     _mm512_cvtepi32_ps(isum)));
        }
    }
    for (int b = 0; b < S; ++b) {
      __m512 dw = _mm512_cvtph_ps(
          _mm256_loadu_si256((const __m256i *)(sb + b * sb_bytes + g * 32)));
      for (int t = 0; t < T; ++t)
        sums[b * T + t] =
            _mm512_add_ps(sums[b * T + t], _mm512_mul_ps(dw, sumi[b * T + t]));
    }
  }
}

void trit_t2g_gemm_avx512vnni(const uint8_t *weights, const int8_t *q,
                              const float *q_d, const int32_t *q_sums,
                              int64_t cols, int64_t group, int64_t row_begin,
                              int64_t row_end, int64_t tokens, float *out,
                              int64_t stride) {
  int64_t sb_bytes = trit_t2g_superblock_bytes(cols, group);
  int64_t blocks = cols / 32;
  for (int64_t r0 = row_begin; r0 < row_end;) {
    const uint8_t *sb = weights + r0 / 16 * sb_bytes;
    /* Two superblocks at a time for one or two tokens (generation). */
    int S = tokens <= 2 && row_end - r0 > 16 ? 2 : 1;
    for (int64_t t = 0; t < tokens;) {
      int T = S == 2 ? (int)tokens : tokens - t >= 4 ? 4 : (int)(tokens - t);
      __m512 sums[4];
      const int8_t *x = q + t * cols;
      const float *d = q_d + t * blocks;
      const int32_t *s = q_sums + t * blocks;
#define TRIT_T2G_CASE(S_, T_)                                                  \
  t2g_superblocks_tokens(sb, sb_bytes, S_, x, d, s, cols, group, T_, sums)
      if (S == 2)
        T == 2 ? TRIT_T2G_CASE(2, 2) : TRIT_T2G_CASE(2, 1);
      else if (T == 4)
        TRIT_T2G_CASE(1, 4);
      else if (T == 3)
        TRIT_T2G_CASE(1, 3);
      else if (T == 2)
        TRIT_T2G_CASE(1, 2);
      else
        TRIT_T2G_CASE(1, 1);
#undef TRIT_T2G_CASE
      for (int b = 0; b < S; ++b) {
        int64_t first = r0 + 16 * b;
        __mmask16 valid = row_end - first >= 16
                              ? (__mmask16)0xffff
                              : (__mmask16)((1u << (row_end - first)) - 1);
        for (int i = 0; i < T; ++i)
          _mm512_mask_storeu_ps(out + (t + i) * stride + first, valid,
                                sums[b * T + i]);
      }
      t += T;
    }
    r0 += 16 * S;
  }
}

/* Q8_0 quantization (kernels.h) with one block of 32 in two registers:
 * the same operations as the generic one, each exact or rounded alike
 * (max, one f32 division, one f32 reciprocal, products, truncation and
 * the half-away-from-zero step), so the same bits. */
void trit_q8_0_quantize_row_avx512vnni(const float *x, int64_t cols, int8_t *q,
                                       float *d, int32_t *sums) {
  const __m512 half = _mm512_set1_ps(0.5f), minus_half = _mm512_set1_ps(-0.5f);
  for (int64_t b = 0; b < cols / 32; ++b) {
    __m512 x0 = _mm512_loadu_ps(x + b * 32), x1 = _mm512_loadu_ps(x + b * 32 + 16);
    float amax = _mm512_reduce_max_ps(
        _mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
    float db = amax / 127.0f;
    float id = db != 0.0f ? 1.0f / db : 0.0f;
    __m512i codes[2];
    __m512 xs[2] = {x0, x1};
    for (int h = 0; h < 2; ++h) {
      __m512 v = _mm512_mul_ps(xs[h], _mm512_set1_ps(id));
      __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      __m512 frac = _mm512_sub_ps(v, t); /* exact */
      __m512i i = _mm512_cvttps_epi32(t);
      i = _mm512_mask_add_epi32(i, _mm512_cmp_ps_mask(frac, half, _CMP_GE_OQ),
                                i, _mm512_set1_epi32(1));
      i = _mm512_mask_sub_epi32(
          i, _mm512_cmp_ps_mask(frac, minus_half, _CMP_LE_OQ), i,
          _mm512_set1_epi32(1));
      codes[h] = i;
    }
    _mm_storeu_si128((__m128i *)(q + b * 32), _mm512_cvtepi32_epi8(codes[0]));
    _mm_storeu_si128((__m128i *)(q + b * 32 + 16),
                     _mm512_cvtepi32_epi8(codes[1]));
    sums[b] = _mm512_reduce_add_epi32(_mm512_add_epi32(codes[0], codes[1]));
    d[b] = _cvtsh_ss(_cvtss_sh(db, _MM_FROUND_TO_NEAREST_INT));
  }
}

#define TRIT_Q8_0_QUANTIZE_ROW trit_q8_0_quantize_row_avx512vnni

#define TRIT_ISA avx512vnni
#include "ops.h"
