/*===- ops_template.h - the model operations, once per kernel family ------===*
 *
 * Included once by each kernel family's ops.c (generic/, x86/avx2/,
 * x86/avx512vnni/, arm/neon_dotprod/), after `#define TRIT_ISA <isa>` and
 * the family's optional hooks, which this file tests with #ifdef and
 * explains there (TRIT_Q4_ROW_KERNEL, TRIT_ATTENTION_DOT16,
 * TRIT_T3X5_VBMI_TILE, ...). Each family thus compiles the operations with
 * its own instructions. Every function is named trit_op_<name>_<isa> and
 * matches its prototype in trit/ops.h, whose list is trit/ops.def. The
 * lowering (compiler/lib/Conversion/LowerToLLVM/) turns each trit op into a
 * call of one of these with constant shapes; the bitcode is linked into
 * the generated module and inlined, so the shapes become constants. The
 * weight formats' kernels they call (trit/kernels.h) are in the family's
 * other files.
 *
 * Rules: no globals, no libc, no allocation. Buffers come from the memory
 * plan (the arena), weights and the KV cache from the execution context.
 *
 * The numerics follow bitnet.cpp / ggml (docs/design/lowering.md): RMSNorm
 * sums squares in double; softmax sums in double; queries, probabilities and
 * the LM-head activation are rounded to f16 because ggml multiplies them with
 * f16 tensors in f16; everything else is f32.
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_ISA
#error "define TRIT_ISA before including ops_template.h"
#endif

#include "gemv.h"
#include "trit/abi.h"
#include "trit/kernels.h"
#include "trit/ops.h" /* the prototypes these definitions must match */

#define TRIT_CAT2(a, b) a##b
#define TRIT_CAT(a, b) TRIT_CAT2(a, b)
#define TRIT_OP(name) TRIT_CAT(trit_op_##name##_, TRIT_ISA)
#define TRIT_KERNEL(name) TRIT_CAT(trit_##name##_, TRIT_ISA)

/*===--- f16 conversions --------------------------------------------------===*/

#if defined(__F16C__) || defined(__aarch64__)
static inline float TRIT_CAT(h2f_, TRIT_ISA)(uint16_t h) {
  union {
    uint16_t u;
    _Float16 f;
  } v = {h};
  return (float)v.f;
}
static inline uint16_t TRIT_CAT(f2h_, TRIT_ISA)(float f) {
  union {
    _Float16 f;
    uint16_t u;
  } v = {(_Float16)f};
  return v.u;
}
#else
/* Bit-exact IEEE conversions without the F16C instructions (gemv.h). */
static inline float TRIT_CAT(h2f_, TRIT_ISA)(uint16_t h) {
  return trit_half_to_float(h);
}
static inline uint16_t TRIT_CAT(f2h_, TRIT_ISA)(float f) {
  return trit_float_to_half(f);
}
#endif

/* Rounds through f16, as ggml does when it multiplies by an f16 tensor. */
static inline float TRIT_CAT(round_f16_, TRIT_ISA)(float x) {
  return TRIT_CAT(h2f_, TRIT_ISA)(TRIT_CAT(f2h_, TRIT_ISA)(x));
}

/* expf without libm: exp(x) = 2^k * exp(r), |r| <= ln2/2, degree-6
 * polynomial; within 2 ulp of libm over the range softmax and SiLU use. */
static inline float TRIT_CAT(expf_, TRIT_ISA)(float x) {
  if (x < -87.3f)
    return 0.0f;
  if (x > 88.7f)
    x = 88.7f;
  float t = x * 1.44269504f; /* round to nearest without floorf (libm) */
  float k = (float)(int32_t)(t + (t >= 0.0f ? 0.5f : -0.5f));
  float r = x - k * 0.693359375f;
  r = r + k * 2.12194440e-4f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union {
    uint32_t u;
    float f;
  } scale = {(uint32_t)((int32_t)k + 127) << 23};
  return p * scale.f;
}

#define trit_h2f TRIT_CAT(h2f_, TRIT_ISA)
#define trit_f2h TRIT_CAT(f2h_, TRIT_ISA)
#define trit_round_f16 TRIT_CAT(round_f16_, TRIT_ISA)
#define trit_expf TRIT_CAT(expf_, TRIT_ISA)

#ifndef TRIT_RANGE_FN_DEFINED
#define TRIT_RANGE_FN_DEFINED
/* An op's work on [begin, end), for ops that prepare nothing per thread. */
typedef void (*trit_range_fn)(void *closure, int64_t begin, int64_t end);
#endif

/* Runs an op's task on the runtime's pool, or on the caller without one. */
static inline void TRIT_CAT(run_task_, TRIT_ISA)(const trit_exec_context *ctx,
                                                 trit_task_fn fn,
                                                 void *closure) {
  if (ctx->parallel && ctx->threads > 1)
    ctx->parallel(ctx->pool, fn, closure);
  else
    fn(closure);
}

/* Chunks of `count` items for a task: multiples of `align` items, about
 * `per_thread` per thread, so that the share of a thread the OS has
 * descheduled is small enough for the others to take. One chunk without
 * a pool. */
static inline trit_chunks TRIT_CAT(chunks_, TRIT_ISA)(
    const trit_exec_context *ctx, int64_t begin, int64_t end, int64_t align,
    int64_t per_thread) {
  int64_t threads = ctx->parallel && ctx->threads > 1 ? ctx->threads : 1;
  int64_t pieces = threads > 1 ? threads * per_thread : 1;
  int64_t grain = (end - begin + pieces - 1) / pieces;
  grain = (grain + align - 1) / align * align;
  trit_chunks chunks = {begin, end, grain > 0 ? grain : align};
  return chunks;
}

/* Chunks per thread of ops that prepare nothing per thread: enough to
 * even out a late thread, few enough that taking one costs nothing. */
#define TRIT_CHUNKS_PER_THREAD 8

typedef struct TRIT_CAT(range_task_, TRIT_ISA) {
  trit_range_fn fn;
  void *closure;
  trit_chunks chunks;
} TRIT_CAT(range_task_, TRIT_ISA);

static void TRIT_CAT(run_range_task_, TRIT_ISA)(void *task) {
  TRIT_CAT(range_task_, TRIT_ISA) *t = task;
  for (int64_t b = 0, e = 0; trit_take_chunk(&t->chunks, &b, &e);)
    t->fn(t->closure, b, e);
}

/* Runs fn over [begin, end) in chunks of multiples of `align` items. */
static inline void TRIT_CAT(parallel_for_, TRIT_ISA)(
    const trit_exec_context *ctx, trit_range_fn fn, void *closure,
    int64_t begin, int64_t end, int64_t align) {
  if (end <= begin)
    return;
  TRIT_CAT(range_task_, TRIT_ISA)
  task = {fn, closure,
          TRIT_CAT(chunks_, TRIT_ISA)(ctx, begin, end, align,
                                      TRIT_CHUNKS_PER_THREAD)};
  TRIT_CAT(run_task_, TRIT_ISA)(ctx, TRIT_CAT(run_range_task_, TRIT_ISA),
                                &task);
}
#define trit_parallel_for TRIT_CAT(parallel_for_, TRIT_ISA)
#define trit_chunks_for TRIT_CAT(chunks_, TRIT_ISA)
#define trit_run_task TRIT_CAT(run_task_, TRIT_ISA)

/* Each chunk this thread takes of `chunks`, as [b, e). */
#define TRIT_FOR_EACH_CHUNK(chunks, b, e)                                      \
  for (int64_t b = 0, e = 0; trit_take_chunk(chunks, &b, &e);)

/*===--- context accessors and input checks -------------------------------===*/

const void *TRIT_OP(weight)(const trit_exec_context *ctx, int64_t index) {
  return ctx->weights[index];
}

uint8_t *TRIT_OP(arena)(const trit_exec_context *ctx) { return ctx->arena; }

int32_t TRIT_OP(check_inputs)(const trit_exec_context *ctx,
                              const int32_t *tokens, int64_t n, int64_t start,
                              int64_t logit_rows, int64_t max_tokens,
                              int64_t max_context, int64_t vocab) {
  if (ctx->abi_version != TRIT_ABI_VERSION)
    return TRIT_EXEC_ABI_MISMATCH;
  if (ctx->kv_capacity > max_context)
    return TRIT_EXEC_BAD_CAPACITY;
  if (n < 0 || n > max_tokens)
    return TRIT_EXEC_TOO_MANY_TOKENS;
  if (ctx->batch) {
    if (start != 0)
      return TRIT_EXEC_BAD_BATCH;
    for (int64_t t = 0; t < n; ++t)
      if (!ctx->batch[t].kv_cache || ctx->batch[t].position < 0 ||
          ctx->batch[t].position >= ctx->kv_capacity)
        return TRIT_EXEC_BAD_BATCH;
  } else if (start < 0 || start + n > ctx->kv_capacity) {
    return TRIT_EXEC_CONTEXT_FULL;
  }
  if (logit_rows < 0 || logit_rows > n)
    return TRIT_EXEC_BAD_LOGIT_ROWS;
  for (int64_t t = 0; t < n; ++t)
    if (tokens[t] < 0 || tokens[t] >= vocab)
      return TRIT_EXEC_BAD_TOKEN;
  return TRIT_EXEC_OK;
}

/*===--- embedding, norms, elementwise ------------------------------------===*/

void TRIT_OP(embedding_f16)(const uint16_t *table, const int32_t *tokens,
                            int64_t n, int64_t dim, float *out) {
  for (int64_t t = 0; t < n; ++t)
    for (int64_t k = 0; k < dim; ++k)
      out[t * dim + k] = trit_h2f(table[(int64_t)tokens[t] * dim + k]);
}

void TRIT_OP(embedding_f32)(const float *table, const int32_t *tokens,
                            int64_t n, int64_t dim, float *out) {
  for (int64_t t = 0; t < n; ++t)
    for (int64_t k = 0; k < dim; ++k)
      out[t * dim + k] = table[(int64_t)tokens[t] * dim + k];
}

