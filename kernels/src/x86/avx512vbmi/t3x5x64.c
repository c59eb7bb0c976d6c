/*===- t3x5x64.c - T3X5, rows in lanes, for AVX-512 VBMI ------------------===*
 *
 * T3X5 with 64 rows in lanes (#trit.packing<t3x5, interleave = 64>;
 * kernels.h defines the layout): the row tables and row dots for one
 * token, the tile for several.
 *
 * One token: the token's exact triple sums are looked up rather than the
 * weights. Per quad Q of 12 activations, the 64 entries 16t + i hold
 * triple t's sum with index i's positive weights, an int16 split into two
 * byte tables: its low byte (unsigned) and its high byte + 2 (0..3). For
 * 16 rows of a quad, vpermb looks up each table with the rows' 64
 * indices (a row per dword lane, its four triples in the lane's bytes) and
 * vpdpbusd multiplies the bytes by the codes' signs (+1/-1) and sums each
 * row's four: a row's dot is
 * low + 256 * high - 512 * (its sign sum) + the activations' sum (the
 * codes t + 1 convention). Two lookups and two vpdpbusd per 192 weights,
 * where the row-major T3X5 kernels take three of each and the code's
 * assembly; four blocks of 16 rows go together so each table load serves
 * 64 rows, and their 320 bytes per pair of quads are one stream,
 * prefetched 8 KB ahead into L2 (into L1, as the row-major kernels do,
 * one core streamed 16 GB/s; into L2, 27-29) and 1 KB ahead into L1.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"
#include "x86/avx512vbmi/vbmi.h"
#include "x86/x86_zmm.h"

#include <immintrin.h>

/* A token's tables (tables + 128 Q: 64 low bytes, then 64 high bytes + 2)
 * for every quad of a row padded to whole pairs, with zero activations past
 * `cols`. Word lane L of half h of a quad's 64 entries is triple
 * t = 2h + L / 16 with index L % 16: sum over d of
 * (digit(L % 16, d) - 1) * q[12Q + 4d + t]. */
static void t3x5x64_sum_tables(const int8_t *q, int64_t cols, uint8_t *tables) {
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

void trit_t3x5x64_row_tables_avx512vbmi(const int8_t *q, int64_t cols,
                                        uint8_t *tables) {
  t3x5x64_sum_tables(q, cols, tables);
  int32_t sum = activation_sum(q, cols);
  __builtin_memcpy(tables + (cols + 23) / 24 * 256, &sum, sizeof sum);
}

void trit_t3x5x64_dot_rows_avx512vbmi(const uint8_t *weights, const int8_t *q,
                                      int64_t cols, int64_t row_begin,
                                      int64_t row_end, int32_t *dots) {
  uint8_t storage[trit_t3x5x64_row_tables_bytes(cols) + 64];
  uint8_t *tables = (uint8_t *)(((uintptr_t)storage + 63) & ~(uintptr_t)63);
  trit_t3x5x64_row_tables_avx512vbmi(q, cols, tables);
  trit_t3x5x64_dot_rows_looked_up_avx512vbmi(weights, tables, cols, row_begin,
                                             row_end, dots);
}

void trit_t3x5x64_dot_rows_looked_up_avx512vbmi(const uint8_t *weights,
                                                const uint8_t *tables,
                                                int64_t cols, int64_t row_begin,
                                                int64_t row_end,
                                                int32_t *dots) {
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
static inline __attribute__((always_inline)) void
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
static inline __attribute__((always_inline)) void
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

void trit_t3x5x64_dot_tile_avx512vbmi(const uint8_t *weights, const int8_t *q,
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
