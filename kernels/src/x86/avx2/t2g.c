/*===- t2g.c - T2G kernels for AVX2 ---------------------------------------===*
 *
 * Group-scaled ternary (kernels.h) times Q8_0 activations in ggml's generic
 * order: the generic kernel's bits.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

#include <immintrin.h>

/* Halves h0 .. h0 + H - 1 (8 rows each) of a 16-row superblock against T
 * tokens, H * T <= 4: a chunk's 32 bytes of a half give four vectors of
 * codes; vpmaddubsw multiplies each by the token's four activations
 * broadcast into int16 pairs (|sum| <= 8 * 768, no overflow over a
 * 32-column block), and one vpmaddwd per block gives each row's int32 sum.
 * Both halves at once (one or two tokens: generation) share the
 * broadcasts and make one pass over the codes. Then ggml's order
 * (kernels.h). H and T are constants in each call. */
static inline __attribute__((always_inline)) void
t2g_halves_tokens(const uint8_t *sb, int h0, int H, const int8_t *q,
                  const float *q_d, const int32_t *q_sums, int64_t cols,
                  int64_t group, int T, __m256 *sums) {
  const __m256i three = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
  const uint8_t *codes = sb + trit_t2g_codes_offset(cols, group) + 32 * h0;
  int64_t blocks = cols / 32, per_group = group / 32;
  for (int i = 0; i < H * T; ++i)
    sums[i] = _mm256_setzero_ps();
  for (int64_t g = 0; g < cols / group; ++g) {
    __m256 sumi[4];
    for (int i = 0; i < H * T; ++i)
      sumi[i] = _mm256_setzero_ps();
    for (int64_t k = g * per_group; k < (g + 1) * per_group; ++k) {
      __m256i acc[4];
      for (int i = 0; i < H * T; ++i)
        acc[i] = _mm256_setzero_si256();
      if (H == 1 && T == 1) /* one llvm-mca region: the one-token body */
        TRIT_MCA_BEGIN("t2g_gemm/256");
      for (int c2 = 0; c2 < 2; ++c2) {
        int64_t chunk = 2 * k + c2;
        /* Far into L2, near into L1 (x86/avx512vnni/t2g.c). */
        _mm_prefetch((const char *)(codes + chunk * 64) + 8192, _MM_HINT_T1);
        _mm_prefetch((const char *)(codes + chunk * 64) + 2048, _MM_HINT_T0);
        __m256i c[2][4];
        for (int h = 0; h < H; ++h) {
          __m256i v =
              _mm256_loadu_si256((const __m256i *)(codes + chunk * 64 + 32 * h));
          c[h][0] = _mm256_and_si256(v, three);
          c[h][1] = _mm256_and_si256(_mm256_srli_epi16(v, 2), three);
          c[h][2] = _mm256_and_si256(_mm256_srli_epi16(v, 4), three);
          c[h][3] = _mm256_and_si256(_mm256_srli_epi16(v, 6), three);
        }
        for (int t = 0; t < T; ++t) {
          const int8_t *x = q + t * cols + chunk * 16;
          for (int s = 0; s < 4; ++s) {
            int32_t four;
            __builtin_memcpy(&four, x + 4 * s, 4);
            __m256i a = _mm256_set1_epi32(four);
            for (int h = 0; h < H; ++h)
              acc[h * T + t] = _mm256_add_epi16(
                  acc[h * T + t], _mm256_maddubs_epi16(c[h][s], a));
          }
        }
      }
      if (H == 1 && T == 1)
        TRIT_MCA_END("t2g_gemm/256", acc[0]);
      for (int h = 0; h < H; ++h)
        for (int t = 0; t < T; ++t) {
          int i = h * T + t;
          __m256i isum =
              _mm256_sub_epi32(_mm256_madd_epi16(acc[i], ones),
                               _mm256_set1_epi32(q_sums[t * blocks + k]));
          sumi[i] = _mm256_add_ps(
              sumi[i], _mm256_mul_ps(_mm256_set1_ps(q_d[t * blocks + k]),
                                     _mm256_cvtepi32_ps(isum)));
        }
    }
    for (int h = 0; h < H; ++h) {
      __m256 dw = _mm256_cvtph_ps(
          _mm_loadu_si128((const __m128i *)(sb + g * 32 + 16 * (h0 + h))));
      for (int t = 0; t < T; ++t)
        sums[h * T + t] =
            _mm256_add_ps(sums[h * T + t], _mm256_mul_ps(dw, sumi[h * T + t]));
    }
  }
}

/* Stores 8 rows' sums from row `first`, only those before row_end. */
static inline void t2g_store8(float *o, __m256 v, int64_t valid) {
  if (valid >= 8) {
    _mm256_storeu_ps(o, v);
    return;
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, v);
  for (int64_t l = 0; l < valid; ++l)
    o[l] = lanes[l];
}

void trit_t2g_gemm_avx2(const uint8_t *weights, const int8_t *q,
                        const float *q_d, const int32_t *q_sums, int64_t cols,
                        int64_t group, int64_t row_begin, int64_t row_end,
                        int64_t tokens, float *out, int64_t stride) {
  int64_t sb_bytes = trit_t2g_superblock_bytes(cols, group);
  int64_t blocks = cols / 32;
  for (int64_t r0 = row_begin; r0 < row_end;) {
    const uint8_t *sb = weights + r0 / 16 * sb_bytes;
    int h0 = (int)(r0 / 8 % 2);
    /* Both halves in one pass for one or two tokens (generation). */
    int H = h0 == 0 && tokens <= 2 && row_end - r0 > 8 ? 2 : 1;
    for (int64_t t = 0; t < tokens;) {
      int T = H == 2 ? (int)tokens : tokens - t >= 4 ? 4 : (int)(tokens - t);
      __m256 sums[4];
      const int8_t *x = q + t * cols;
      const float *d = q_d + t * blocks;
      const int32_t *s = q_sums + t * blocks;
#define TRIT_T2G_CASE(H_, T_)                                                  \
  t2g_halves_tokens(sb, h0, H_, x, d, s, cols, group, T_, sums)
      if (H == 2)
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
      for (int h = 0; h < H; ++h) {
        int64_t first = r0 + 8 * h;
        for (int i = 0; i < T; ++i)
          t2g_store8(out + (t + i) * stride + first, sums[h * T + i],
                     row_end - first);
      }
      t += T;
    }
    r0 += 8 * H;
  }
}