/* ggml_compute_forward_rms_norm_f32 followed by the weight multiply. */
static inline void TRIT_CAT(rms_norm_row_, TRIT_ISA)(const float *x,
                                                     const float *w,
                                                     float eps, int64_t cols,
                                                     float *out) {
  /* ggml sums the float squares in double. Sixteen partial sums let the
   * loop vectorize; in double the order changes nothing a float sees in
   * practice, and the generated vector code sums the same way. */
  double lanes[16] = {0};
  int64_t k = 0;
  for (; k + 16 <= cols; k += 16)
    for (int l = 0; l < 16; ++l)
      lanes[l] += (double)(x[k + l] * x[k + l]);
  for (; k < cols; ++k)
    lanes[0] += (double)(x[k] * x[k]);
  double sum = 0.0;
  for (int l = 0; l < 16; ++l)
    sum += lanes[l];
  float mean = (float)(sum / (double)cols);
  float scale = 1.0f / __builtin_sqrtf(mean + eps);
  for (int64_t k = 0; k < cols; ++k)
    out[k] = (x[k] * scale) * w[k];
}

void TRIT_OP(rms_norm)(const float *x, const float *w, float eps, int64_t n,
                       int64_t cols, float *out) {
  for (int64_t t = 0; t < n; ++t)
    TRIT_CAT(rms_norm_row_, TRIT_ISA)(x + t * cols, w, eps, cols,
                                      out + t * cols);
}

void TRIT_OP(add)(const float *a, const float *b, int64_t count, float *out) {
  for (int64_t i = 0; i < count; ++i)
    out[i] = a[i] + b[i];
}

void TRIT_OP(mul)(const float *a, const float *b, int64_t count, float *out) {
  for (int64_t i = 0; i < count; ++i)
    out[i] = a[i] * b[i];
}

/* TRIT_GATE_RELU2: relu(g)^2 * u (ggml relu, sqr, mul); TRIT_GATE_SILU:
 * silu(g) * u. */
void TRIT_OP(gate)(int32_t kind, const float *g, const float *u,
                   int64_t count, float *out) {
  if (kind == TRIT_GATE_RELU2) {
    for (int64_t i = 0; i < count; ++i) {
      float r = g[i] > 0.0f ? g[i] : 0.0f;
      out[i] = (r * r) * u[i];
    }
  } else {
    for (int64_t i = 0; i < count; ++i)
      out[i] = (g[i] / (1.0f + trit_expf(-g[i]))) * u[i];
  }
}

/*===--- activation quantization and BitLinear ----------------------------===*/

/* An instruction set may quantize Q8_0 rows its own way (same bits). */
#ifndef TRIT_Q8_0_QUANTIZE_ROW
#define TRIT_Q8_0_QUANTIZE_ROW trit_q8_0_quantize_row_generic
#endif

/* Per row: the optional RMSNorm into `normed`, then quantize_row_i8_s. */
typedef struct TRIT_CAT(norm_quantize_args_, TRIT_ISA) {
  const float *x, *norm_weight;
  float eps;
  int64_t cols;
  int8_t *q;
  float *q_scales; /* per row, or per Q8_0 block of 32 */
  int32_t *q_sums;
  int32_t q8_0;    /* Q8_0 blocks (kernels.h, T2G) instead of rows */
} TRIT_CAT(norm_quantize_args_, TRIT_ISA);

static void TRIT_CAT(norm_quantize_row_, TRIT_ISA)(
    const TRIT_CAT(norm_quantize_args_, TRIT_ISA) *a, int64_t t,
    float *normed) {
  const float *row = a->x + t * a->cols;
  if (a->norm_weight) {
    TRIT_CAT(rms_norm_row_, TRIT_ISA)(row, a->norm_weight, a->eps, a->cols,
                                      normed);
    row = normed;
  }
  if (a->q8_0)
    TRIT_Q8_0_QUANTIZE_ROW(row, a->cols, a->q + t * a->cols,
                                   a->q_scales + t * (a->cols / 32),
                                   a->q_sums + t * (a->cols / 32));
  else
    a->q_scales[t] = trit_quantize_row_generic(row, a->q + t * a->cols,
                                               a->cols, &a->q_sums[t]);
}

/* Tokens [begin, end) on a worker, each with its own normalized row. */
static void TRIT_CAT(norm_quantize_rows_, TRIT_ISA)(void *closure,
                                                    int64_t begin,
                                                    int64_t end) {
  const TRIT_CAT(norm_quantize_args_, TRIT_ISA) *a = closure;
  float normed[a->norm_weight ? a->cols : 1];
  for (int64_t t = begin; t < end; ++t)
    TRIT_CAT(norm_quantize_row_, TRIT_ISA)(a, t, normed);
}

/* One token (generation) on the caller with the `normed` scratch row; a
 * prompt's tokens on the pool, so no thread waits for the others' norms. */
static inline __attribute__((always_inline)) void
TRIT_CAT(norm_quantize_, TRIT_ISA)(const trit_exec_context *ctx,
                                   const float *x, const float *norm_weight,
                                   float eps, int64_t n, int64_t cols,
                                   float *normed, int8_t *q, float *q_scales,
                                   int32_t *q_sums, int32_t q8_0) {
  TRIT_CAT(norm_quantize_args_, TRIT_ISA)
  args = {x, norm_weight, eps, cols, q, q_scales, q_sums, q8_0};
  if (n == 1) {
    TRIT_CAT(norm_quantize_row_, TRIT_ISA)(&args, 0, normed);
    return;
  }
  trit_parallel_for(ctx, TRIT_CAT(norm_quantize_rows_, TRIT_ISA), &args, 0,
                    n, 1);
}

void TRIT_OP(norm_quantize)(const trit_exec_context *ctx, const float *x,
                            const float *norm_weight, float eps, int64_t n,
                            int64_t cols, float *normed, int8_t *q,
                            float *q_scales, int32_t *q_sums) {
  TRIT_CAT(norm_quantize_, TRIT_ISA)(ctx, x, norm_weight, eps, n, cols, normed,
                                     q, q_scales, q_sums, 0);
}

/* The same into Q8_0 blocks (group-scaled ternary BitLinears). */
void TRIT_OP(norm_quantize_q8_0)(const trit_exec_context *ctx, const float *x,
                                 const float *norm_weight, float eps,
                                 int64_t n, int64_t cols, float *normed,
                                 int8_t *q, float *q_d, int32_t *q_sums) {
  TRIT_CAT(norm_quantize_, TRIT_ISA)(ctx, x, norm_weight, eps, n, cols, normed,
                                     q, q_d, q_sums, 1);
}

/* What a BitLinear's worker ranges read; filled by trit_op_bitlinear (and
 * by the reranking LM head, with a scale per row). */
typedef struct TRIT_CAT(bitlinear_args_, TRIT_ISA) {
  const uint8_t *weights;
  const int8_t *q;
  const float *q_scales;
  const int32_t *q_sums;
  float *out;
  int64_t n;
  float w_scale;
  const float *row_scales; /* NULL: w_scale for every row */
  /* The rows are a batched step's (ctx->batch): each takes the kernels of
   * a decode step, never the lookup tables, so its bits do not depend on
   * how many others share the step. */
  int32_t batch;
} TRIT_CAT(bitlinear_args_, TRIT_ISA);

/* Row r's weight scale: its own, or the matrix's. */
static inline float TRIT_CAT(bitlinear_row_scale_, TRIT_ISA)(
    const TRIT_CAT(bitlinear_args_, TRIT_ISA) *a, int64_t r) {
  return a->row_scales ? a->row_scales[r] : a->w_scale;
}

typedef void (*TRIT_CAT(dot_tile_fn_, TRIT_ISA))(const uint8_t *,
                                                const int8_t *, int64_t,
                                                int64_t, int64_t, int64_t,
                                                int32_t *);

/* Output rows [begin, end) for every token. Rows are taken in tiles so a
 * tile's weights stay in cache while the tokens pass over them, a few
 * tokens at a time so each unpacked weight serves several (the layout's
 * dot tile, a constant once this is inlined). Tiles end at multiples of 16
 * rows, so a rows-in-lanes tile reads one 16-row block. */
static inline __attribute__((always_inline)) void
TRIT_CAT(bitlinear_tiles_, TRIT_ISA)(const void *closure, int64_t cols,
                                     int64_t rows, int64_t begin, int64_t end,
                                     TRIT_CAT(dot_tile_fn_, TRIT_ISA) dot_tile,
                                     int64_t tokens) {
  const TRIT_CAT(bitlinear_args_, TRIT_ISA) *a = closure;
  enum { tile = 16, max_tokens = 64 };
  for (int64_t r0 = begin; r0 < end; r0 = (r0 / tile + 1) * tile) {
    int64_t r1 = (r0 / tile + 1) * tile < end ? (r0 / tile + 1) * tile : end;
    for (int64_t t0 = 0; t0 < a->n; t0 += tokens) {
      int64_t nt = a->n - t0 < tokens ? a->n - t0 : tokens;
      int32_t dots[max_tokens * tile];
      dot_tile(a->weights, a->q + t0 * cols, cols, r0, r1, nt, dots);
      for (int64_t t = t0; t < t0 + nt; ++t)
        for (int64_t r = r0; r < r1; ++r)
          a->out[t * rows + r] = trit_bitlinear_output(
              dots[(t - t0) * (r1 - r0) + r - r0], a->q_sums[t],
              a->q_scales[t], TRIT_CAT(bitlinear_row_scale_, TRIT_ISA)(a, r));
    }
  }
}

/* The BitLinear of an I2_S weight, called by the generated range function
 * with `cols` as a constant. */
void TRIT_OP(bitlinear_range)(const void *closure, int64_t cols,
                              int64_t rows, trit_chunks *chunks) {
  TRIT_FOR_EACH_CHUNK(chunks, begin, end)
  TRIT_CAT(bitlinear_tiles_, TRIT_ISA)(closure, cols, rows, begin, end,
                                       TRIT_KERNEL(i2s_dot_tile), 4);
}

/* The same for a T3X5 weight, up to 64 tokens at a time: its unpacking
 * costs more than I2_S's, so each unpacked weight should serve as many
 * tokens as possible (the AVX-512 tile unpacks four rows to bytes once for
 * all of them; the other tiles take four tokens at a time). */
