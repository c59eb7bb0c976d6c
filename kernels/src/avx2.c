/*===- avx2.c - AVX2 microkernels -----------------------------------------===*
 *
 * maddubs multiplies the unsigned codes (0..2) by the signed activations and
 * adds pairs into int16; codes <= 2 keep every pair sum within +-510, and the
 * four such sums of a block within +-2040, so nothing saturates before the
 * widening to int32 once per 128-weight block.
 *===----------------------------------------------------------------------===*/

#include "gemv.h"
#include "x86_ymm.h"

#include <immintrin.h>

/* A block's codes times its 128 activations, in sixteen int16 sums of
 * eight products each (at most 8 * 2 * 128 = 2048 in magnitude). */
static inline __attribute__((always_inline)) __m256i
block_pair_sums(const __m256i c[4], const int8_t *x) {
  __m256i p = _mm256_maddubs_epi16(c[0], _mm256_loadu_si256((const __m256i *)x));
  for (int i = 1; i < 4; ++i)
    p = _mm256_add_epi16(
        p, _mm256_maddubs_epi16(
               c[i], _mm256_loadu_si256((const __m256i *)(x + 32 * i))));
  return p;
}

void trit_i2s_dot_rows_avx2(const uint8_t *weights, const int8_t *q,
                            int64_t cols, int64_t row_begin, int64_t row_end,
                            int32_t *dots) {
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * (cols / 4);
    __m256i acc = _mm256_setzero_si256();
    for (int64_t b = 0; b < cols / 128; ++b) {
      TRIT_MCA_BEGIN("i2s_dot_rows/128");
      __m256i c[4];
      unpack_block(w + b * 32, c);
      acc = _mm256_add_epi32(
          acc, _mm256_madd_epi16(block_pair_sums(c, q + b * 128), ones));
      TRIT_MCA_END("i2s_dot_rows/128", acc);
    }
    dots[r - row_begin] = hsum_epi32(acc);
  }
}

/* One row against T tokens: each 128-weight block is unpacked once into
 * four code registers and multiplied with every token's activations, so a
 * prompt pays the unpacking once per four tokens (sixteen ymm registers:
 * four codes, four accumulators, the activations, the constants). */
static inline __attribute__((always_inline)) void
dot_row_tokens(const uint8_t *w, const int8_t *q, int64_t cols, int T,
               int32_t *dots, int64_t stride) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[4];
  for (int t = 0; t < T; ++t)
    acc[t] = _mm256_setzero_si256();
  for (int64_t b = 0; b < cols / 128; ++b) {
    __m256i c[4];
    unpack_block(w + b * 32, c);
    for (int t = 0; t < T; ++t)
      acc[t] = _mm256_add_epi32(
          acc[t], _mm256_madd_epi16(
                      block_pair_sums(c, q + t * cols + b * 128), ones));
  }
  for (int t = 0; t < T; ++t)
    dots[t * stride] = hsum_epi32(acc[t]);
}

TRIT_DEFINE_BITLINEAR_GEMV(avx2)
TRIT_DEFINE_DOT_TILE_BY_ROW_TOKENS(avx2)

/*===--- T3X5 -------------------------------------------------------------===*
 *
 * A group is two halves of 32 codes (32 bytes of index nibbles each). Each weight is a vpshufb of the positive and of the negated
 * triples' 16-byte table, blended by the sign bits spread to bytes. Three
 * maddubs per half, and the two halves, add at most 6 * 2 * 2 * 128 = 3072
 * per int16 lane.
 *===----------------------------------------------------------------------===*/

static inline __attribute__((always_inline)) void
t3x5_tables(__m256i tables[6]) {
  for (int d = 0; d < 3; ++d) {
    uint8_t pos[16], neg[16];
    for (unsigned i = 0; i < 16; ++i) {
      pos[i] = (uint8_t)trit_t3x5_digit(i, d);
      neg[i] = (uint8_t)trit_t3x5_digit(16 | i, d);
    }
    tables[d] =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)pos));
    tables[3 + d] =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)neg));
  }
}

