/*===- t2g.c - T2G kernels for AVX-512 VNNI -------------------------------===*
 *
 * Group-scaled ternary (kernels.h) times Q8_0 activations in ggml's generic
 * order: the generic kernel's bits.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"
#include "x86/x86_zmm.h"

#include <immintrin.h>

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