void TRIT_OP(bitlinear_t3x5_range)(const void *closure, int64_t cols,
                                   int64_t rows, trit_chunks *chunks) {
  TRIT_FOR_EACH_CHUNK(chunks, begin, end)
  TRIT_CAT(bitlinear_tiles_, TRIT_ISA)(closure, cols, rows, begin, end,
                                       TRIT_KERNEL(t3x5_dot_tile), 64);
}

#ifdef TRIT_T3X5_VBMI_TILE
/* The same with the VBMI tile (the target has AVX-512 VBMI): a token's row
 * dots look the weights up with vpermb. */
void TRIT_OP(bitlinear_t3x5_vbmi_range)(const void *closure, int64_t cols,
                                        int64_t rows, trit_chunks *chunks) {
  TRIT_FOR_EACH_CHUNK(chunks, begin, end)
  TRIT_CAT(bitlinear_tiles_, TRIT_ISA)(closure, cols, rows, begin, end,
                                       TRIT_T3X5_VBMI_TILE, 64);
}
#endif

/* Token t's integer dots of rows [begin, end), which a kernel left in the
 * place of their outputs, converted there to the BitLinear's outputs. */
static inline __attribute__((always_inline)) void
TRIT_CAT(bitlinear_outputs_in_place_, TRIT_ISA)(
    const TRIT_CAT(bitlinear_args_, TRIT_ISA) *a, int64_t t, int64_t rows,
    int64_t begin, int64_t end) {
  float *out = a->out + t * rows;
  for (int64_t r = begin; r < end; ++r) {
    int32_t dot;
    __builtin_memcpy(&dot, out + r, sizeof dot);
    out[r] = trit_bitlinear_output(
        dot, a->q_sums[t], a->q_scales[t],
        TRIT_CAT(bitlinear_row_scale_, TRIT_ISA)(a, r));
  }
}

#ifdef TRIT_T3X5X64_ROWS
/* Up to this many tokens (a batched step's) take the row dots, each with
 * its own tables; more take the tile, which decodes the weights once for
 * all of them (a cached 6912 x 2560 matrix on one Zen 5 core: 0.25 against
 * 0.30 ms at 4 tokens, 0.39 against 0.34 at 6). */
#ifndef TRIT_T3X5X64_LOOKED_UP_MAX_TOKENS
#define TRIT_T3X5X64_LOOKED_UP_MAX_TOKENS 5
#endif

/* The BitLinear of a T3X5 weight with rows in lanes (kernels.h; the target
 * has AVX-512 VBMI). One token takes the row dots, whose tables this thread
 * builds once, when it takes its first chunk, for all the chunks it takes:
 * their integer dots wait in `out` before their conversion. Several take
 * the tile, a 16-row block at a time. */
void TRIT_OP(bitlinear_t3x5x64_range)(const void *closure, int64_t cols,
                                      int64_t rows, trit_chunks *chunks) {
  const TRIT_CAT(bitlinear_args_, TRIT_ISA) *a = closure;
  if (a->n <= TRIT_T3X5X64_LOOKED_UP_MAX_TOKENS) {
    /* Each token's tables, then each chunk's rows for every token while
     * they are in cache: the weights stream from memory once. */
    int64_t bytes = trit_t3x5x64_row_tables_bytes(cols);
    uint8_t storage[a->n * bytes + 64];
    uint8_t *tables = 0;
    TRIT_FOR_EACH_CHUNK(chunks, begin, end) {
      if (!tables) {
        tables = (uint8_t *)(((uintptr_t)storage + 63) & ~(uintptr_t)63);
        for (int64_t t = 0; t < a->n; ++t)
          TRIT_T3X5X64_ROW_TABLES(a->q + t * cols, cols, tables + t * bytes);
      }
      for (int64_t t = 0; t < a->n; ++t) {
        TRIT_T3X5X64_ROWS_LOOKED_UP(a->weights, tables + t * bytes, cols,
                                    begin, end,
                                    (int32_t *)(a->out + t * rows + begin));
        TRIT_CAT(bitlinear_outputs_in_place_, TRIT_ISA)(a, t, rows, begin,
                                                        end);
      }
    }
    return;
  }
  TRIT_FOR_EACH_CHUNK(chunks, begin, end)
  TRIT_CAT(bitlinear_tiles_, TRIT_ISA)(closure, cols, rows, begin, end,
                                       TRIT_T3X5X64_TILE, 64);
}
#endif

#ifdef TRIT_T3X5_LUT_TILE
typedef void (*TRIT_CAT(lut_tile_fn_, TRIT_ISA))(const uint8_t *,
                                                const int8_t *, int64_t,
                                                int64_t, int64_t, int64_t,
                                                int32_t *, int64_t);

/* Output rows [begin, end) through a lookup-table tile (kernels.h; tritc
 * --prompt-lut), TRIT_LUT_MAX_TOKENS tokens at a time, when the call has
 * TRIT_LUT_MIN_TOKENS tokens or more: a prompt. The tile's integer dots
 * wait in `out` before their conversion. */
static inline __attribute__((always_inline)) void
TRIT_CAT(bitlinear_lut_tiles_, TRIT_ISA)(const void *closure, int64_t cols,
                                         int64_t rows, int64_t begin,
                                         int64_t end,
                                         TRIT_CAT(lut_tile_fn_, TRIT_ISA)
                                             lut_tile) {
  const TRIT_CAT(bitlinear_args_, TRIT_ISA) *a = closure;
  for (int64_t t0 = 0; t0 < a->n; t0 += TRIT_LUT_MAX_TOKENS) {
    int64_t nt = a->n - t0 < TRIT_LUT_MAX_TOKENS ? a->n - t0
                                                 : TRIT_LUT_MAX_TOKENS;
    lut_tile(a->weights, a->q + t0 * cols, cols, begin, end, nt,
             (int32_t *)(a->out + t0 * rows + begin), rows);
    for (int64_t t = t0; t < t0 + nt; ++t)
      TRIT_CAT(bitlinear_outputs_in_place_, TRIT_ISA)(a, t, rows, begin, end);
  }
}

/* A T3X5 weight's BitLinear through the tables; fewer tokens (generation)
 * take the exact tiles. */
void TRIT_OP(bitlinear_t3x5_lut_range)(const void *closure, int64_t cols,
                                       int64_t rows, trit_chunks *chunks) {
  const TRIT_CAT(bitlinear_args_, TRIT_ISA) *a = closure;
  if (a->n < TRIT_LUT_MIN_TOKENS || a->batch) { /* the tables need VBMI */
    TRIT_OP(bitlinear_t3x5_vbmi_range)(closure, cols, rows, chunks);
    return;
  }
  TRIT_FOR_EACH_CHUNK(chunks, begin, end)
  TRIT_CAT(bitlinear_lut_tiles_, TRIT_ISA)(closure, cols, rows, begin, end,
                                           TRIT_T3X5_LUT_TILE);
}

/* The same for T3X5 with rows in lanes. */
void TRIT_OP(bitlinear_t3x5x64_lut_range)(const void *closure, int64_t cols,
                                          int64_t rows, trit_chunks *chunks) {
  const TRIT_CAT(bitlinear_args_, TRIT_ISA) *a = closure;
  if (a->n < TRIT_LUT_MIN_TOKENS || a->batch) {
    TRIT_OP(bitlinear_t3x5x64_range)(closure, cols, rows, chunks);
    return;
  }
  TRIT_FOR_EACH_CHUNK(chunks, begin, end)
  TRIT_CAT(bitlinear_lut_tiles_, TRIT_ISA)(closure, cols, rows, begin, end,
                                           TRIT_T3X5X64_LUT_TILE);
}
#endif

/* Rows per chunk of a BitLinear: whole 64-row superblocks of rows in
 * lanes. A prompt's chunks are coarser: its lookup-table tiles build their
 * tables per chunk. */
#define TRIT_BITLINEAR_ROW_ALIGN 64
static inline int64_t TRIT_CAT(bitlinear_chunks_per_thread_, TRIT_ISA)(
    int64_t n) {
  return n >= 8 ? 2 : TRIT_CHUNKS_PER_THREAD;
}

typedef struct TRIT_CAT(bitlinear_task_, TRIT_ISA) {
  trit_bitlinear_range_fn range;
  TRIT_CAT(bitlinear_args_, TRIT_ISA) args;
  trit_chunks chunks;
} TRIT_CAT(bitlinear_task_, TRIT_ISA);

static void TRIT_CAT(run_bitlinear_task_, TRIT_ISA)(void *closure) {
  TRIT_CAT(bitlinear_task_, TRIT_ISA) *t = closure;
  t->range(&t->args, &t->chunks);
}

void TRIT_OP(bitlinear)(const trit_exec_context *ctx,
                        trit_bitlinear_range_fn range, const uint8_t *weights,
                        float w_scale, const int8_t *q, const float *q_scales,
                        const int32_t *q_sums, int64_t n, int64_t rows,
                        float *out) {
  TRIT_CAT(bitlinear_task_, TRIT_ISA)
  task = {range,
          {weights, q, q_scales, q_sums, out, n, w_scale, 0, ctx->batch != 0},
          trit_chunks_for(
              ctx, 0, rows, TRIT_BITLINEAR_ROW_ALIGN,
              TRIT_CAT(bitlinear_chunks_per_thread_, TRIT_ISA)(n))};
  trit_run_task(ctx, TRIT_CAT(run_bitlinear_task_, TRIT_ISA), &task);
}

/* The BitLinears of a fused op (two or three weights sharing one quantized
 * input: q/k/v, gate/up) as one task, so the threads wait once per op
 * instead of once per weight: each thread takes chunks of the first
 * weight's rows, then of the next one's, until none is left. */
typedef struct TRIT_CAT(fused_bitlinear_task_, TRIT_ISA) {
  trit_bitlinear_range_fn range[3];
  TRIT_CAT(bitlinear_args_, TRIT_ISA) args[3];
  trit_chunks chunks[3];
  int count;
} TRIT_CAT(fused_bitlinear_task_, TRIT_ISA);

static void TRIT_CAT(run_fused_bitlinear_task_, TRIT_ISA)(void *closure) {
  TRIT_CAT(fused_bitlinear_task_, TRIT_ISA) *t = closure;
  for (int k = 0; k < t->count; ++k)
    t->range[k](&t->args[k], &t->chunks[k]);
}

