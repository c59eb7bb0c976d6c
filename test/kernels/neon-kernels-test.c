/*===- neon-kernels-test.c - NEON kernels against the generic ones --------===*
 *
 * Cross-compiled for aarch64 and run under qemu-aarch64 by
 * test/kernels/neon.test (GoogleTest is not available for the target). The
 * same cases as test/unit/KernelsTest.cpp: random data, odd shapes, a
 * sub-range of rows, and edge values; results must match bit for bit.
 *===----------------------------------------------------------------------===*/

#include "trit/kernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng_state = 12345;
static uint32_t next(void) {
  rng_state = rng_state * 1664525u + 1013904223u;
  return rng_state >> 8;
}

static void pack_i2s(const int8_t *t, int64_t rows, int64_t cols,
                     uint8_t *out) {
  memset(out, 0, (size_t)(rows * cols / 4));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) {
      int64_t within = k % 128;
      int64_t byte = r * cols / 4 + (k / 128) * 32 + within % 32;
      out[byte] |= (uint8_t)((t[r * cols + k] + 1) << (6 - 2 * (within / 32)));
    }
}

/* Returns the number of mismatches. */
static int check(const char *name, int64_t rows, int64_t cols, int weight,
                 int x_fixed) {
  int8_t *t = malloc((size_t)(rows * cols));
  int8_t *q = malloc((size_t)cols);
  uint8_t *w = malloc((size_t)(rows * cols / 4));
  int32_t *want = malloc(sizeof(int32_t) * (size_t)rows);
  int32_t *have = malloc(sizeof(int32_t) * (size_t)rows);
  float *fwant = malloc(sizeof(float) * (size_t)rows);
  float *fhave = malloc(sizeof(float) * (size_t)rows);
  for (int64_t i = 0; i < rows * cols; ++i)
    t[i] = (int8_t)(weight == 2 ? (int)(next() % 3) - 1 : weight);
  for (int64_t k = 0; k < cols; ++k)
    q[k] = (int8_t)(x_fixed == 1000 ? (int)(next() % 256) - 128 : x_fixed);
  pack_i2s(t, rows, cols, w);

  int errors = 0;
  trit_i2s_dot_rows_generic(w, q, cols, 0, rows, want);
  trit_i2s_dot_rows_neon_dotprod(w, q, cols, 0, rows, have);
  if (memcmp(want, have, sizeof(int32_t) * (size_t)rows) != 0)
    ++errors;
  if (rows > 2) {
    trit_i2s_dot_rows_neon_dotprod(w, q, cols, 1, rows - 1, have);
    if (memcmp(want + 1, have, sizeof(int32_t) * (size_t)(rows - 2)) != 0)
      ++errors;
  }
  int32_t sum = 0;
  for (int64_t k = 0; k < cols; ++k)
    sum += q[k];
  trit_bitlinear_gemv_generic(w, q, sum, 41.5f, 0.75f, cols, 0, rows, fwant);
  trit_bitlinear_gemv_neon_dotprod(w, q, sum, 41.5f, 0.75f, cols, 0, rows,
                                   fhave);
  if (memcmp(fwant, fhave, sizeof(float) * (size_t)rows) != 0)
    ++errors;
  /* The prompt's tile: 1 to 7 tokens (groups of 4, 3, 2 and single ones)
   * against the generic tile. */
  for (int64_t tokens = 1; tokens <= 7; ++tokens) {
    int8_t *qs = malloc((size_t)(tokens * cols));
    int32_t *twant = malloc(sizeof(int32_t) * (size_t)(tokens * rows));
    int32_t *thave = malloc(sizeof(int32_t) * (size_t)(tokens * rows));
    for (int64_t k = 0; k < tokens * cols; ++k)
      qs[k] = (int8_t)((int)(next() % 256) - 128);
    trit_i2s_dot_tile_generic(w, qs, cols, 0, rows, tokens, twant);
    trit_i2s_dot_tile_neon_dotprod(w, qs, cols, 0, rows, tokens, thave);
    if (memcmp(twant, thave, sizeof(int32_t) * (size_t)(tokens * rows)) != 0)
      ++errors;
    free(qs), free(twant), free(thave);
  }
  if (errors)
    printf("MISMATCH %s\n", name);
  free(t), free(q), free(w), free(want), free(have), free(fwant), free(fhave);
  return errors;
}

