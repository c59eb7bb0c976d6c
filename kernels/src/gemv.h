/*===- gemv.h - what every kernel family shares ---------------------------===*
 *
 * The numerics contract lives here once: bitnet.cpp's I2_S output
 * ((float)(dot - q_sum)) / q_scale * w_scale, in f32, left to right, with
 * the GEMV and tile templates each family's i2s.c and t3x5.c instantiate
 * (TRIT_DEFINE_BITLINEAR_GEMV(isa), ...). Then the layouts' decoders in
 * plain C (T3X5, T3X5 with rows in lanes, I2_S blocks, T2G), the
 * lookup-table arithmetic, portable f16 conversions and the llvm-mca
 * region markers. Included by every kernel file and by ops_template.h.
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_KERNELS_SRC_GEMV_H
#define TRIT_KERNELS_SRC_GEMV_H

#include "trit/kernels.h"

/* llvm-mca regions: the steady-state loop body of each row-dot kernel,
 * marked only when tools/kernel-mca.py compiles the kernels for analysis
 * (-DTRIT_MCA_REGIONS). The name says how many weights one pass of the
 * body takes, for cycles per 1,000 weights. The end marker takes the
 * body's accumulators as operands, so that the compiler cannot sink their
 * arithmetic past it. */
#ifdef TRIT_MCA_REGIONS
#ifdef __aarch64__
#define TRIT_MCA_COMMENT "// "
#define TRIT_MCA_REG "+w"
#else
#define TRIT_MCA_COMMENT "# "
#define TRIT_MCA_REG "+v"
#endif
#define TRIT_MCA_BEGIN(name)                                                   \
  __asm__ volatile(TRIT_MCA_COMMENT "LLVM-MCA-BEGIN " name ::: "memory")
#define TRIT_MCA_END(name, a)                                                  \
  __asm__ volatile(TRIT_MCA_COMMENT "LLVM-MCA-END " name                       \
                   : TRIT_MCA_REG(a)::"memory")
#define TRIT_MCA_END2(name, a, b)                                              \
  __asm__ volatile(TRIT_MCA_COMMENT "LLVM-MCA-END " name                       \
                   : TRIT_MCA_REG(a), TRIT_MCA_REG(b)::"memory")
#define TRIT_MCA_END4(name, a, b, c, d)                                        \
  __asm__ volatile(TRIT_MCA_COMMENT "LLVM-MCA-END " name                       \
                   : TRIT_MCA_REG(a), TRIT_MCA_REG(b), TRIT_MCA_REG(c),        \
                     TRIT_MCA_REG(d)::"memory")
#define TRIT_MCA_END6(name, a, b, c, d, e, f)                                  \
  __asm__ volatile(TRIT_MCA_COMMENT "LLVM-MCA-END " name                       \
                   : TRIT_MCA_REG(a), TRIT_MCA_REG(b), TRIT_MCA_REG(c),        \
                     TRIT_MCA_REG(d), TRIT_MCA_REG(e), TRIT_MCA_REG(f)::"memory")
#else
#define TRIT_MCA_BEGIN(name)
#define TRIT_MCA_END6(name, a, b, c, d, e, f)
#define TRIT_MCA_END(name, a)
#define TRIT_MCA_END2(name, a, b)
#define TRIT_MCA_END4(name, a, b, c, d)
#endif

static inline float trit_bitlinear_output(int32_t dot, int32_t q_sum,
                                          float q_scale, float w_scale) {
  return (float)(dot - q_sum) / q_scale * w_scale;
}

#define TRIT_DEFINE_BITLINEAR_GEMV(isa)                                        \
  void trit_bitlinear_gemv_##isa(const uint8_t *weights, const int8_t *q,      \
                                 int32_t q_sum, float q_scale, float w_scale,  \
                                 int64_t cols, int64_t row_begin,              \
                                 int64_t row_end, float *out) {                \
    for (int64_t r = row_begin; r < row_end; ++r) {                            \
      int32_t dot;                                                             \
      trit_i2s_dot_rows_##isa(weights, q, cols, r, r + 1, &dot);               \
      out[r - row_begin] = trit_bitlinear_output(dot, q_sum, q_scale, w_scale);\
    }                                                                          \
  }

/* A dot-product tile as repeated row dot products (rows_fn), for
 * instruction sets without a kernel that shares the unpacked weights
 * between tokens. */
#define TRIT_DEFINE_TILE_BY_ROWS(tile_fn, rows_fn)                             \
  void tile_fn(const uint8_t *weights, const int8_t *q, int64_t cols,          \
               int64_t row_begin, int64_t row_end, int64_t tokens,             \
               int32_t *dots) {                                                \
    for (int64_t t = 0; t < tokens; ++t)                                       \
      rows_fn(weights, q + t * cols, cols, row_begin, row_end,                 \
              dots + t * (row_end - row_begin));                               \
  }

