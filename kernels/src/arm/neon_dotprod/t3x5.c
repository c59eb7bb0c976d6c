/*===- t3x5.c - T3X5 kernels for NEON dotprod -----------------------------===*
 *
 * The T3X5 row dots and tile. A group is four quarters of 16 codes. tbl looks
 * up 32-byte tables, so the whole 5-bit code (index | sign << 4) indexes one
 * table per weight.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

#include <arm_neon.h>

static inline __attribute__((always_inline)) void
t3x5_tables(uint8x16x2_t tables[3]) {
  for (int d = 0; d < 3; ++d) {
    uint8_t bytes[32];
    for (unsigned c = 0; c < 32; ++c)
      bytes[c] = (uint8_t)trit_t3x5_digit(c, d);
    tables[d].val[0] = vld1q_u8(bytes);
    tables[d].val[1] = vld1q_u8(bytes + 16);
  }
}

/* The weights + 1 of codes 16k .. 16k+15 of group g of a row with
 * `groups` whole groups (paired, or the unpaired last one): u[d] holds
 * elements 64d + 16k .. 64d + 16k + 15 of the group. */
static inline __attribute__((always_inline)) void
unpack_quarter(const uint8_t *row, int64_t groups, int64_t g, int k,
               const uint8x16x2_t tables[3], int8x16_t u[3]) {
  const uint8x16_t select = {1, 2, 4, 8, 16, 32, 64, 128,
                             1, 2, 4, 8, 16, 32, 64, 128};
  const uint8_t *base = row + g / 2 * 80, *nibbles, *signs;
  int high;
  if (g < groups / 2 * 2) { /* a pair: one nibble of each byte per group */
    nibbles = base + 16 * k;
    high = (int)(g & 1);
    signs = base + 64 + 8 * (g & 1) + 2 * k;
  } else {
    nibbles = base + 16 * (k & 1);
    high = k >= 2;
    signs = base + 32 + 2 * k;
  }
  uint8x16_t bytes = vld1q_u8(nibbles);
  uint8x16_t index = high ? vshrq_n_u8(bytes, 4)
                          : vandq_u8(bytes, vdupq_n_u8(15));
  uint8x16_t sign_bytes =
      vcombine_u8(vdup_n_u8(signs[0]), vdup_n_u8(signs[1]));
  uint8x16_t code = vorrq_u8(
      index, vandq_u8(vtstq_u8(sign_bytes, select), vdupq_n_u8(16)));
  for (int d = 0; d < 3; ++d)
    u[d] = vreinterpretq_s8_u8(vqtbl2q_u8(tables[d], code));
}

/* acc plus a row's I2_S-style tail of n (0, 64 or 128) weights times x. */
static inline __attribute__((always_inline)) int32x4_t
tail_dot(int32x4_t acc, const uint8_t *w, const int8_t *x, int64_t n) {
  const uint8x16_t mask = vdupq_n_u8(3);
  int64_t quarter = n / 4;
  for (int64_t h = 0; h < quarter / 16; ++h) {
    uint8x16_t packed = vld1q_u8(w + 16 * h);
    for (int i = 0; i < 4; ++i)
      acc = vdotq_s32(
          acc,
          vreinterpretq_s8_u8(vandq_u8(
              vshlq_u8(packed, vdupq_n_s8((int8_t)(2 * i - 6))), mask)),
          vld1q_s8(x + quarter * i + 16 * h));
  }
  return acc;
}

void trit_t3x5_dot_rows_neon_dotprod(const uint8_t *weights, const int8_t *q,
                                     int64_t cols, int64_t row_begin,
                                     int64_t row_end, int32_t *dots) {
  uint8x16x2_t tables[3];
  t3x5_tables(tables);
  int64_t stride = trit_t3x5_row_bytes(cols), groups = cols / 192;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * stride;
    int32x4_t acc0 = tail_dot(vdupq_n_s32(0), w + groups * 40,
                              q + groups * 192, cols % 192);
    int32x4_t acc1 = vdupq_n_s32(0), acc2 = vdupq_n_s32(0);
    for (int64_t g = 0; g < groups; ++g)
      for (int k = 0; k < 4; ++k) {
        int8x16_t u[3];
        unpack_quarter(w, groups, g, k, tables, u);
        const int8_t *x = q + g * 192 + 16 * k;
        acc0 = vdotq_s32(acc0, u[0], vld1q_s8(x));
        acc1 = vdotq_s32(acc1, u[1], vld1q_s8(x + 64));
        acc2 = vdotq_s32(acc2, u[2], vld1q_s8(x + 128));
      }
    dots[r - row_begin] = vaddvq_s32(vaddq_s32(acc0, vaddq_s32(acc1, acc2)));
  }
}

/* One row against T tokens, each quarter group's weights decoded once. */
static inline __attribute__((always_inline)) void
t3x5_dot_row_tokens(const uint8_t *w, const int8_t *q, int64_t cols, int T,
                    int32_t *dots, int64_t stride) {
  uint8x16x2_t tables[3];
  t3x5_tables(tables);
  int64_t groups = cols / 192;
  int32x4_t a[4], b[4];
  for (int t = 0; t < T; ++t) {
    a[t] = tail_dot(vdupq_n_s32(0), w + groups * 40,
                    q + t * cols + groups * 192, cols % 192);
    b[t] = vdupq_n_s32(0);
  }
  for (int64_t g = 0; g < groups; ++g)
    for (int k = 0; k < 4; ++k) {
      int8x16_t u[3];
      unpack_quarter(w, groups, g, k, tables, u);
      for (int t = 0; t < T; ++t) {
        const int8_t *x = q + t * cols + g * 192 + 16 * k;
        a[t] = vdotq_s32(a[t], u[0], vld1q_s8(x));
        b[t] = vdotq_s32(b[t], u[1], vld1q_s8(x + 64));
        a[t] = vdotq_s32(a[t], u[2], vld1q_s8(x + 128));
      }
    }
  for (int t = 0; t < T; ++t)
    dots[t * stride] = vaddvq_s32(vaddq_s32(a[t], b[t]));
}

TRIT_DEFINE_T3X5_DOT_TILE_BY_ROW_TOKENS(neon_dotprod)
