/*===- kernels.h - Trit's ternary microkernels ---------------------*- C -*-===
 *
 * The C ABI of the microkernels the compiler links into generated code as
 * LLVM bitcode and the unit tests call natively. One implementation file per
 * weight format and instruction set (kernels/src/<arch>/<isa>/<format>.c,
 * the reference in kernels/src/generic/); every variant computes
 * bit-identical results. No globals, no libc, no allocation: kernels work
 * on the buffers they are given.
 *
 * Weights use the I2_S layout (bitnet.cpp): per row, blocks of 128 weights in
 * 32 bytes; byte j of a block holds the codes (t + 1, in 0..2) of elements
 * j, j+32, j+64, j+96 in bits 7:6, 5:4, 3:2, 1:0. Rows are `cols / 4` bytes
 * apart; `cols` is a multiple of 128.
 *
 * Activations are one int8 row per token, quantized as bitnet.cpp does
 * (trit_quantize_row), with its f32 scale and the int32 sum of its codes.
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_KERNELS_H
#define TRIT_KERNELS_H

#include "trit/families.h"
#include "trit/layouts.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Quantizes `cols` floats to int8 like bitnet.cpp's quantize_row_i8_s:
 * max = max(1e-5, max |x|) in double, scale = (float)(127 / max),
 * q = clamp(round_half_even(x * scale), -128, 127). Writes the codes to `q`
 * and returns the scale; `*sum` receives the sum of the codes. */
float trit_quantize_row_generic(const float *x, int8_t *q, int64_t cols,
                                int32_t *sum);

/* The I2_S kernels of each family:
 * - i2s_dot_rows: integer dot products of rows [row_begin, row_end) with
 *   one activation row, dots[r - row_begin] = sum_k code[r][k] * q[k]
 *   (codes 0..2; subtract the activation sum to get sum_k t[r][k] * q[k]);
 * - i2s_dot_tile: the same for `tokens` activation rows (q is
 *   [tokens][cols]), dots[t * (row_end - row_begin) + r - row_begin].
 *   Prompt processing calls it with a few tokens at a time, so that each
 *   unpacked weight serves all of them;
 * - bitlinear_gemv: the BitLinear of one token over the rows,
 *   out[r] = ((float)(dot_r - q_sum)) / q_scale * w_scale, in f32, left to
 *   right, as bitnet.cpp's I2_S path computes it. */
#define TRIT_DECLARE_I2S_KERNELS(isa, ...)                                     \
  void trit_i2s_dot_rows_##isa(const uint8_t *weights, const int8_t *q,        \
                               int64_t cols, int64_t row_begin,                \
                               int64_t row_end, int32_t *dots);                \
  void trit_i2s_dot_tile_##isa(const uint8_t *weights, const int8_t *q,        \
                               int64_t cols, int64_t row_begin,                \
                               int64_t row_end, int64_t tokens, int32_t *dots); \
  void trit_bitlinear_gemv_##isa(const uint8_t *weights, const int8_t *q,      \
                                 int32_t q_sum, float q_scale, float w_scale,  \
                                 int64_t cols, int64_t row_begin,              \
                                 int64_t row_end, float *out);
TRIT_KERNEL_FAMILIES(TRIT_DECLARE_I2S_KERNELS, )

/*===--- the T3X5 layout: three weights in a 5-bit code -------------------===*
 *
 * 1.67 bits per weight. A row is cut into groups of 192 weights; code j
 * (0..63) of a group holds its elements j, j + 64 and j + 128, the triple
 * (a, b, c). With v = 9(a + 1) + 3(b + 1) + (c + 1) (0..26; 13 is all
 * zero), the code is v - 13 when v >= 13 and 16 | (13 - v) otherwise: a
 * 4-bit index of one of 14 triples and a sign bit that negates it, as in
 * bitnet.cpp's TL2.
 *
 * Per row, in order:
 * - the groups in pairs, 80 bytes each: byte j (0..63) holds code j of the
 *   first group in its low nibble and code j of the second in its high
 *   nibble (one 64-byte load, a mask and a shift give both groups' 64
 *   indices); bytes 64..71 the first group's signs, 72..79 the second's
 *   (bit j of a little-endian 64-bit word is code j's);
 * - a last unpaired group, when there is one, in 40 bytes: code j's index in
 *   the low nibble of byte j for j < 32 and in the high nibble of byte
 *   j - 32, then the 8 bytes of signs;
 * - the last cols % 192 weights (0, 64 or 128) as one I2_S-style block of
 *   that size n (byte j holds elements j, j + n/4, j + n/2, j + 3n/4 as
 *   codes t + 1 in bits 7:6, 5:4, 3:2, 1:0).
 * Rows are trit_t3x5_row_bytes(cols) apart (layouts.h); `cols` is a
 * multiple of 64.
 *===----------------------------------------------------------------------===*/