/* 0xff in byte j where bit j of `bits` is set. */
static inline __attribute__((always_inline)) __m256i
spread_bits(uint32_t bits) {
  const __m256i select = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
  __m256i v = _mm256_shuffle_epi8(
      _mm256_set1_epi32((int)bits),
      _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2,
                       2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
  return _mm256_cmpeq_epi8(_mm256_and_si256(v, select), select);
}

/* The weights + 1 of 32 codes: their indices in the low nibbles of 32
 * bytes (the high nibbles when `high`), their signs in 32 bits. */
static inline __attribute__((always_inline)) void
lookup_half(const uint8_t *nibbles, int high, const uint8_t *signs,
            const __m256i tables[6], __m256i u[3]) {
  __m256i bytes = _mm256_loadu_si256((const __m256i *)nibbles);
  __m256i index = _mm256_and_si256(
      high ? _mm256_srli_epi16(bytes, 4) : bytes, _mm256_set1_epi8(15));
  uint32_t bits;
  __builtin_memcpy(&bits, signs, 4);
  __m256i negative = spread_bits(bits);
  for (int d = 0; d < 3; ++d)
    u[d] = _mm256_blendv_epi8(_mm256_shuffle_epi8(tables[d], index),
                              _mm256_shuffle_epi8(tables[3 + d], index),
                              negative);
}

/* The weights + 1 of codes 32h .. 32h+31 of group g of a row with `groups`
 * whole groups (paired, or the unpaired last one): u[d] holds elements
 * 64d + 32h .. 64d + 32h + 31 of the group. */
static inline __attribute__((always_inline)) void
unpack_half(const uint8_t *row, int64_t groups, int64_t g, int h,
            const __m256i tables[6], __m256i u[3]) {
  const uint8_t *base = row + g / 2 * 80;
  if (g < groups / 2 * 2)
    lookup_half(base + 32 * h, (int)(g & 1), base + 64 + 8 * (g & 1) + 4 * h,
                tables, u);
  else
    lookup_half(base, h, base + 32 + 4 * h, tables, u);
}

/* A half group's weights against its activations (x is the first of
 * digit 0's), in sixteen int16 sums of pairs of products. */
static inline __attribute__((always_inline)) __m256i
half_sums(const __m256i u[3], const int8_t *x) {
  __m256i p =
      _mm256_maddubs_epi16(u[0], _mm256_loadu_si256((const __m256i *)x));
  for (int d = 1; d < 3; ++d)
    p = _mm256_add_epi16(
        p, _mm256_maddubs_epi16(
               u[d], _mm256_loadu_si256((const __m256i *)(x + 64 * d))));
  return p;
}

/* A row's I2_S-style tail of n (0, 64 or 128) weights times x, in int32
 * lanes. */
static inline __attribute__((always_inline)) __m256i
tail_sums(const uint8_t *w, const int8_t *x, int64_t n) {
  if (n == 128) {
    __m256i c[4];
    unpack_block(w, c);
    return _mm256_madd_epi16(block_pair_sums(c, x), _mm256_set1_epi16(1));
  }
  if (n == 64) {
    const __m128i mask = _mm_set1_epi8(3);
    __m128i packed = _mm_loadu_si128((const __m128i *)w);
    __m128i p = _mm_setzero_si128();
    for (int i = 0; i < 4; ++i)
      p = _mm_add_epi16(
          p, _mm_maddubs_epi16(
                 _mm_and_si128(_mm_srli_epi16(packed, 6 - 2 * i), mask),
                 _mm_loadu_si128((const __m128i *)(x + 16 * i))));
    return _mm256_zextsi128_si256(_mm_madd_epi16(p, _mm_set1_epi16(1)));
  }
  return _mm256_setzero_si256();
}

void trit_t3x5_dot_rows_avx2(const uint8_t *weights, const int8_t *q,
                             int64_t cols, int64_t row_begin, int64_t row_end,
                             int32_t *dots) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i tables[6];
  t3x5_tables(tables);
  int64_t stride = trit_t3x5_row_bytes(cols), groups = cols / 192;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t *w = weights + r * stride;
    __m256i acc = tail_sums(w + groups * 40, q + groups * 192, cols % 192);
    for (int64_t g = 0; g < groups; ++g) {
      __m256i lo[3], hi[3];
      unpack_half(w, groups, g, 0, tables, lo);
      unpack_half(w, groups, g, 1, tables, hi);
      __m256i p = _mm256_add_epi16(half_sums(lo, q + g * 192),
                                   half_sums(hi, q + g * 192 + 32));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
    }
    dots[r - row_begin] = hsum_epi32(acc);
  }
}

/* One row against T tokens, each half group's weights decoded once. */
static inline __attribute__((always_inline)) void
t3x5_dot_row_tokens(const uint8_t *w, const int8_t *q, int64_t cols, int T,
                    int32_t *dots, int64_t stride) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i tables[6];
  t3x5_tables(tables);
  int64_t groups = cols / 192;
  __m256i acc[4];
  for (int t = 0; t < T; ++t)
    acc[t] = tail_sums(w + groups * 40, q + t * cols + groups * 192,
                       cols % 192);
  for (int64_t g = 0; g < groups; ++g)
    for (int h = 0; h < 2; ++h) {
      __m256i u[3];
      unpack_half(w, groups, g, h, tables, u);
      for (int t = 0; t < T; ++t)
        acc[t] = _mm256_add_epi32(
            acc[t], _mm256_madd_epi16(
                        half_sums(u, q + t * cols + g * 192 + 32 * h), ones));
    }
  for (int t = 0; t < T; ++t)
    dots[t * stride] = hsum_epi32(acc[t]);
}

TRIT_DEFINE_T3X5_DOT_TILE_BY_ROW_TOKENS(avx2)

/*===--- T2G: group-scaled ternary (kernels.h) ----------------------------===*/

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
        /* Far into L2, near into L1 (avx512vnni.c). */
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

#define TRIT_ISA avx2
#include "ops.h"