void TRIT_OP(bitlinear_fused)(
    const trit_exec_context *ctx, const int8_t *q, const float *q_scales,
    const int32_t *q_sums, int64_t n, trit_bitlinear_range_fn range0,
    const uint8_t *weights0, float w_scale0, int64_t rows0, float *out0,
    trit_bitlinear_range_fn range1, const uint8_t *weights1, float w_scale1,
    int64_t rows1, float *out1, trit_bitlinear_range_fn range2,
    const uint8_t *weights2, float w_scale2, int64_t rows2, float *out2) {
  /* A weight's chunks: its share of the op's, so every chunk is about the
   * same size whichever weight it falls in. */
  int64_t total = rows0 + rows1 + (range2 ? rows2 : 0);
  int64_t per_thread = TRIT_CAT(bitlinear_chunks_per_thread_, TRIT_ISA)(n);
  trit_chunks all = trit_chunks_for(ctx, 0, total, TRIT_BITLINEAR_ROW_ALIGN,
                                    per_thread);
  int32_t batch = ctx->batch != 0;
  TRIT_CAT(fused_bitlinear_task_, TRIT_ISA)
  task = {{range0, range1, range2},
          {{weights0, q, q_scales, q_sums, out0, n, w_scale0, 0, batch},
           {weights1, q, q_scales, q_sums, out1, n, w_scale1, 0, batch},
           {weights2, q, q_scales, q_sums, out2, n, w_scale2, 0, batch}},
          {{0, rows0, all.grain}, {0, rows1, all.grain}, {0, rows2, all.grain}},
          range2 ? 3 : 2};
  trit_run_task(ctx, TRIT_CAT(run_fused_bitlinear_task_, TRIT_ISA), &task);
}

/*===--- group-scaled ternary (T2G, kernels.h) ----------------------------===*/

/* A T2G weight's BitLinear: the args' q_scales and q_sums are the Q8_0
 * blocks' d and sums, and w_scale is unused (the scales are in the
 * layout). Chunks are whole 64-row superblocks, so 16-row aligned. */
static inline __attribute__((always_inline)) void
TRIT_CAT(bitlinear_t2g_, TRIT_ISA)(const void *closure, int64_t cols,
                                   int64_t rows, int64_t group,
                                   trit_chunks *chunks) {
  const TRIT_CAT(bitlinear_args_, TRIT_ISA) *a = closure;
  TRIT_FOR_EACH_CHUNK(chunks, begin, end)
  TRIT_KERNEL(t2g_gemm)(a->weights, a->q, a->q_scales, a->q_sums, cols, group,
                        begin, end, a->n, a->out, rows);
}

void TRIT_OP(bitlinear_t2g64_range)(const void *closure, int64_t cols,
                                    int64_t rows, trit_chunks *chunks) {
  TRIT_CAT(bitlinear_t2g_, TRIT_ISA)(closure, cols, rows, 64, chunks);
}

void TRIT_OP(bitlinear_t2g128_range)(const void *closure, int64_t cols,
                                     int64_t rows, trit_chunks *chunks) {
  TRIT_CAT(bitlinear_t2g_, TRIT_ISA)(closure, cols, rows, 128, chunks);
}

/* Ternary embedding rows, dequantized exactly. */
void TRIT_OP(embedding_t2g)(const uint8_t *table, const int32_t *tokens,
                            int64_t n, int64_t dim, int64_t group,
                            float *out) {
  for (int64_t t = 0; t < n; ++t)
    trit_t2g_row_generic(table, dim, group, tokens[t], out + t * dim);
}

/* A ternary LM head: the rows quantized to Q8_0 in `scratch`
 * (trit_lm_head_t2g_scratch_bytes), then the table's BitLinear through
 * `range`. */
void TRIT_OP(lm_head_t2g)(const trit_exec_context *ctx,
                          trit_bitlinear_range_fn range, const float *x,
                          int64_t n, int64_t dim, const uint8_t *table,
                          int64_t vocab, void *scratch, float *out) {
  if (n == 0)
    return;
  int8_t *q = scratch;
  float *q_d = (float *)((uint8_t *)scratch + trit_lm_head_t2g_d_offset(n, dim));
  int32_t *q_sums = (int32_t *)(q_d + n * (dim / 32));
  TRIT_CAT(norm_quantize_, TRIT_ISA)(ctx, x, 0, 0.0f, n, dim, 0, q, q_d,
                                     q_sums, 1);
  TRIT_OP(bitlinear)(ctx, range, table, 0.0f, q, q_d, q_sums, n, vocab, out);
}

/*===--- RoPE, KV cache, attention ----------------------------------------===*/

/* Token t's position, and the KV cache it reads and writes: its own batch
 * row's in a step of several sequences (ctx->batch), else the call's. */
static inline int64_t TRIT_CAT(position_, TRIT_ISA)(
    const trit_exec_context *ctx, int64_t start, int64_t t) {
  return ctx->batch ? ctx->batch[t].position : start + t;
}

static inline uint16_t *TRIT_CAT(kv_cache_, TRIT_ISA)(
    const trit_exec_context *ctx, int64_t t) {
  return ctx->batch ? ctx->batch[t].kv_cache : ctx->kv_cache;
}

/* The runtime fills ctx->rope_cos/sin with ggml's tables: for position p and
 * pair i, theta = p * theta_scale^i (multiplied iteratively in float). */
void TRIT_OP(rope)(const trit_exec_context *ctx, const float *x, int64_t n,
                   int64_t width, int64_t head_dim, int64_t start,
                   int32_t neox, float *out) {
  int64_t half = head_dim / 2;
  for (int64_t t = 0; t < n; ++t) {
    int64_t pos = TRIT_CAT(position_, TRIT_ISA)(ctx, start, t);
    const float *cs = ctx->rope_cos + pos * half;
    const float *sn = ctx->rope_sin + pos * half;
    for (int64_t h = 0; h < width; h += head_dim) {
      const float *xi = x + t * width + h;
      float *o = out + t * width + h;
      for (int64_t i = 0; i < half; ++i) {
        int64_t i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
        float x0 = xi[i0], x1 = xi[i1];
        o[i0] = x0 * cs[i] - x1 * sn[i];
        o[i1] = x0 * sn[i] + x1 * cs[i];
      }
    }
  }
}

/* Row `pos` of layer `layer`'s keys (which = 0) or values (1) in `cache`. */
static inline uint16_t *TRIT_CAT(kv_row_, TRIT_ISA)(
    const trit_exec_context *ctx, uint16_t *cache, int64_t layer,
    int64_t which, int64_t pos, int64_t kv_width) {
  return cache + ((layer * 2 + which) * ctx->kv_capacity + pos) * kv_width;
}

void TRIT_OP(kv_store)(const trit_exec_context *ctx, int64_t layer,
                       const float *k, const float *v, int64_t n,
                       int64_t start, int64_t kv_width) {
  for (int64_t t = 0; t < n; ++t) {
    uint16_t *cache = TRIT_CAT(kv_cache_, TRIT_ISA)(ctx, t);
    int64_t pos = TRIT_CAT(position_, TRIT_ISA)(ctx, start, t);
    uint16_t *kr =
        TRIT_CAT(kv_row_, TRIT_ISA)(ctx, cache, layer, 0, pos, kv_width);
    uint16_t *vr =
        TRIT_CAT(kv_row_, TRIT_ISA)(ctx, cache, layer, 1, pos, kv_width);
    for (int64_t i = 0; i < kv_width; ++i) {
      kr[i] = trit_f2h(k[t * kv_width + i]);
      vr[i] = trit_f2h(v[t * kv_width + i]);
    }
  }
}

/* The attention's two inner loops:
 * - the dot of a query row with an f16 key: sixteen partial sums (lane l
 *   takes elements l, l + 16, ...; a tail goes to lane 0), then halved
 *   pairwise (8, 4, 2, 1);
 * - the sum of probability x f16 value into an output row, per element.
 * A family's ops.c may define TRIT_ATTENTION_DOT16 and
 * TRIT_ATTENTION_ACCUMULATE16 with intrinsics that compute exactly this for
 * head sizes that are a multiple of 16. */
static inline float TRIT_CAT(attention_dot_, TRIT_ISA)(const float *qh,
                                                       const uint16_t *k,
                                                       int64_t hd) {
#ifdef TRIT_ATTENTION_DOT16
  if (hd % 16 == 0)
    return TRIT_ATTENTION_DOT16(qh, k, hd);
#endif
  float acc[16] = {0};
  int64_t d = 0;
  for (; d + 16 <= hd; d += 16)
    for (int l = 0; l < 16; ++l)
      acc[l] += qh[d + l] * trit_h2f(k[d + l]);
  for (; d < hd; ++d)
    acc[0] += qh[d] * trit_h2f(k[d]);
  for (int half = 8; half >= 1; half /= 2)
    for (int l = 0; l < half; ++l)
      acc[l] += acc[l + half];
  return acc[0];
}

static inline void TRIT_CAT(attention_accumulate_, TRIT_ISA)(
    float *o, float pj, const uint16_t *v, int64_t hd) {
#ifdef TRIT_ATTENTION_ACCUMULATE16
  if (hd % 16 == 0) {
    TRIT_ATTENTION_ACCUMULATE16(o, pj, v, hd);
    return;
  }
#endif
  for (int64_t d = 0; d < hd; ++d)
    o[d] += pj * trit_h2f(v[d]);
}

/* A prompt's queries are taken this many at a time (per head) where the
 * head size is a multiple of 16; the compiler's memory plan gives each head
 * TRIT_ATTENTION_QUERY_BLOCK x (max_context + head_dim) floats of scratch
 * (getAttentionScratchStride). */
#define TRIT_ATTENTION_QUERY_BLOCK 16

typedef struct TRIT_CAT(attention_args_, TRIT_ISA) {
  const trit_exec_context *ctx;
  const float *q;
  float *scratch; /* [heads][16 x (max_context + head_dim)] */
  float *out;
  int64_t layer, n, start, heads, kv_heads, head_dim, scratch_stride;
  float scale;
} TRIT_CAT(attention_args_, TRIT_ISA);

