/*===- vbmi.h - helpers shared by the AVX-512 VBMI files ------------------===*
 *
 * Included by the files of x86/avx512vbmi/, compiled with the avx512vnni
 * family's flags and -mavx512vbmi.
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_KERNELS_SRC_X86_AVX512VBMI_VBMI_H
#define TRIT_KERNELS_SRC_X86_AVX512VBMI_VBMI_H

#include "gemv.h"

#include <immintrin.h>

/* A T3X5 group's weights + 1 from its 5-bit codes (the sign bit added to
 * each index under the sign mask): 32-entry tables of positive and negated
 * triples looked up with vpermb (x86/avx512vbmi/t3x5.c). Tables as vpermb
 * operands: bytes 32..63 repeat. */
static inline __attribute__((always_inline)) void
t3x5_code_tables(__m512i tables[3]) {
  for (int d = 0; d < 3; ++d) {
    uint8_t entries[64];
    for (unsigned c = 0; c < 64; ++c)
      entries[c] = (uint8_t)trit_t3x5_digit(c & 31, d);
    tables[d] = _mm512_loadu_si512(entries);
  }
}

/* The weights + 1 of a group from its 64 indices and sign bits. */
static inline __attribute__((always_inline)) void
lookup_group_codes(__m512i index, const uint8_t *signs,
                   const __m512i tables[3], __m512i u[3]) {
  uint64_t bits;
  __builtin_memcpy(&bits, signs, 8);
  __m512i code = _mm512_mask_add_epi8(index, _cvtu64_mask64(bits), index,
                                      _mm512_set1_epi8(16));
  for (int d = 0; d < 3; ++d)
    u[d] = _mm512_permutexvar_epi8(code, tables[d]);
}

/* The sum of a token's `cols` activations. */
static inline int32_t activation_sum(const int8_t *q, int64_t cols) {
  __m512i acc = _mm512_setzero_si512();
  for (int64_t k = 0; k < cols; k += 64) {
    __mmask64 valid =
        cols - k >= 64 ? ~0ull : (1ull << (cols - k)) - 1;
    acc = _mm512_dpbusd_epi32(acc, _mm512_set1_epi8(1),
                              _mm512_maskz_loadu_epi8(valid, q + k));
  }
  return _mm512_reduce_add_epi32(acc);
}

#endif /* TRIT_KERNELS_SRC_X86_AVX512VBMI_VBMI_H */