/* The T3X5 layout (kernels.h), packed from its description. */
static void pack_t3x5(const int8_t *t, int64_t rows, int64_t cols,
                      uint8_t *out) {
  int64_t stride = trit_t3x5_row_bytes(cols), groups = cols / 192,
          tail = cols % 192;
  memset(out, 0, (size_t)(rows * stride));
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t *row = t + r * cols;
    uint8_t *w = out + r * stride;
    for (int64_t g = 0; g < groups; ++g)
      for (int j = 0; j < 64; ++j) {
        const int8_t *e = row + g * 192 + j;
        int v = 9 * (e[0] + 1) + 3 * (e[64] + 1) + (e[128] + 1);
        int code = v >= 13 ? v - 13 : 16 | (13 - v);
        uint8_t *base = w + g / 2 * 80;
        if (g < groups / 2 * 2) { /* paired */
          base[j] |= (uint8_t)((code & 15) << (g % 2 ? 4 : 0));
          base[64 + 8 * (g % 2) + j / 8] |= (uint8_t)((code >> 4) << (j % 8));
        } else {
          base[j % 32] |= (uint8_t)((code & 15) << (j < 32 ? 0 : 4));
          base[32 + j / 8] |= (uint8_t)((code >> 4) << (j % 8));
        }
      }
    for (int64_t k = 0; k < tail; ++k)
      w[groups * 40 + k % (tail / 4)] |= (uint8_t)(
          (row[groups * 192 + k] + 1) << (6 - 2 * (k / (tail / 4))));
  }
}

/* The T3X5 row dots and tile (1 to 7 tokens) against the generic ones. */
static int check_t3x5(int64_t rows, int64_t cols) {
  int64_t stride = trit_t3x5_row_bytes(cols);
  int8_t *t = malloc((size_t)(rows * cols));
  int8_t *q = malloc((size_t)(7 * cols));
  uint8_t *w = malloc((size_t)(rows * stride));
  int32_t *want = malloc(sizeof(int32_t) * (size_t)(7 * rows));
  int32_t *have = malloc(sizeof(int32_t) * (size_t)(7 * rows));
  for (int64_t i = 0; i < rows * cols; ++i)
    t[i] = (int8_t)((int)(next() % 3) - 1);
  for (int64_t k = 0; k < 7 * cols; ++k)
    q[k] = (int8_t)((int)(next() % 256) - 128);
  pack_t3x5(t, rows, cols, w);
  int errors = 0;
  trit_t3x5_dot_rows_generic(w, q, cols, 0, rows, want);
  trit_t3x5_dot_rows_neon_dotprod(w, q, cols, 0, rows, have);
  errors += memcmp(want, have, sizeof(int32_t) * (size_t)rows) != 0;
  for (int64_t tokens = 1; tokens <= 7; ++tokens) {
    trit_t3x5_dot_tile_generic(w, q, cols, 0, rows, tokens, want);
    trit_t3x5_dot_tile_neon_dotprod(w, q, cols, 0, rows, tokens, have);
    errors += memcmp(want, have, sizeof(int32_t) * (size_t)(tokens * rows)) != 0;
  }
  if (errors)
    printf("MISMATCH t3x5 %lldx%lld\n", (long long)rows, (long long)cols);
  free(t), free(q), free(w), free(want), free(have);
  return errors;
}

/* T2G (group-scaled ternary, kernels.h): packs values -1..2 and f16 scale
 * bits, then compares the NEON kernel with the generic one for 1 to 5
 * tokens and for the rows of a second thread's chunk. */