/* Sixteen consecutive tokens t0.. of head h at once, with the arithmetic
 * of the one-token path below for each (the same bits), but each key and
 * value row converted once for all sixteen and the tokens in the lanes of
 * 16-float vectors: no horizontal sum per dot, and each key element
 * multiplies all sixteen queries. Token l sees positions up to
 * start + t0 + l; the block's last positions are computed for every lane
 * and then left out of the others' maximum, sum and values. `qt` holds
 * [head_dim] vectors (the rounded queries, then the outputs), `pt`
 * [positions] vectors of scores, then probabilities. */
typedef float TRIT_CAT(v16f_, TRIT_ISA)
    __attribute__((vector_size(64), aligned(4)));
typedef int32_t TRIT_CAT(v16i_, TRIT_ISA)
    __attribute__((vector_size(64), aligned(4)));

/* Sixteen f16 values as floats (one vcvtph2ps with F16C). */
static inline void TRIT_CAT(h2f16_, TRIT_ISA)(const uint16_t *h, float *f) {
#if defined(__F16C__) || defined(__aarch64__)
  typedef _Float16 v16h __attribute__((vector_size(32), aligned(2)));
  *(TRIT_CAT(v16f_, TRIT_ISA) *)f =
      __builtin_convertvector(*(const v16h *)h, TRIT_CAT(v16f_, TRIT_ISA));
#else
  for (int i = 0; i < 16; ++i)
    f[i] = TRIT_CAT(h2f_, TRIT_ISA)(h[i]);
#endif
}

static void TRIT_CAT(attention_block_, TRIT_ISA)(
    const TRIT_CAT(attention_args_, TRIT_ISA) *a, int64_t h, int64_t t0,
    float *qt, float *pt) {
  typedef TRIT_CAT(v16f_, TRIT_ISA) v16f;
  typedef TRIT_CAT(v16i_, TRIT_ISA) v16i;
  enum { B = TRIT_ATTENTION_QUERY_BLOCK };
  int64_t hd = a->head_dim, width = a->heads * hd;
  int64_t kv_width = a->kv_heads * hd, g = h / (a->heads / a->kv_heads);
  int64_t first = a->start + t0; /* lane l sees positions <= first + l */
  int64_t len = first + B;
  v16f *qv = (v16f *)qt, *pv = (v16f *)pt;
  for (int64_t d = 0; d < hd; ++d)
    for (int l = 0; l < B; ++l)
      qt[d * B + l] = trit_round_f16(a->q[(t0 + l) * width + h * hd + d]);
  float row[hd];
  for (int64_t j = 0; j < len; ++j) {
    const uint16_t *k =
        TRIT_CAT(kv_row_, TRIT_ISA)(a->ctx, a->ctx->kv_cache, a->layer, 0, j,
                                    kv_width) +
        g * hd;
    for (int64_t d = 0; d < hd; d += 16)
      TRIT_CAT(h2f16_, TRIT_ISA)(k + d, row + d);
    v16f acc[16];
    for (int i = 0; i < 16; ++i)
      acc[i] = (v16f){0};
    for (int64_t d = 0; d < hd; d += 16)
      for (int i = 0; i < 16; ++i)
        acc[i] += qv[d + i] * row[d + i];
    for (int half = 8; half >= 1; half /= 2)
      for (int i = 0; i < half; ++i)
        acc[i] += acc[i + half];
    pv[j] = acc[0] * a->scale;
  }
  /* Which lanes see position j: all up to `first`, then fewer. */
  v16i lane;
  for (int l = 0; l < B; ++l)
    lane[l] = l;
  float max[B], inverse[B];
  double sum[B];
  for (int l = 0; l < B; ++l) {
    max[l] = -__builtin_inff();
    sum[l] = 0.0;
  }
  for (int64_t j = 0; j < len; ++j)
    for (int l = 0; l < B; ++l)
      if (j <= first + l)
        max[l] = pt[j * B + l] > max[l] ? pt[j * B + l] : max[l];
  for (int64_t j = 0; j <= first; ++j)
    for (int l = 0; l < B; ++l)
      pt[j * B + l] = trit_expf(pt[j * B + l] - max[l]);
  for (int64_t j = first + 1; j < len; ++j)
    for (int l = 0; l < B; ++l)
      pt[j * B + l] =
          j <= first + l ? trit_expf(pt[j * B + l] - max[l]) : 0.0f;
  for (int64_t j = 0; j < len; ++j)
    for (int l = 0; l < B; ++l)
      sum[l] += (double)pt[j * B + l]; /* + 0.0 past a lane's end */
  for (int l = 0; l < B; ++l)
    inverse[l] = (float)(1.0 / sum[l]);
  for (int64_t j = 0; j < len; ++j)
    for (int l = 0; l < B; ++l)
      pt[j * B + l] = trit_round_f16(pt[j * B + l] * inverse[l]);
  /* The values, sixteen output elements at a time so that their sums stay
   * in registers over all positions. */
  for (int64_t d0 = 0; d0 < hd; d0 += 16) {
    v16f o[16];
    for (int i = 0; i < 16; ++i)
      o[i] = (v16f){0};
    for (int64_t j = 0; j < len; ++j) {
      const uint16_t *v = TRIT_CAT(kv_row_, TRIT_ISA)(a->ctx, a->ctx->kv_cache,
                                                      a->layer, 1, j,
                                                      kv_width) +
                          g * hd + d0;
      float values[16];
      TRIT_CAT(h2f16_, TRIT_ISA)(v, values);
      v16f p = pv[j];
      if (j <= first) {
        for (int i = 0; i < 16; ++i)
          o[i] += p * values[i];
      } else {
        /* Past a lane's end its product becomes +0.0, which leaves the sum
         * as it is (a sum of products that starts at +0.0 is never -0.0). */
        v16i seen = lane >= (v16i){0} + (int32_t)(j - first);
        for (int i = 0; i < 16; ++i)
          o[i] += (v16f)((v16i)(p * values[i]) & seen);
      }
    }
    for (int i = 0; i < 16; ++i)
      qv[d0 + i] = o[i];
  }
  for (int l = 0; l < B; ++l)
    for (int64_t d = 0; d < hd; ++d)
      a->out[(t0 + l) * width + h * hd + d] = qt[d * B + l];
}

/* Causal attention of every token for heads [begin, end). */
static void TRIT_CAT(attention_heads_, TRIT_ISA)(void *closure, int64_t begin,
                                                 int64_t end) {
  const TRIT_CAT(attention_args_, TRIT_ISA) *a = closure;
  int64_t hd = a->head_dim, width = a->heads * hd;
  int64_t kv_width = a->kv_heads * hd, group = a->heads / a->kv_heads;
  float scale = a->scale;
  for (int64_t h = begin; h < end; ++h) {
    float *qh = a->scratch + h * a->scratch_stride;
    float *p = qh + hd;
    int64_t g = h / group;
    int64_t t = 0;
    /* Blocks of consecutive positions of one sequence; a batch's rows each
     * take the one-token path (the same bits). */
    if (hd % 16 == 0 && !a->ctx->batch)
      for (; t + TRIT_ATTENTION_QUERY_BLOCK <= a->n;
           t += TRIT_ATTENTION_QUERY_BLOCK)
        TRIT_CAT(attention_block_, TRIT_ISA)(
            a, h, t, qh, qh + TRIT_ATTENTION_QUERY_BLOCK * hd);
    for (; t < a->n; ++t) {
      uint16_t *cache = TRIT_CAT(kv_cache_, TRIT_ISA)(a->ctx, t);
      int64_t len = TRIT_CAT(position_, TRIT_ISA)(a->ctx, a->start, t) + 1;
      for (int64_t d = 0; d < hd; ++d)
        qh[d] = trit_round_f16(a->q[t * width + h * hd + d]);
      float max = -__builtin_inff();
      for (int64_t j = 0; j < len; ++j) {
        const uint16_t *k = TRIT_CAT(kv_row_, TRIT_ISA)(a->ctx, cache, a->layer,
                                                        0, j, kv_width) +
                            g * hd;
        p[j] = TRIT_CAT(attention_dot_, TRIT_ISA)(qh, k, hd) * scale;
        max = p[j] > max ? p[j] : max;
      }
      /* The exponentials vectorize; their double sum stays in order. */
      for (int64_t j = 0; j < len; ++j)
        p[j] = trit_expf(p[j] - max);
      double sum = 0.0;
      for (int64_t j = 0; j < len; ++j)
        sum += (double)p[j];
      float inv = (float)(1.0 / sum);
      for (int64_t j = 0; j < len; ++j)
        p[j] = trit_round_f16(p[j] * inv);
      float *o = a->out + t * width + h * hd;
      for (int64_t d = 0; d < hd; ++d)
        o[d] = 0.0f;
      for (int64_t j = 0; j < len; ++j) {
        const uint16_t *v = TRIT_CAT(kv_row_, TRIT_ISA)(a->ctx, cache, a->layer,
                                                        1, j, kv_width) +
                            g * hd;
        TRIT_CAT(attention_accumulate_, TRIT_ISA)(o, p[j], v, hd);
      }
    }
  }
}

void TRIT_OP(attention)(const trit_exec_context *ctx, int64_t layer,
                        const float *q, int64_t n, int64_t start,
                        int64_t heads, int64_t kv_heads, int64_t head_dim,
                        float scale, int64_t max_context, float *scratch,
                        float *out) {
  TRIT_CAT(attention_args_, TRIT_ISA)
  args = {ctx,   q,     scratch,  out,      layer,
          n,     start, heads,    kv_heads, head_dim,
          TRIT_ATTENTION_QUERY_BLOCK * (max_context + head_dim), scale};
  trit_parallel_for(ctx, TRIT_CAT(attention_heads_, TRIT_ISA), &args, 0,
                    heads, 1);
}

/*===--- LM head ----------------------------------------------------------===*/

typedef struct TRIT_CAT(lm_head_args_, TRIT_ISA) {
  const void *table;
  const float *x; /* [n][dim], already rounded to f16 for an f16 table */
  float *out;
  int64_t n, dim, vocab, f16;
} TRIT_CAT(lm_head_args_, TRIT_ISA);