/* Dot products of rows [row_begin, row_end) of a T3X5 matrix with one
 * activation row, as trit_i2s_dot_rows (codes t + 1 times activations). */
#define TRIT_DECLARE_T3X5_KERNELS(isa, ...)                                    \
  void trit_t3x5_dot_rows_##isa(const uint8_t *weights, const int8_t *q,       \
                                int64_t cols, int64_t row_begin,               \
                                int64_t row_end, int32_t *dots);               \
  void trit_t3x5_dot_tile_##isa(const uint8_t *weights, const int8_t *q,       \
                                int64_t cols, int64_t row_begin,               \
                                int64_t row_end, int64_t tokens,               \
                                int32_t *dots);
TRIT_KERNEL_FAMILIES(TRIT_DECLARE_T3X5_KERNELS, )
/* The AVX-512 VNNI family's row dots with AVX-512 VBMI: the 5-bit codes
 * index the triples' digits with vpermb (same results); its tile takes them
 * for one token and the avx512vnni tile for more. */
TRIT_DECLARE_T3X5_KERNELS(avx512vbmi, )

/*===--- T3X5 with rows in lanes: #trit.packing<t3x5, interleave = 64> ---===*
 *
 * The same 5-bit codes (a 4-bit index of one of 14 triples and a sign bit),
 * arranged for kernels that keep one row per 32-bit lane:
 * - columns in quads of 12: triple t (0..3) of quad Q is (a, b, c) = the
 *   weights at columns 12Q + t, 12Q + 4 + t and 12Q + 8 + t, so digit d of
 *   the four triples covers the four consecutive columns 12Q + 4d .. + 3;
 *   rows are padded with zero weights to whole pairs of quads (24 columns);
 * - rows in superblocks of 64 (the matrix has a multiple of 64 rows), each
 *   trit_t3x5x64_superblock_bytes(cols) long (layouts.h): first the 64
 *   rows' sign sums (int32: codes with a clear sign bit minus codes with it
 *   set, padding included), then per pair p of quads and per block k of 16 rows (rows
 *   16k .. 16k + 15 of the superblock) 80 bytes: byte 4r + t holds the
 *   index of triple t of quad 2p of row 16k + r in its low nibble and that
 *   of quad 2p + 1 in its high nibble; bytes 64..71 hold the sign bits of
 *   quad 2p (bit 4r + t of a little-endian 64-bit word), 72..79 those of
 *   quad 2p + 1.
 * 1.67 bits per weight, as T3X5. A lookup in a table of 64 bytes (16 per
 * triple position t) then reads one quad of 16 rows, which is what
 * generation needs: its AVX-512 VBMI row dots look up exact triple sums of
 * the token's activations (int16, in two byte tables) rather than the
 * weights, two lookups and two vpdpbusd per 192 weights instead of three
 * of each. Several tokens decode the weights once (three lookups per quad)
 * for all of them.
 *===----------------------------------------------------------------------===*/

/* Row dots (codes t + 1 times activations, as trit_i2s_dot_rows) of rows
 * [row_begin, row_end), any rows of the matrix, for one token or a tile of
 * `tokens` (dots[t * (row_end - row_begin) + r - row_begin]). The AVX-512
 * VBMI row dots keep their tables on the stack: about 11 bytes per column
 * (74 KB for 6912 columns). */