static int check_t2g(int64_t rows, int64_t cols, int64_t group) {
  int64_t groups = cols / group, sb = trit_t2g_superblock_bytes(cols, group);
  int64_t scale_bytes = sb - cols * 4, tokens = 5;
  uint8_t *w = calloc((size_t)((rows + 15) / 16 * sb), 1);
  for (int64_t r = 0; r < rows; ++r) {
    uint8_t *s = w + r / 16 * sb;
    for (int64_t g = 0; g < groups; ++g) {
      /* small normal f16 scales: exponent 5..12, random mantissa */
      uint16_t h = (uint16_t)((5 + next() % 8) << 10 | (next() & 0x3ff));
      s[g * 32 + r % 16 * 2] = (uint8_t)h;
      s[g * 32 + r % 16 * 2 + 1] = (uint8_t)(h >> 8);
    }
    for (int64_t c = 0; c < cols; ++c) {
      int code = next() % 100 == 0 ? 3 : (int)(next() % 3);
      s[scale_bytes + c / 16 * 64 + 4 * (r % 16) + c % 4] |=
          (uint8_t)(code << (2 * (c % 16 / 4)));
    }
  }
  int8_t *q = malloc((size_t)(tokens * cols));
  float *d = malloc(sizeof(float) * (size_t)(tokens * cols / 32));
  int32_t *sums = malloc(sizeof(int32_t) * (size_t)(tokens * cols / 32));
  float *x = malloc(sizeof(float) * (size_t)cols);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t c = 0; c < cols; ++c)
      x[c] = (float)((int)(next() % 2001) - 1000) / 137.0f;
    trit_q8_0_quantize_row_generic(x, cols, q + t * cols, d + t * cols / 32,
                                   sums + t * cols / 32);
  }
  float *want = malloc(sizeof(float) * (size_t)(tokens * rows));
  float *have = malloc(sizeof(float) * (size_t)(tokens * rows));
  int errors = 0;
  for (int64_t n = 1; n <= tokens; ++n) {
    int64_t begin = n == tokens && rows > 16 ? 16 : 0;
    memset(want, 0, sizeof(float) * (size_t)(tokens * rows));
    memset(have, 0, sizeof(float) * (size_t)(tokens * rows));
    trit_t2g_gemm_generic(w, q, d, sums, cols, group, begin, rows, n, want,
                          rows);
    trit_t2g_gemm_neon_dotprod(w, q, d, sums, cols, group, begin, rows, n,
                               have, rows);
    errors += memcmp(want, have, sizeof(float) * (size_t)(n * rows)) != 0;
  }
  if (errors)
    printf("MISMATCH t2g %lldx%lld group %lld\n", (long long)rows,
           (long long)cols, (long long)group);
  free(w), free(q), free(d), free(sums), free(x), free(want), free(have);
  return errors;
}

int main(void) {
  static const int64_t shapes[][2] = {{1, 128},   {3, 256},  {7, 384},
                                      {33, 2560}, {130, 640}, {5, 6912}};
  int errors = 0, cases = 0;
  for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); ++i, ++cases)
    errors += check("random", shapes[i][0], shapes[i][1], 2, 1000);
  for (int weight = -1; weight <= 1; ++weight)
    for (int x = 0; x < 2; ++x, ++cases)
      errors += check("edge", 9, 384, weight, x ? 127 : -128);
  /* T3X5 rows without groups, without a tail, with 64- and 128-weight
   * tails. */
  static const int64_t t3x5_shapes[][2] = {{3, 64},  {2, 192},  {5, 384},
                                           {16, 320}, {17, 2560}, {3, 6912}};
  for (size_t i = 0; i < sizeof(t3x5_shapes) / sizeof(t3x5_shapes[0]);
       ++i, ++cases)
    errors += check_t3x5(t3x5_shapes[i][0], t3x5_shapes[i][1]);
  /* T2G: rows that are not a multiple of 16, both group sizes. */
  static const int64_t t2g_shapes[][3] = {
      {1, 64, 64}, {15, 128, 128}, {17, 192, 64}, {40, 1024, 128}, {33, 4096, 64}};
  for (size_t i = 0; i < sizeof(t2g_shapes) / sizeof(t2g_shapes[0]);
       ++i, ++cases)
    errors += check_t2g(t2g_shapes[i][0], t2g_shapes[i][1], t2g_shapes[i][2]);
  printf("neon_dotprod: %d cases, %d mismatches\n", cases, errors);
  return errors != 0;
}
