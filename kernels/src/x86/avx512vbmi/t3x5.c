/*===- t3x5.c - T3X5 row dots for AVX-512 VBMI ----------------------------===*
 *
 * The T3X5 row dots of x86/avx512vnni/t3x5.c with AVX-512 VBMI: a group's
 * 5-bit codes (the sign bit added to each index under the sign mask) index
 * 32-entry tables of weight + 1 for positive and negated triples with vpermb
 * (vbmi.h), one lookup per weight and no masked subtraction, the same
 * integer sums (generation 6-8% faster on one Zen4 core, where decoding is
 * the limit); and the tile that takes them for one token.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"
#include "x86/avx512vbmi/vbmi.h"
#include "x86/x86_zmm.h"

#include <immintrin.h>

void trit_t3x5_dot_rows_avx512vbmi(const uint8_t *weights, const int8_t *q,
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
__attribute__((always_inline)) void
trit_t3x5_dot_tile_avx512vbmi(const uint8_t *weights, const int8_t *q,
                              int64_t cols, int64_t row_begin, int64_t row_end,
                              int64_t tokens, int32_t *dots) {
  if (tokens == 1)
    trit_t3x5_dot_rows_avx512vbmi(weights, q, cols, row_begin, row_end, dots);
  else
    trit_t3x5_dot_tile_avx512vnni(weights, q, cols, row_begin, row_end, tokens,
                                  dots);
}
