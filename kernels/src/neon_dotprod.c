/*===- neon_dotprod.c - AArch64 NEON dotprod microkernels -----------------===*
 *
 * sdot multiplies signed bytes and accumulates groups of four into int32
 * lanes. The codes 0..2 are valid signed bytes, so codes x activations is
 * exact with sdot (usdot would need the i8mm extension). A 128-weight block
 * is two 16-byte halves; each half yields 16 codes for each quarter.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"

#include <arm_neon.h>

void trit_i2s_dot_rows_neon_dotprod(const uint8_t *weights, const int8_t *q,
                                    int64_t cols, int64_t row_begin,
                                    int64_t row_end, int32_t *dots) {
  const uint8x16_t mask = vdupq_n_u8(3);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * (cols / 4);
    int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
    int32x4_t acc2 = vdupq_n_s32(0), acc3 = vdupq_n_s32(0);
    for (int64_t b = 0; b < cols / 128; ++b) {
      TRIT_MCA_BEGIN("i2s_dot_rows/128");
      const int8_t *x = q + b * 128;
      for (int h = 0; h < 2; ++h) {
        uint8x16_t packed = vld1q_u8(w + b * 32 + 16 * h);
        acc0 = vdotq_s32(acc0, vreinterpretq_s8_u8(vshrq_n_u8(packed, 6)),
                         vld1q_s8(x + 16 * h));
        acc1 = vdotq_s32(
            acc1, vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(packed, 4), mask)),
            vld1q_s8(x + 32 + 16 * h));
        acc2 = vdotq_s32(
            acc2, vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(packed, 2), mask)),
            vld1q_s8(x + 64 + 16 * h));
        acc3 = vdotq_s32(acc3, vreinterpretq_s8_u8(vandq_u8(packed, mask)),
                         vld1q_s8(x + 96 + 16 * h));
      }
      TRIT_MCA_END4("i2s_dot_rows/128", acc0, acc1, acc2, acc3);
    }
    dots[r - row_begin] =
        vaddvq_s32(vaddq_s32(vaddq_s32(acc0, acc1), vaddq_s32(acc2, acc3)));
  }
}

/* One row against T tokens: each 16-byte half of a block is unpacked once
 * into four code registers and multiplied with every token's activations;
 * two accumulators per token. */
static inline __attribute__((always_inline)) void
dot_row_tokens(const uint8_t *w, const int8_t *q, int64_t cols, int T,
               int32_t *dots, int64_t stride) {
  const uint8x16_t mask = vdupq_n_u8(3);
  int32x4_t a[4], b[4];
  for (int t = 0; t < T; ++t)
    a[t] = b[t] = vdupq_n_s32(0);
  for (int64_t blk = 0; blk < cols / 128; ++blk)
    for (int h = 0; h < 2; ++h) {
      uint8x16_t packed = vld1q_u8(w + blk * 32 + 16 * h);
      int8x16_t c0 = vreinterpretq_s8_u8(vshrq_n_u8(packed, 6));
      int8x16_t c1 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(packed, 4), mask));
      int8x16_t c2 = vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(packed, 2), mask));
      int8x16_t c3 = vreinterpretq_s8_u8(vandq_u8(packed, mask));
      for (int t = 0; t < T; ++t) {
        const int8_t *x = q + t * cols + blk * 128 + 16 * h;
        a[t] = vdotq_s32(a[t], c0, vld1q_s8(x));
        b[t] = vdotq_s32(b[t], c1, vld1q_s8(x + 32));
        a[t] = vdotq_s32(a[t], c2, vld1q_s8(x + 64));
        b[t] = vdotq_s32(b[t], c3, vld1q_s8(x + 96));
      }
    }
  for (int t = 0; t < T; ++t)
    dots[t * stride] = vaddvq_s32(vaddq_s32(a[t], b[t]));
}

TRIT_DEFINE_BITLINEAR_GEMV(neon_dotprod)
TRIT_DEFINE_DOT_TILE_BY_ROW_TOKENS(neon_dotprod)

/*===--- T3X5 -------------------------------------------------------------===*
 *
 * A group is four quarters of 16 codes. tbl looks up 32-byte tables, so
 * the whole 5-bit code (index | sign << 4) indexes one table per weight.
 *===----------------------------------------------------------------------===*/

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