#define TRIT_DECLARE_T3X5X64_KERNELS(isa)                                      \
  void trit_t3x5x64_dot_rows_##isa(const uint8_t *weights, const int8_t *q,    \
                                   int64_t cols, int64_t row_begin,            \
                                   int64_t row_end, int32_t *dots);            \
  void trit_t3x5x64_dot_tile_##isa(const uint8_t *weights, const int8_t *q,    \
                                   int64_t cols, int64_t row_begin,            \
                                   int64_t row_end, int64_t tokens,            \
                                   int32_t *dots);
TRIT_DECLARE_T3X5X64_KERNELS(generic)
TRIT_DECLARE_T3X5X64_KERNELS(avx512vbmi)

/* The AVX-512 VBMI row dots in two steps, so that a thread builds a token's
 * tables once per op and reads them for every chunk of rows it takes: the
 * tables take trit_t3x5x64_row_tables_bytes(cols) bytes, 64-byte aligned
 * (the triple sums' bytes, then the token's activation sum). */
static inline int64_t trit_t3x5x64_row_tables_bytes(int64_t cols) {
  return (cols + 23) / 24 * 256 + 64;
}
void trit_t3x5x64_row_tables_avx512vbmi(const int8_t *q, int64_t cols,
                                        uint8_t *tables);
void trit_t3x5x64_dot_rows_looked_up_avx512vbmi(const uint8_t *weights,
                                                const uint8_t *tables,
                                                int64_t cols,
                                                int64_t row_begin,
                                                int64_t row_end,
                                                int32_t *dots);

/*===--- T3X5 through int8 lookup tables (tritc --prompt-lut) ------------===*
 *
 * An approximate prompt path: per token, every triple of activations that a
 * T3X5 code multiplies (a, b, c) = (q[j], q[j + 64], q[j + 128] of each
 * 192-weight group) gets a table of its 13 nonzero positive triples' sums
 * E = ta*a + tb*b + tc*c, each rescaled to a byte:
 *   M = the token's largest |a| + |b| + |c| over the row's groups,
 *   m = 16384 when M <= 127 (the tables are then exact), else
 *       floor(127 * 16384 / M),
 *   e = (2E * m + 16384) >> 15 (round half up; vpmulhrsw of 2E and m).
 * A row's sum S adds e for each code, negated when its sign bit is set;
 * S * (16384.0f / m) in f32, rounded half to even, approximates the exact
 * groups' sum of t * q. The row's I2_S tail (cols % 192 weights) stays
 * exact. dots[t * stride + r - row_begin] = that approximation + the
 * groups' activation sum + the tail's code dot, so like the exact tiles it
 * approximates sum_k code[r][k] * q[k] and the usual BitLinear output
 * formula applies. Up to TRIT_LUT_MAX_TOKENS tokens per call; the range
 * kernel uses the tables for calls of TRIT_LUT_MIN_TOKENS or more.
 *
 * The reference is generic; the AVX-512 kernel (needs AVX-512 VBMI) looks
 * up 64 entries per vpermb and accumulates them with vpdpbusd: three
 * weights per byte where the exact tiles multiply one.
 *===----------------------------------------------------------------------===*/

#define TRIT_LUT_MAX_TOKENS 128
/* Calls with fewer tokens take the exact tiles: below about seven tokens
 * the tables and the weights' decoding, paid per call, cost more than the
 * lookups save (one thread's share of a 2560 x 2560 BitLinear: 118 against
 * 142 GMAC/s at 4 tokens, 167 against 126 at 8). */
#define TRIT_LUT_MIN_TOKENS 8

void trit_t3x5_lut_dot_tile_generic(const uint8_t *weights, const int8_t *q,
                                    int64_t cols, int64_t row_begin,
                                    int64_t row_end, int64_t tokens,
                                    int32_t *dots, int64_t stride);
void trit_t3x5_lut_dot_tile_avx512vbmi(const uint8_t *weights,
                                       const int8_t *q, int64_t cols,
                                       int64_t row_begin, int64_t row_end,
                                       int64_t tokens, int32_t *dots,
                                       int64_t stride);

