/*===- q8_0.c - Q8_0 quantization for AVX-512 -----------------------------===*
 *
 * ggml's quantize_row_q8_0_ref (kernels.h) for the T2G BitLinears'
 * activations, the generic kernel's bits; ops.c's TRIT_Q8_0_QUANTIZE_ROW.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

#include <immintrin.h>

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