/* A dot tile from a kernel of one row against T tokens,
 * row_tokens(w, q, cols, T, dots, stride): tokens in groups of up to four
 * (T a constant in each call, so its loops unroll), a last single token
 * through the layout's row dot. Always inlined into each generated range
 * function, so the shapes are constants. */
#define TRIT_DEFINE_TILE_BY_ROW_TOKENS(tile_fn, row_tokens, rows_fn, stride)   \
  __attribute__((always_inline)) void tile_fn(                                 \
      const uint8_t *weights, const int8_t *q, int64_t cols,                   \
      int64_t row_begin, int64_t row_end, int64_t tokens, int32_t *dots) {     \
    int64_t rows = row_end - row_begin, t = 0;                                 \
    while (tokens - t >= 2) {                                                  \
      int T = tokens - t >= 4 ? 4 : (int)(tokens - t);                         \
      for (int64_t r = row_begin; r < row_end; ++r) {                          \
        const uint8_t *w = weights + r * (stride);                             \
        int32_t *d = dots + t * rows + (r - row_begin);                        \
        switch (T) {                                                           \
        case 4: row_tokens(w, q + t * cols, cols, 4, d, rows); break;          \
        case 3: row_tokens(w, q + t * cols, cols, 3, d, rows); break;          \
        default: row_tokens(w, q + t * cols, cols, 2, d, rows); break;         \
        }                                                                      \
      }                                                                        \
      t += T;                                                                  \
    }                                                                          \
    for (; t < tokens; ++t)                                                    \
      rows_fn(weights, q + t * cols, cols, row_begin, row_end,                 \
              dots + t * rows);                                                \
  }

/* The I2_S tile from the file's dot_row_tokens. */
#define TRIT_DEFINE_DOT_TILE_BY_ROW_TOKENS(isa)                                \
  TRIT_DEFINE_TILE_BY_ROW_TOKENS(trit_i2s_dot_tile_##isa, dot_row_tokens,      \
                                 trit_i2s_dot_rows_##isa, cols / 4)

/*===--- T3X5 (kernels.h) -------------------------------------------------===*/

/* Weight d (0..2) of a T3X5 code's triple, plus one. Indices 14 and 15 are
 * never written; they decode as zeros. */
static inline int trit_t3x5_digit(unsigned code, int d) {
  int index = (int)(code & 15);
  int v = index > 13 ? 13 : (code & 16 ? 13 - index : 13 + index);
  return d == 0 ? v / 9 : (d == 1 ? v / 3 % 3 : v % 3);
}

/* The 5-bit code j of group g of a T3X5 row that has `groups` whole
 * groups (kernels.h). */
static inline unsigned trit_t3x5_code(const uint8_t *row, int64_t groups,
                                      int64_t g, int j) {
  const uint8_t *pair = row + g / 2 * 80;
  unsigned index, sign;
  if (g < groups / 2 * 2) { /* in a pair */
    index = (g & 1) ? (unsigned)pair[j] >> 4 : pair[j] & 15u;
    sign = (pair[64 + 8 * (g & 1) + j / 8] >> (j % 8)) & 1u;
  } else { /* the unpaired last group */
    index = j < 32 ? pair[j] & 15u : (unsigned)pair[j - 32] >> 4;
    sign = (pair[32 + j / 8] >> (j % 8)) & 1u;
  }
  return sign << 4 | index;
}

/* The 5-bit code of triple t of quad `quad` of row r of a T3X5 matrix
 * with rows in lanes (kernels.h). */
static inline unsigned trit_t3x5x64_code(const uint8_t *weights, int64_t cols,
                                         int64_t r, int64_t quad, int t) {
  int64_t lane = (r % 16) * 4 + t;
  const uint8_t *x = weights + r / 64 * trit_t3x5x64_superblock_bytes(cols) +
                     256 + (quad / 2 * 4 + r % 64 / 16) * 80;
  unsigned index = quad % 2 ? (unsigned)x[lane] >> 4 : x[lane] & 15u;
  unsigned sign = (x[64 + 8 * (quad % 2) + lane / 8] >> (lane % 8)) & 1u;
  return sign << 4 | index;
}

/* Weight (r, c) + 1 of a T3X5 matrix with rows in lanes. */
static inline int trit_t3x5x64_weight(const uint8_t *weights, int64_t cols,
                                      int64_t r, int64_t c) {
  return trit_t3x5_digit(
      trit_t3x5x64_code(weights, cols, r, c / 12, (int)(c % 4)),
      (int)(c % 12 / 4));
}

/* An I2_S block of n weights (a multiple of 4: 128 in I2_S rows, 64 or 128
 * at the end of a T3X5 row) against n activations: byte j holds elements
 * j, j + n/4, j + n/2, j + 3n/4. */
static inline int32_t trit_i2s_block_dot(const uint8_t *w, const int8_t *x,
                                         int64_t n) {
  int32_t acc = 0;
  int64_t quarter = n / 4;
  for (int64_t j = 0; j < quarter; ++j)
    acc += ((w[j] >> 6) & 3) * x[j] + ((w[j] >> 4) & 3) * x[quarter + j] +
           ((w[j] >> 2) & 3) * x[2 * quarter + j] +
           (w[j] & 3) * x[3 * quarter + j];
  return acc;
}

/*===--- T3X5 through lookup tables (kernels.h) ---------------------------===*/

/* The table multiplier for a token whose largest triple sum is M. */
static inline int32_t trit_lut_multiplier(int32_t M) {
  return M <= 127 ? 16384 : 127 * 16384 / M;
}

/* A triple sum E's table byte: E * m / 16384 rounded half up, in
 * [-127, 127] when |E| <= M. */
static inline int32_t trit_lut_entry(int32_t E, int32_t m) {
  return (2 * E * m + 16384) >> 15;
}

/* The factor back from table units to activation units. */
static inline float trit_lut_unscale(int32_t m) {
  return 16384.0f / (float)m;
}

/* S * unscale, rounded half to even like cvtps2dq. */
static inline int32_t trit_lut_rescale(int32_t S, float unscale) {
  float x = (float)S * unscale;
  int32_t i = (int32_t)x; /* toward zero; |x| < 2^31 */
  float frac = x - (float)i; /* exact */
  if (frac > 0.5f || (frac == 0.5f && (i & 1)))
    ++i;
  else if (frac < -0.5f || (frac == -0.5f && (i & 1)))
    --i;
  return i;
}

/* The T3X5 tile from the file's t3x5_dot_row_tokens. */
#define TRIT_DEFINE_T3X5_DOT_TILE_BY_ROW_TOKENS(isa)                           \
  TRIT_DEFINE_TILE_BY_ROW_TOKENS(trit_t3x5_dot_tile_##isa,                     \
                                 t3x5_dot_row_tokens,                          \
                                 trit_t3x5_dot_rows_##isa,                     \
                                 trit_t3x5_row_bytes(cols))

/*===--- f16 bits, portable (no F16C, no libcall) -------------------------===*/

static inline float trit_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else { /* subnormal: normalize */
    exp = 113;
    while (!(mant & 0x400)) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
  }
  union {
    uint32_t u;
    float f;
  } v = {bits};
  return v.f;
}