/* Rows r0 .. r0 + R - 1 of the table times the rows of tokens t0 ..
 * t0 + M - 1 (R, M <= 4), into out (the head's [n][vocab] output). Each
 * sum: sixteen partial sums (lane l takes elements l, l + 16, ...; a tail
 * goes to lane 0), then added in lane order from 0.0f. The partial sums are
 * 16-float vectors, one per (row, token): every family gets one vector
 * multiply and add per 16 elements, row and token, one conversion
 * (vcvtph2ps) per 16 f16 elements for all M tokens, and one load of a
 * token's 16 elements for all R rows. */
static inline __attribute__((always_inline)) void TRIT_CAT(lm_head_block_,
                                                           TRIT_ISA)(
    const TRIT_CAT(lm_head_args_, TRIT_ISA) *a, int64_t r0, int R,
    int64_t t0, int M, float *out) {
  typedef TRIT_CAT(v16f_, TRIT_ISA) v16f;
  int64_t dim = a->dim;
  v16f acc[4][4];
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < M; ++t)
      acc[i][t] = (v16f){0};
  int64_t k = 0;
  for (; k + 16 <= dim; k += 16) {
    v16f x[4], w;
    /* Several rows at once are several streams, which the hardware
     * prefetcher follows poorly: fetch the next block's rows while this
     * one is multiplied (4 tokens 1.3-1.7x faster on Zen 5). */
    if (R > 1 && a->f16 && (k & 31) == 0)
      for (int i = 0; i < R; ++i)
        __builtin_prefetch((const uint16_t *)a->table + (r0 + R + i) * dim +
                           k);
    for (int t = 0; t < M; ++t)
      x[t] = *(const v16f *)(a->x + (t0 + t) * dim + k);
    for (int i = 0; i < R; ++i) {
      if (a->f16)
        TRIT_CAT(h2f16_, TRIT_ISA)((const uint16_t *)a->table +
                                       (r0 + i) * dim + k,
                                   (float *)&w);
      else
        w = *(const v16f *)((const float *)a->table + (r0 + i) * dim + k);
      for (int t = 0; t < M; ++t)
        acc[i][t] += w * x[t];
    }
  }
  for (int i = 0; i < R; ++i)
    for (int t = 0; t < M; ++t) {
      const float *x = a->x + (t0 + t) * dim;
      const uint16_t *half = (const uint16_t *)a->table + (r0 + i) * dim;
      const float *full = (const float *)a->table + (r0 + i) * dim;
      float lane0 = acc[i][t][0];
      for (int64_t j = k; j < dim; ++j)
        lane0 += (a->f16 ? trit_h2f(half[j]) : full[j]) * x[j];
      float sum = 0.0f + lane0;
      for (int l = 1; l < 16; ++l)
        sum += acc[i][t][l];
      out[(t0 + t) * a->vocab + r0 + i] = sum;
    }
}

/* Tokens [t0, n) of rows r0 .. r0 + R - 1, four at a time. */
static inline __attribute__((always_inline)) void TRIT_CAT(lm_head_tokens_,
                                                           TRIT_ISA)(
    const TRIT_CAT(lm_head_args_, TRIT_ISA) *a, int64_t r0, int R) {
  int64_t t = 0;
  for (; t + 4 <= a->n; t += 4)
    TRIT_CAT(lm_head_block_, TRIT_ISA)(a, r0, R, t, 4, a->out);
  switch (a->n - t) {
  case 3:
    TRIT_CAT(lm_head_block_, TRIT_ISA)(a, r0, R, t, 3, a->out);
    break;
  case 2:
    TRIT_CAT(lm_head_block_, TRIT_ISA)(a, r0, R, t, 2, a->out);
    break;
  case 1:
    TRIT_CAT(lm_head_block_, TRIT_ISA)(a, r0, R, t, 1, a->out);
    break;
  default:
    break;
  }
}

/* Vocabulary rows [begin, end) for every token: blocks of 4 rows x 4
 * tokens for 4 tokens or more (a prompt's, a batched step's), else one row
 * at a time (several rows per pass made 1 to 3 tokens up to 2x slower on
 * Zen 5, and 8 tokens 1.4x faster; measured 2026-12-07). */
static void TRIT_CAT(lm_head_rows_, TRIT_ISA)(void *closure, int64_t begin,
                                              int64_t end) {
  const TRIT_CAT(lm_head_args_, TRIT_ISA) *a = closure;
  int64_t r = begin;
  if (a->n >= 4)
    for (; r + 4 <= end; r += 4)
      TRIT_CAT(lm_head_tokens_, TRIT_ISA)(a, r, 4);
  for (; r < end; ++r)
    TRIT_CAT(lm_head_tokens_, TRIT_ISA)(a, r, 1);
}

/* Rounds x to f16 values into x_rounded for an f16 table, as ggml does
 * before multiplying; returns the row block the head multiplies. */
static inline const float *TRIT_CAT(lm_head_input_, TRIT_ISA)(
    const float *x, int64_t count, int32_t f16, float *x_rounded) {
  if (!f16)
    return x;
  for (int64_t i = 0; i < count; ++i)
    x_rounded[i] = trit_round_f16(x[i]);
  return x_rounded;
}

void TRIT_OP(lm_head)(const trit_exec_context *ctx, const float *x, int64_t n,
                      int64_t dim, const void *table, int32_t f16,
                      int64_t vocab, float *x_rounded, float *out) {
  const float *xin =
      TRIT_CAT(lm_head_input_, TRIT_ISA)(x, n * dim, f16, x_rounded);
  TRIT_CAT(lm_head_args_, TRIT_ISA) args = {table, xin, out, n, dim, vocab, f16};
  trit_parallel_for(ctx, TRIT_CAT(lm_head_rows_, TRIT_ISA), &args, 0, vocab,
                    16);
}

/*===--- compact LM head: int8 rows with one f32 scale each ---------------===*
 *
 * A faster, inexact variant chosen with tritc --lm-head=q8: the table is
 * [vocab] f32 row scales, then (64-byte aligned) [vocab][dim] int8 codes,
 * half the bytes of f16. The activation row is quantized like a BitLinear
 * input (int8, absmax), so a logit is an exact int32 dot scaled twice. */

typedef struct TRIT_CAT(lm_head_q8_args_, TRIT_ISA) {
  const float *row_scales;
  const int8_t *codes;
  const int8_t *q;       /* [n][dim] */
  const float *q_scales; /* [n] */
  float *out;
  int64_t n, dim, vocab;
} TRIT_CAT(lm_head_q8_args_, TRIT_ISA);

static void TRIT_CAT(lm_head_q8_rows_, TRIT_ISA)(void *closure, int64_t begin,
                                                 int64_t end) {
  const TRIT_CAT(lm_head_q8_args_, TRIT_ISA) *a = closure;
  int64_t dim = a->dim;
  for (int64_t r = begin; r < end; ++r) {
    const int8_t *row = a->codes + r * dim;
    for (int64_t t = 0; t < a->n; ++t) {
      const int8_t *x = a->q + t * dim;
      int32_t dot = 0;
      for (int64_t k = 0; k < dim; ++k)
        dot += (int32_t)row[k] * (int32_t)x[k];
      a->out[t * a->vocab + r] =
          (float)dot / a->q_scales[t] * a->row_scales[r];
    }
  }
}

void TRIT_OP(lm_head_q8)(const trit_exec_context *ctx, const float *x,
                         int64_t n, int64_t dim, const void *table,
                         int64_t vocab, void *scratch, float *out) {
  int8_t *q = scratch;
  float *q_scales = (float *)((uint8_t *)scratch + ((n * dim + 63) / 64) * 64);
  for (int64_t t = 0; t < n; ++t) {
    int32_t unused;
    q_scales[t] =
        trit_quantize_row_generic(x + t * dim, q + t * dim, dim, &unused);
  }
  const float *row_scales = table;
  const int8_t *codes =
      (const int8_t *)table + trit_head_copy_codes_offset(vocab);
  TRIT_CAT(lm_head_q8_args_, TRIT_ISA)
  args = {row_scales, codes, q, q_scales, out, n, dim, vocab};
  trit_parallel_for(ctx, TRIT_CAT(lm_head_q8_rows_, TRIT_ISA), &args, 0,
                    vocab, 16);
}

/*===--- 4-bit LM head: 128-element blocks with an f32 scale each ---------===*
 *
 * tritc --lm-head=q4: the table is [vocab][dim / 128] f32 block scales,
 * then (64-byte aligned) per row and block 64 bytes whose byte j holds
 * element j in its low nibble and element 64 + j in its high one, as
 * code + 8 (codes -7..7). A quarter of the bytes of f16.
 *
 * The arithmetic is that of a 512-bit vpdpbusd over the 64 code bytes:
 * lane l (0..15) of block b sums elements 4l..4l+3 and 64+4l..64+4l+3
 * exactly in int32, starting from -8 times their activations' sum (the
 * code offset); the lane is scaled by the block's scale and added to the
 * lane's float sum; the sixteen float sums are added in order. Every
 * instruction set computes exactly this, so all give the same bits. */

#ifndef TRIT_Q4_ROW_KERNEL
/* One row's float dot with one token: `offsets` holds the token's -8 * lane
 * sums, [blocks][16]. */
static inline float TRIT_CAT(q4_dot_row_, TRIT_ISA)(
    const uint8_t *codes, const float *scales, const int8_t *x,
    const int32_t *offsets, int64_t blocks) {
  float acc[16] = {0};
  for (int64_t b = 0; b < blocks; ++b) {
    const uint8_t *c = codes + b * 64;
    const int8_t *xb = x + b * 128;
    int32_t lane[16];
    for (int l = 0; l < 16; ++l) {
      int32_t s = offsets[b * 16 + l];
      for (int i = 0; i < 4; ++i) {
        int j = 4 * l + i;
        s += (int32_t)(c[j] & 15) * xb[j] + (int32_t)(c[j] >> 4) * xb[64 + j];
      }
      lane[l] = s;
    }
    for (int l = 0; l < 16; ++l)
      acc[l] += (float)lane[l] * scales[b];
  }
  float sum = 0.0f;
  for (int l = 0; l < 16; ++l)
    sum += acc[l];
  return sum;
}
#define TRIT_Q4_ROW_KERNEL TRIT_CAT(q4_dot_row_, TRIT_ISA)
#endif

