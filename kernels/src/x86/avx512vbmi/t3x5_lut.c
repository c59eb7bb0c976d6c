/*===- t3x5_lut.c - lookup-table tiles for AVX-512 VBMI -------------------===*
 *
 * tritc --prompt-lut's approximate T3X5 tiles (kernels.h; generic/t3x5_lut.c
 * is their definition), for rows one after another and for rows in lanes.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"
#include "x86/avx512vbmi/vbmi.h"
#include "x86/x86_ymm.h"

#include <immintrin.h>

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
static inline __attribute__((always_inline)) void
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
static inline __attribute__((always_inline)) void
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
static inline __attribute__((always_inline)) void
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

void trit_t3x5_lut_dot_tile_avx512vbmi(const uint8_t *weights, const int8_t *q,
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
static inline __attribute__((always_inline)) void
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
static inline __attribute__((always_inline)) void
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

void trit_t3x5x64_lut_dot_tile_avx512vbmi(const uint8_t *weights,
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