/* Round to nearest even, as F16C's vcvtps2ph and ggml's conversion. */
static inline uint16_t trit_float_to_half(float f) {
  union {
    float f;
    uint32_t u;
  } v = {f};
  uint32_t x = v.u, sign = (x >> 16) & 0x8000, absx = x & 0x7fffffff;
  if (absx >= 0x7f800000) /* inf or nan */
    return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0));
  if (absx >= 0x477ff000) /* rounds to >= 65520: overflow */
    return (uint16_t)(sign | 0x7c00);
  if (absx < 0x38800000) { /* subnormal or zero in f16 */
    if (absx < 0x33000000)
      return (uint16_t)sign;
    uint32_t mant = (absx & 0x7fffff) | 0x800000;
    uint32_t shift = 126 - (absx >> 23);
    uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1)))
      ++half;
    return (uint16_t)(sign | half);
  }
  uint32_t base = absx - 0x38000000; /* rebias 127 -> 15, keep 23 bits */
  uint32_t half = base >> 13, rem = base & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
    ++half;
  return (uint16_t)(sign | half);
}

/*===--- T2G (kernels.h) --------------------------------------------------===*/

/* Where the codes of a T2G superblock begin, after its scales. */
static inline int64_t trit_t2g_codes_offset(int64_t cols, int64_t group) {
  return (cols / group * 32 + 63) / 64 * 64;
}

/* The code (value + 1) of row r, column c of a T2G matrix. */
static inline int trit_t2g_code(const uint8_t *weights, int64_t cols,
                                int64_t group, int64_t r, int64_t c) {
  const uint8_t *sb = weights + r / 16 * trit_t2g_superblock_bytes(cols, group);
  uint8_t byte = sb[trit_t2g_codes_offset(cols, group) + c / 16 * 64 +
                    4 * (r % 16) + c % 4];
  return (byte >> (2 * (c % 16 / 4))) & 3;
}

/* The f16 scale of row r's group g. */
static inline uint16_t trit_t2g_scale(const uint8_t *weights, int64_t cols,
                                      int64_t group, int64_t r, int64_t g) {
  const uint8_t *p = weights + r / 16 * trit_t2g_superblock_bytes(cols, group) +
                     g * 32 + r % 16 * 2;
  return (uint16_t)(p[0] | p[1] << 8);
}

/* x rounded half away from zero, as roundf (|x| < 2^31), without libm. */
static inline int32_t trit_round_half_away(float x) {
  int32_t i = (int32_t)x;    /* toward zero */
  float frac = x - (float)i; /* exact */
  if (frac >= 0.5f)
    ++i;
  else if (frac <= -0.5f)
    --i;
  return i;
}

#endif /* TRIT_KERNELS_SRC_GEMV_H */