typedef struct TRIT_CAT(lm_head_q4_args_, TRIT_ISA) {
  const float *scales;  /* [vocab][blocks] */
  const uint8_t *codes; /* [vocab][dim / 2] */
  const int8_t *q;      /* [n][dim] */
  const float *q_scales;
  const int32_t *offsets; /* [n][blocks][16] */
  float *out;
  int64_t n, dim, vocab;
} TRIT_CAT(lm_head_q4_args_, TRIT_ISA);

static void TRIT_CAT(lm_head_q4_rows_, TRIT_ISA)(void *closure, int64_t begin,
                                                 int64_t end) {
  const TRIT_CAT(lm_head_q4_args_, TRIT_ISA) *a = closure;
  int64_t blocks = a->dim / 128;
  for (int64_t r = begin; r < end; ++r)
    for (int64_t t = 0; t < a->n; ++t)
      a->out[t * a->vocab + r] =
          TRIT_Q4_ROW_KERNEL(a->codes + r * (a->dim / 2),
                             a->scales + r * blocks, a->q + t * a->dim,
                             a->offsets + t * blocks * 16, blocks) /
          a->q_scales[t];
}

/* The scratch: the quantized input [n][dim], its scales [n] and lane
 * offsets [n][dim / 128][16] (1.5 dim + 4 bytes per row: within the
 * 4 dim bytes the memory plan gives the LM head). */
void TRIT_OP(lm_head_q4)(const trit_exec_context *ctx, const float *x,
                         int64_t n, int64_t dim, const void *table,
                         int64_t vocab, void *scratch, float *out) {
  int64_t blocks = dim / 128;
  int8_t *q = scratch;
  float *q_scales = (float *)((uint8_t *)scratch + ((n * dim + 63) / 64) * 64);
  int32_t *offsets = (int32_t *)(q_scales + ((n + 15) / 16) * 16);
  for (int64_t t = 0; t < n; ++t) {
    int32_t unused;
    q_scales[t] =
        trit_quantize_row_generic(x + t * dim, q + t * dim, dim, &unused);
    for (int64_t b = 0; b < blocks; ++b)
      for (int l = 0; l < 16; ++l) {
        const int8_t *xb = q + t * dim + b * 128;
        int32_t s = 0;
        for (int i = 0; i < 4; ++i)
          s += xb[4 * l + i] + xb[64 + 4 * l + i];
        offsets[(t * blocks + b) * 16 + l] = -8 * s;
      }
  }
  const float *scales = table;
  const uint8_t *codes =
      (const uint8_t *)table + trit_head_copy_codes_offset(vocab * blocks);
  TRIT_CAT(lm_head_q4_args_, TRIT_ISA)
  args = {scales, codes, q, q_scales, offsets, out, n, dim, vocab};
  trit_parallel_for(ctx, TRIT_CAT(lm_head_q4_rows_, TRIT_ISA), &args, 0,
                    vocab, 16);
}

#undef TRIT_Q4_ROW_KERNEL

/*===--- reranking LM head: a ternary copy, then exact rows ---------------===*
 *
 * tritc --lm-head=rerank (and auto for large float tables): `compact` is a
 * ternary copy of the table (layouts.h, TERNARY_ROWS_*): [vocab] f32 row
 * scales, the error statistics below, then (64-byte aligned) the rows'
 * codes in the layout `copy` names (trit_rerank_copy: I2_S, T3X5, T3X5 read
 * by the AVX-512 VBMI row dots, or T3X5 with rows in lanes, in superblocks
 * of 64 rows past `vocab`). Every logit is first estimated from it like a
 * BitLinear with a scale per row (1.67 or 2 bits per weight instead of 16);
 * then the `candidates` rows with the highest estimates are computed again
 * from the exact table with the exact head's arithmetic (lm_head_block_).
 *
 * The check: an estimate's error, exact - estimate = d.x + s t.(x - x^)
 * (d = w - s t the ternarization's residual, x^ the int8 input), is
 * modelled as a sum of independent terms, with a standard deviation of
 * sigma_r = a_r X + b_r E: a_r = |d_r| / sqrt(dim) and b_r = s_r
 * sqrt(nonzeros_r / dim) per row, X = sqrt(sum_j c_j x_j^2) with c_j the
 * column j's share of the residuals' energy, E = |x - x^| per token. Every
 * other row whose estimate + margin sigma_r reaches the best exact logit
 * so far is computed exactly as well, so the result is the exact head's
 * argmax unless some row's error exceeds `margin` of its sigmas
 * (docs/performance.md measures how far the errors go). margin 0 skips the
 * check. The logits of rows never recomputed keep their estimates, unless
 * the context asks for exact logits (TRIT_EXEC_EXACT_LOGITS): then the
 * whole table is read. */

/* The most candidates one token may have (the memory plan's room), and the
 * checked rows computed per batch. */
#define TRIT_RERANK_MAX_CANDIDATES 8192
#define TRIT_RERANK_CHECK_BATCH 8192
#define TRIT_RERANK_BINS 4096

typedef struct TRIT_CAT(lm_head_ternary_args_, TRIT_ISA) {
  TRIT_CAT(bitlinear_args_, TRIT_ISA) rows; /* with row_scales */
  int64_t dim, vocab;
  int32_t copy; /* trit_rerank_copy */
  trit_chunks chunks;
} TRIT_CAT(lm_head_ternary_args_, TRIT_ISA);

/* Estimated logits of the vocabulary rows for every token: the layout's
 * BitLinear range with a scale per row. */
static void TRIT_CAT(lm_head_ternary_task_, TRIT_ISA)(void *closure) {
  TRIT_CAT(lm_head_ternary_args_, TRIT_ISA) *a = closure;
  trit_chunks *chunks = &a->chunks;
#ifdef TRIT_T3X5_VBMI_TILE
  if (a->copy == TRIT_RERANK_COPY_T3X5_VBMI) {
    TRIT_OP(bitlinear_t3x5_vbmi_range)(&a->rows, a->dim, a->vocab, chunks);
    return;
  }
#endif
#ifdef TRIT_T3X5X64_ROWS
  if (a->copy == TRIT_RERANK_COPY_T3X5_X64) {
    TRIT_OP(bitlinear_t3x5x64_range)(&a->rows, a->dim, a->vocab, chunks);
    return;
  }
#endif
  (a->copy == TRIT_RERANK_COPY_I2_S ? TRIT_OP(bitlinear_range)
                                    : TRIT_OP(bitlinear_t3x5_range))(
      &a->rows, a->dim, a->vocab, chunks);
}

/* The rows of the `count` highest of `values` (at least `count` of them
 * when several share the cut-off bin, at most `capacity`), in row order:
 * a histogram of TRIT_RERANK_BINS bins between the minimum and the
 * maximum finds the bin that holds the cut-off, then one pass collects
 * every row at or above it. Returns how many rows it wrote. */
static int64_t TRIT_CAT(select_highest_, TRIT_ISA)(const float *values,
                                                   int64_t size, int64_t count,
                                                   int64_t capacity,
                                                   int32_t *hist,
                                                   int32_t *rows) {
  float lo = values[0], hi = values[0];
  for (int64_t i = 1; i < size; ++i) {
    lo = values[i] < lo ? values[i] : lo;
    hi = values[i] > hi ? values[i] : hi;
  }
  /* NaN estimates compare false everywhere: they are never selected. */
  float width = (hi - lo) / TRIT_RERANK_BINS;
  float inverse = width > 0.0f ? 1.0f / width : 0.0f;
  for (int b = 0; b < TRIT_RERANK_BINS; ++b)
    hist[b] = 0;
  for (int64_t i = 0; i < size; ++i) {
    float f = (values[i] - lo) * inverse;
    int b = f >= (float)(TRIT_RERANK_BINS - 1) ? TRIT_RERANK_BINS - 1
            : f > 0.0f                         ? (int)f
                                               : 0;
    hist[b] += values[i] == values[i];
  }
  int cut = TRIT_RERANK_BINS - 1;
  for (int64_t above = hist[cut]; above < count && cut > 0;)
    above += hist[--cut];
  int64_t written = 0;
  for (int64_t i = 0; i < size && written < capacity; ++i) {
    float f = (values[i] - lo) * inverse;
    if (f >= (float)cut)
      rows[written++] = (int32_t)i;
  }
  return written;
}

typedef struct TRIT_CAT(lm_head_exact_rows_args_, TRIT_ISA) {
  const TRIT_CAT(lm_head_args_, TRIT_ISA) *head;
  const int32_t *rows;
  int64_t t;
} TRIT_CAT(lm_head_exact_rows_args_, TRIT_ISA);

/* Listed rows [begin, end) of one token, from the exact table. */
static void TRIT_CAT(lm_head_exact_rows_, TRIT_ISA)(void *closure,
                                                    int64_t begin,
                                                    int64_t end) {
  const TRIT_CAT(lm_head_exact_rows_args_, TRIT_ISA) *a = closure;
  const TRIT_CAT(lm_head_args_, TRIT_ISA) *head = a->head;
  int64_t row_bytes = head->dim * (head->f16 ? 2 : 4);
  for (int64_t i = begin; i < end; ++i) {
    int64_t r = a->rows[i];
    /* The rows are scattered: fetch a few ahead while this one is read. */
    if (i + 4 < end) {
      const char *next = (const char *)head->table + a->rows[i + 4] * row_bytes;
      for (int64_t b = 0; b < row_bytes; b += 64)
        __builtin_prefetch(next + b);
    }
    TRIT_CAT(lm_head_block_, TRIT_ISA)(head, r, 1, a->t, 1, head->out);
  }
}

/* Computes the listed rows of token t exactly and returns the highest of
 * `best` and their logits. */
static float TRIT_CAT(lm_head_exact_list_,
                      TRIT_ISA)(const trit_exec_context *ctx,
                                const TRIT_CAT(lm_head_args_, TRIT_ISA) * head,
                                const int32_t *rows, int64_t count, int64_t t,
                                float best) {
  TRIT_CAT(lm_head_exact_rows_args_, TRIT_ISA) exact = {head, rows, t};
  trit_parallel_for(ctx, TRIT_CAT(lm_head_exact_rows_, TRIT_ISA), &exact, 0,
                    count, 1);
  const float *logits = head->out + t * head->vocab;
  for (int64_t i = 0; i < count; ++i)
    best = logits[rows[i]] > best ? logits[rows[i]] : best;
  return best;
}

