/*===- ops.c - the model operations for AVX-512 VNNI ----------------------===*
 *
 * ops_template.h for the avx512vnni family, with its hooks: the 4-bit LM
 * head's row dot and attention's 16-lane loops as intrinsics (run inside the
 * template's loops, so defined here), AVX-512 Q8_0 quantization, and the
 * AVX-512 VBMI kernels (x86/avx512vbmi/) for the layouts and ranges that
 * only VBMI targets get.
 *===----------------------------------------------------------------------===*/

#include <immintrin.h>
#include <stdint.h>

/* The 4-bit LM head's row dot (ops_template.h defines the arithmetic):
 * one 64-byte load of codes per 128-element block, its nibbles against two
 * contiguous 64-byte activation loads, the lane offsets as the starting
 * value. */
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
 * (ops_template.h defines their arithmetic): sixteen lanes are one zmm
 * register, and the pairwise halving is three extract-and-add steps and a
 * last scalar add. */
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

/* The ranges of targets with AVX-512 VBMI too, through the kernels of
 * x86/avx512vbmi/. */
#define TRIT_T3X5_VBMI_TILE trit_t3x5_dot_tile_avx512vbmi
#define TRIT_T3X5_LUT_TILE trit_t3x5_lut_dot_tile_avx512vbmi
#define TRIT_T3X5X64_ROWS trit_t3x5x64_dot_rows_avx512vbmi
#define TRIT_T3X5X64_ROW_TABLES trit_t3x5x64_row_tables_avx512vbmi
#define TRIT_T3X5X64_ROWS_LOOKED_UP trit_t3x5x64_dot_rows_looked_up_avx512vbmi
#define TRIT_T3X5X64_TILE trit_t3x5x64_dot_tile_avx512vbmi
#define TRIT_T3X5X64_LUT_TILE trit_t3x5x64_lut_dot_tile_avx512vbmi

/* Q8_0 rows with AVX-512 (q8_0.c). */
#define TRIT_Q8_0_QUANTIZE_ROW trit_q8_0_quantize_row_avx512vnni

#define TRIT_ISA avx512vnni
#include "ops_template.h"