/* The same over T3X5 with rows in lanes: the triples are that layout's
 * (columns 12Q + t, 12Q + 4 + t, 12Q + 8 + t, zero activations past the
 * row), M is taken over all of them, and there is no exact tail: every
 * weight goes through the tables. */
void trit_t3x5x64_lut_dot_tile_generic(const uint8_t *weights,
                                       const int8_t *q, int64_t cols,
                                       int64_t row_begin, int64_t row_end,
                                       int64_t tokens, int32_t *dots,
                                       int64_t stride);
void trit_t3x5x64_lut_dot_tile_avx512vbmi(const uint8_t *weights,
                                          const int8_t *q, int64_t cols,
                                          int64_t row_begin, int64_t row_end,
                                          int64_t tokens, int32_t *dots,
                                          int64_t stride);

/*===--- T2G: group-scaled ternary with 16 rows in lanes (Ternary Bonsai) -===*
 *
 * Qwen3-architecture ternary models (PrismML's Ternary Bonsai: Q2_0, PQ2_0,
 * PTQ1_0, Q1_0) scale each group of 64 or 128 weights of a row by its own
 * f16 d, and llama.cpp multiplies them with activations in Q8_0 blocks of
 * 32. The layout keeps 2-bit codes (value + 1; 3, which Q2_0 allows, is
 * +2) with 16 rows in lanes, so one vpdpbusd adds four columns of 16 rows:
 * per superblock of 16 rows (trit_t2g_superblock_bytes, layouts.h; the
 * last one padded with zero rows)
 * - the scales: per group g, the 16 rows' f16 d (32 bytes), the whole
 *   padded to 64 bytes;
 * - the codes: per chunk c of 16 columns 64 bytes, whose byte 4r + j holds
 *   in bits 2s + 1:2s the code of row r at column 16c + 4s + j.
 *
 * Activations in Q8_0 (trit_q8_0_quantize_row): int8 codes [tokens][cols],
 * and per block of 32 the f16 d widened to f32 and the int32 sum of the
 * codes, [tokens][cols / 32]. The output follows ggml's generic
 * ggml_vec_dot_q2_0_q8_0, in f32 with every product and sum rounded:
 *   out = sum over groups g, in order, of d_w[g] * sumi_g,
 *   sumi_g = sum over g's blocks k, in order, of d_a[k] * (float)isum_k,
 *   isum_k = sum of (code - 1) * q over block k (exact).
 *===----------------------------------------------------------------------===*/

/* Quantizes `cols` floats (a multiple of 32) to Q8_0 blocks like ggml's
 * quantize_row_q8_0_ref: d = max|x| / 127, q = round half away from zero
 * of x * (1 / d) (0 when d is 0); `d` receives the f16-rounded d as f32,
 * `sums` each block's sum of codes. */
void trit_q8_0_quantize_row_generic(const float *x, int64_t cols, int8_t *q,
                                    float *d, int32_t *sums);
void trit_q8_0_quantize_row_avx512vnni(const float *x, int64_t cols,
                                       int8_t *q, float *d, int32_t *sums);

/* Rows [row_begin, row_end) (row_begin a multiple of 16) of a T2G matrix
 * with `group`-weight scale groups (64 or 128) times `tokens` Q8_0 rows:
 * out[t * stride + r]. Every instruction set computes the same bits. */
#define TRIT_DECLARE_T2G_KERNELS(isa, ...)                                     \
  void trit_t2g_gemm_##isa(const uint8_t *weights, const int8_t *q,            \
                           const float *q_d, const int32_t *q_sums,            \
                           int64_t cols, int64_t group, int64_t row_begin,     \
                           int64_t row_end, int64_t tokens, float *out,        \
                           int64_t stride);
TRIT_KERNEL_FAMILIES(TRIT_DECLARE_T2G_KERNELS, )

/* Row `row` of a T2G matrix dequantized: (code - 1) * d in f32 (exact). */
void trit_t2g_row_generic(const uint8_t *weights, int64_t cols, int64_t group,
                          int64_t row, float *out);

#ifdef __cplusplus
}
#endif

#endif /* TRIT_KERNELS_H */