/*===--- T2G: group-scaled ternary (kernels.h) ----------------------------===*/

/* One token against a 16-row superblock: a chunk's 64 bytes are four
 * quads of 4 rows; per 4-column step s, sdot by lane s of the chunk's 16
 * activations adds four columns to each row's lane. Then ggml's order
 * (kernels.h). */
static inline void t2g_superblock_token(const uint8_t *sb, const int8_t *x,
                                        const float *q_d,
                                        const int32_t *q_sums, int64_t cols,
                                        int64_t group, float32x4_t *sums) {
  const uint8x16_t three = vdupq_n_u8(3);
  const uint8_t *codes = sb + trit_t2g_codes_offset(cols, group);
  int64_t per_group = group / 32;
  for (int j = 0; j < 4; ++j)
    sums[j] = vdupq_n_f32(0.0f);
  for (int64_t g = 0; g < cols / group; ++g) {
    float32x4_t sumi[4];
    for (int j = 0; j < 4; ++j)
      sumi[j] = vdupq_n_f32(0.0f);
    for (int64_t k = g * per_group; k < (g + 1) * per_group; ++k) {
      int32x4_t acc[4];
      for (int j = 0; j < 4; ++j)
        acc[j] = vdupq_n_s32(0);
      TRIT_MCA_BEGIN("t2g_gemm/512");
      for (int c2 = 0; c2 < 2; ++c2) {
        int64_t chunk = 2 * k + c2;
        __builtin_prefetch(codes + chunk * 64 + 4096);
        int8x16_t a = vld1q_s8(x + chunk * 16);
        for (int j = 0; j < 4; ++j) {
          uint8x16_t v = vld1q_u8(codes + chunk * 64 + 16 * j);
          acc[j] = vdotq_laneq_s32(acc[j],
                                   vreinterpretq_s8_u8(vandq_u8(v, three)), a,
                                   0);
          acc[j] = vdotq_laneq_s32(
              acc[j], vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(v, 2), three)),
              a, 1);
          acc[j] = vdotq_laneq_s32(
              acc[j], vreinterpretq_s8_u8(vandq_u8(vshrq_n_u8(v, 4), three)),
              a, 2);
          acc[j] = vdotq_laneq_s32(
              acc[j], vreinterpretq_s8_u8(vshrq_n_u8(v, 6)), a, 3);
        }
      }
      TRIT_MCA_END("t2g_gemm/512", acc[0]);
      float32x4_t da = vdupq_n_f32(q_d[k]);
      int32x4_t qs = vdupq_n_s32(q_sums[k]);
      for (int j = 0; j < 4; ++j)
        sumi[j] = vaddq_f32(
            sumi[j], vmulq_f32(da, vcvtq_f32_s32(vsubq_s32(acc[j], qs))));
    }
    for (int j = 0; j < 4; ++j) {
      float16x4_t h = vreinterpret_f16_u16(
          vld1_u16((const uint16_t *)(sb + g * 32 + 8 * j)));
      sums[j] = vaddq_f32(sums[j], vmulq_f32(vcvt_f32_f16(h), sumi[j]));
    }
  }
}

void trit_t2g_gemm_neon_dotprod(const uint8_t *weights, const int8_t *q,
                                const float *q_d, const int32_t *q_sums,
                                int64_t cols, int64_t group,
                                int64_t row_begin, int64_t row_end,
                                int64_t tokens, float *out, int64_t stride) {
  int64_t sb_bytes = trit_t2g_superblock_bytes(cols, group);
  int64_t blocks = cols / 32;
  for (int64_t r0 = row_begin; r0 < row_end; r0 += 16) {
    const uint8_t *sb = weights + r0 / 16 * sb_bytes;
    int64_t valid = row_end - r0 < 16 ? row_end - r0 : 16;
    for (int64_t t = 0; t < tokens; ++t) {
      float32x4_t sums[4];
      t2g_superblock_token(sb, q + t * cols, q_d + t * blocks,
                           q_sums + t * blocks, cols, group, sums);
      float lanes[16];
      for (int j = 0; j < 4; ++j)
        vst1q_f32(lanes + 4 * j, sums[j]);
      for (int64_t l = 0; l < valid; ++l)
        out[t * stride + r0 + l] = lanes[l];
    }
  }
}

#define TRIT_ISA neon_dotprod
#include "ops.h"