/* A token's margin x sigma factors for the copy's two blocks of ternary
 * rows, whose column shares c are `c1` and `c2` (layouts.h): margin X of
 * each and margin E, which they share. */
static void TRIT_CAT(rerank_spreads_, TRIT_ISA)(const float *c1,
                                                const float *c2, int64_t dim,
                                                const float *x,
                                                const int8_t *q, float q_scale,
                                                float margin, float *spread1,
                                                float *spread2) {
  /* In double: they scale every row's sigma. */
  double xx1 = 0.0, xx2 = 0.0, ee = 0.0;
  for (int64_t j = 0; j < dim; ++j) {
    double e = (double)x[j] - (double)q[j] / (double)q_scale;
    double x2 = (double)x[j] * (double)x[j];
    xx1 += (double)c1[j] * x2;
    xx2 += (double)c2[j] * x2;
    ee += e * e;
  }
  spread1[0] = margin * (float)__builtin_sqrt(xx1);
  spread2[0] = margin * (float)__builtin_sqrt(xx2);
  spread1[1] = spread2[1] = margin * (float)__builtin_sqrt(ee);
}

typedef struct TRIT_CAT(rerank_residual_args_, TRIT_ISA) {
  const float *header; /* the residual block's */
  const uint8_t *codes;
  const int8_t *q;
  int64_t dim, vocab;
  int32_t q_sum;
  float q_scale;
  const int32_t *rows;
  const float *first; /* the first estimates, [vocab] */
  float *refined;     /* [count] */
} TRIT_CAT(rerank_residual_args_, TRIT_ISA);

/* The listed rows' estimates refined by the residual block: first +
 * scale2 * (t2 . q) / q_scale, by the T3X5 row dots. */
static void TRIT_CAT(rerank_refine_rows_, TRIT_ISA)(void *closure,
                                                    int64_t begin,
                                                    int64_t end) {
  const TRIT_CAT(rerank_residual_args_, TRIT_ISA) *a = closure;
  for (int64_t i = begin; i < end; ++i) {
    int64_t r = a->rows[i];
    int32_t dot;
    TRIT_KERNEL(t3x5_dot_rows)(a->codes,
                               a->q, a->dim, r, r + 1, &dot);
    a->refined[i] = a->first[r] + trit_bitlinear_output(dot, a->q_sum,
                                                        a->q_scale,
                                                        a->header[r]);
  }
}

/* The check of token t (see above), in two steps. Every row outside the
 * `selected` candidates (in row order) whose first estimate + margin
 * sigma reaches the best exact logit is listed, TRIT_RERANK_CHECK_BATCH
 * at a time (`batch`); a batch's estimates are refined with the residual
 * block (what the first ternary rows leave out, ternarized again: a
 * smaller error and sigma), and the rows whose refined estimate + margin
 * sigma still reaches the best are computed exactly, each batch raising
 * the bar for the rest. */
static void TRIT_CAT(lm_head_check_, TRIT_ISA)(
    const trit_exec_context *ctx, const TRIT_CAT(lm_head_args_, TRIT_ISA) *head,
    const float *stats, const uint8_t *residual, const int8_t *q,
    float q_scale, int32_t q_sum, float margin, const int32_t *candidates,
    int64_t selected, int32_t *batch, float *refined, int64_t t, float best) {
  int64_t dim = head->dim, vocab = head->vocab;
  const float *a = stats + vocab, *b = stats + 2 * vocab;
  const float *header2 = (const float *)residual;
  const float *a2 = header2 + vocab, *b2 = header2 + 2 * vocab;
  const float *x = head->x + t * dim;
  float spread[2], spread2[2];
  TRIT_CAT(rerank_spreads_, TRIT_ISA)(stats + 3 * vocab, header2 + 3 * vocab,
                                      dim, x, q, q_scale, margin, spread,
                                      spread2);
  const float *logits = head->out + t * vocab;
  TRIT_CAT(rerank_residual_args_, TRIT_ISA)
  refine = {header2,
            residual + trit_ternary_rows_codes_offset(vocab, dim),
            q,
            dim,
            vocab,
            q_sum,
            q_scale,
            batch,
            logits,
            refined};
  int64_t next = 0, count = 0;
  for (int64_t r0 = 0; r0 < vocab; r0 += 64) {
    /* A mask of 64 rows' tests at a time (vectorized), then the few rows
     * that pass, less the candidates (already exact). */
    int64_t width = vocab - r0 < 64 ? vocab - r0 : 64;
    uint64_t pass = 0;
    for (int64_t i = 0; i < width; ++i)
      /* Written so that a NaN bound (a damaged copy) passes. */
      pass |= (uint64_t)!(logits[r0 + i] +
                              (a[r0 + i] * spread[0] + b[r0 + i] * spread[1]) <
                          best)
              << i;
    for (; pass; pass &= pass - 1) {
      int64_t r = r0 + __builtin_ctzll(pass);
      while (next < selected && candidates[next] < r)
        ++next;
      if (!(next < selected && candidates[next] == r))
        batch[count++] = (int32_t)r;
    }
    int last = r0 + 64 >= vocab;
    if ((!last && count + 64 <= TRIT_RERANK_CHECK_BATCH) || !count)
      continue;
    /* A full batch (or the last): refine, keep the rows that may still
     * beat the best, compute those exactly. */
    trit_parallel_for(ctx, TRIT_CAT(rerank_refine_rows_, TRIT_ISA), &refine, 0,
                      count, 64);
    int64_t kept = 0;
    for (int64_t i = 0; i < count; ++i) {
      int64_t r = batch[i];
      if (!(refined[i] + (a2[r] * spread2[0] + b2[r] * spread2[1]) < best))
        batch[kept++] = (int32_t)r;
    }
    if (kept)
      best = TRIT_CAT(lm_head_exact_list_, TRIT_ISA)(ctx, head, batch, kept, t,
                                                     best);
    count = 0;
  }
}

/* The scratch: the input rounded for the exact table [n][dim] f32, its
 * int8 codes [n][dim], their scales and sums [n], then the histogram, the
 * candidate rows, the check's batch and its refined estimates (the layout
 * of the compiler's getLMHeadScratchSize). */
void TRIT_OP(lm_head_rerank)(const trit_exec_context *ctx, const float *x,
                             int64_t n, int64_t dim, const void *compact,
                             int32_t copy, const void *table, int32_t f16,
                             int64_t vocab, int64_t candidates, float margin,
                             void *scratch, float *out) {
  uint8_t *base = scratch;
  float *x_rounded = (float *)base;
  if (ctx->flags & TRIT_EXEC_EXACT_LOGITS) {
    TRIT_OP(lm_head)(ctx, x, n, dim, table, f16, vocab, x_rounded, out);
    return;
  }
  int8_t *q = (int8_t *)(base + ((n * dim * 4 + 63) / 64) * 64);
  float *q_scales = (float *)((uint8_t *)q + ((n * dim + 63) / 64) * 64);
  int32_t *q_sums = (int32_t *)(q_scales + ((n + 15) / 16) * 16);
  int32_t *hist = q_sums + ((n + 15) / 16) * 16;
  int32_t *rows = hist + TRIT_RERANK_BINS;
  int32_t *batch = rows + TRIT_RERANK_MAX_CANDIDATES;
  float *refined = (float *)(batch + TRIT_RERANK_CHECK_BATCH);
  for (int64_t t = 0; t < n; ++t)
    q_scales[t] =
        trit_quantize_row_generic(x + t * dim, q + t * dim, dim, &q_sums[t]);
  const float *row_scales = compact;
  const uint8_t *codes =
      (const uint8_t *)compact + trit_ternary_rows_codes_offset(vocab, dim);
  const uint8_t *residual =
      (const uint8_t *)compact +
      trit_ternary_rows_residual_offset(
          copy == TRIT_RERANK_COPY_I2_S       ? TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_I2_S
          : copy == TRIT_RERANK_COPY_T3X5_X64 ? TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_T3X5_X64
                                              : TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_T3X5,
          vocab, dim);
  TRIT_CAT(lm_head_ternary_args_, TRIT_ISA)
  estimate = {{codes, q, q_scales, q_sums, out, n, 0.0f, row_scales, 0},
              dim,
              vocab,
              copy,
              trit_chunks_for(
                  ctx, 0, vocab, TRIT_BITLINEAR_ROW_ALIGN,
                  TRIT_CAT(bitlinear_chunks_per_thread_, TRIT_ISA)(n))};
  trit_run_task(ctx, TRIT_CAT(lm_head_ternary_task_, TRIT_ISA), &estimate);

  const float *xin =
      TRIT_CAT(lm_head_input_, TRIT_ISA)(x, n * dim, f16, x_rounded);
  TRIT_CAT(lm_head_args_, TRIT_ISA) head = {table, xin, out, n, dim, vocab, f16};
  if (candidates > TRIT_RERANK_MAX_CANDIDATES)
    candidates = TRIT_RERANK_MAX_CANDIDATES;
  for (int64_t t = 0; t < n; ++t) {
    int64_t selected = TRIT_CAT(select_highest_, TRIT_ISA)(
        out + t * vocab, vocab, candidates, TRIT_RERANK_MAX_CANDIDATES, hist,
        rows);
    float best = TRIT_CAT(lm_head_exact_list_, TRIT_ISA)(
        ctx, &head, rows, selected, t, -__builtin_inff());
    if (margin > 0.0f)
      TRIT_CAT(lm_head_check_, TRIT_ISA)(
          ctx, &head, row_scales, residual, q + t * dim, q_scales[t],
          q_sums[t], margin, rows, selected, batch, refined, t, best);
  }
}
#undef TRIT_ATTENTION_DOT16
#undef TRIT_ATTENTION_ACCUMULATE16
#undef trit_h2f
#undef trit_f2h
#undef trit_round_f16
#undef trit_expf
#undef trit_parallel_for
#undef trit_chunks_for
#undef trit_run_task
