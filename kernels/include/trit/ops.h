/*===- ops.h - prototypes of the model operations, per instruction set ---===*
 *
 * Defined in kernels/src/ops.h, once per instruction-set file. Generated code
 * calls them (through the bitcode); tests call the native builds.
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_OPS_H
#define TRIT_OPS_H

#include "trit/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The named values of the ops' integer parameters: the generated code
 * passes these, the kernels switch on them. */

/* trit_op_gate's `kind`: the FFN's gating. */
enum trit_gate_kind {
  TRIT_GATE_RELU2 = 0, /* relu(g)^2 * u (BitNet) */
  TRIT_GATE_SILU = 1,  /* silu(g) * u (SwiGLU) */
};

/* trit_op_lm_head_rerank's `copy`: how its ternary copy of the table is
 * laid out and read. */
enum trit_rerank_copy {
  TRIT_RERANK_COPY_I2_S = 0,      /* ternary_rows_i2_s */
  TRIT_RERANK_COPY_T3X5 = 1,      /* ternary_rows_t3x5 */
  TRIT_RERANK_COPY_T3X5_VBMI = 2, /* the same, read by AVX-512 VBMI row dots */
  TRIT_RERANK_COPY_T3X5_X64 = 3,  /* ternary_rows_t3x5_x64: rows in lanes */
};

/* A BitLinear's range function, generated per weight shape and layout: it
 * calls the layout's trit_op_bitlinear_*_range with the shape as
 * constants, on a thread of the op's task, and takes row chunks until none
 * is left. */
/* A ternary LM head's scratch (trit_op_lm_head_t2g): n rows of dim int8
 * codes, then per Q8_0 block an f32 d and an int32 sum. */
static inline int64_t trit_lm_head_t2g_d_offset(int64_t n, int64_t dim) {
  return (n * dim + 63) / 64 * 64;
}
static inline int64_t trit_lm_head_t2g_scratch_bytes(int64_t n, int64_t dim) {
  return trit_lm_head_t2g_d_offset(n, dim) + n * (dim / 32) * 8;
}

typedef void (*trit_bitlinear_range_fn)(const void *args,
                                        trit_chunks *chunks);

#define TRIT_DECLARE_OPS(isa)                                                  \
  const void *trit_op_weight_##isa(const trit_exec_context *ctx,              \
                                   int64_t index);                             \
  uint8_t *trit_op_arena_##isa(const trit_exec_context *ctx);                 \
  int32_t trit_op_check_inputs_##isa(                                          \
      const trit_exec_context *ctx, const int32_t *tokens, int64_t n,          \
      int64_t start, int64_t logit_rows, int64_t max_tokens,                   \
      int64_t max_context, int64_t vocab);                                     \
  void trit_op_embedding_f16_##isa(const uint16_t *table,                     \
                                   const int32_t *tokens, int64_t n,          \
                                   int64_t dim, float *out);                  \
  void trit_op_embedding_f32_##isa(const float *table, const int32_t *tokens, \
                                   int64_t n, int64_t dim, float *out);       \
  void trit_op_rms_norm_##isa(const float *x, const float *w, float eps,      \
                              int64_t n, int64_t cols, float *out);           \
  void trit_op_add_##isa(const float *a, const float *b, int64_t count,       \
                         float *out);                                          \
  void trit_op_mul_##isa(const float *a, const float *b, int64_t count,       \
                         float *out);                                          \
  void trit_op_gate_##isa(int32_t kind /* trit_gate_kind */, const float *g, \
                          const float *u,                                      \
                          int64_t count, float *out);                         \
  void trit_op_norm_quantize_##isa(                                            \
      const trit_exec_context *ctx, const float *x, const float *norm_weight,  \
      float eps, int64_t n, int64_t cols, float *normed, int8_t *q,            \
      float *q_scales, int32_t *q_sums);                                       \
  void trit_op_bitlinear_range_##isa(const void *closure, int64_t cols,       \
                                     int64_t rows, trit_chunks *chunks);      \
  void trit_op_bitlinear_t3x5_range_##isa(const void *closure, int64_t cols,  \
                                          int64_t rows, trit_chunks *chunks); \
  void trit_op_bitlinear_##isa(                                                \
      const trit_exec_context *ctx, trit_bitlinear_range_fn range,             \
      const uint8_t *weights, float w_scale, const int8_t *q,                  \
      const float *q_scales, const int32_t *q_sums, int64_t n, int64_t rows,   \
      float *out);                                                             \
  void trit_op_rope_##isa(const trit_exec_context *ctx, const float *x,       \
                          int64_t n, int64_t width, int64_t head_dim,         \
                          int64_t start, int32_t neox, float *out);           \
  void trit_op_kv_store_##isa(const trit_exec_context *ctx, int64_t layer,    \
                              const float *k, const float *v, int64_t n,      \
                              int64_t start, int64_t kv_width);               \
  void trit_op_attention_##isa(                                                \
      const trit_exec_context *ctx, int64_t layer, const float *q, int64_t n, \
      int64_t start, int64_t heads, int64_t kv_heads, int64_t head_dim,       \
      float scale, int64_t max_context, float *scratch, float *out);          \
  void trit_op_lm_head_##isa(const trit_exec_context *ctx, const float *x,    \
                             int64_t n, int64_t dim, const void *table,       \
                             int32_t f16, int64_t vocab, float *x_rounded,    \
                             float *out);                                      \
  void trit_op_lm_head_q8_##isa(const trit_exec_context *ctx, const float *x, \
                                int64_t n, int64_t dim, const void *table,    \
                                int64_t vocab, void *scratch, float *out);    \
  void trit_op_lm_head_q4_##isa(const trit_exec_context *ctx, const float *x, \
                                int64_t n, int64_t dim, const void *table,    \
                                int64_t vocab, void *scratch, float *out);    \
  void trit_op_lm_head_rerank_##isa(                                           \
      const trit_exec_context *ctx, const float *x, int64_t n, int64_t dim,    \
      const void *compact, int32_t copy /* trit_rerank_copy */,                \
      const void *table, int32_t f16,                                          \
      int64_t vocab, int64_t candidates, void *scratch, float *out);         \
  /* Group-scaled ternary (T2G, kernels.h): Q8_0 activations, the           \
   * BitLinear ranges of each group size, the embedding and the LM head. */  \
  void trit_op_norm_quantize_q8_0_##isa(                                       \
      const trit_exec_context *ctx, const float *x, const float *norm_weight,  \
      float eps, int64_t n, int64_t cols, float *normed, int8_t *q,            \
      float *q_d, int32_t *q_sums);                                            \
  void trit_op_bitlinear_t2g64_range_##isa(const void *closure, int64_t cols, \
                                           int64_t rows, trit_chunks *chunks);\
  void trit_op_bitlinear_t2g128_range_##isa(                                   \
      const void *closure, int64_t cols, int64_t rows, trit_chunks *chunks);   \
  void trit_op_embedding_t2g_##isa(const uint8_t *table,                      \
                                   const int32_t *tokens, int64_t n,          \
                                   int64_t dim, int64_t group, float *out);   \
  void trit_op_lm_head_t2g_##isa(                                              \
      const trit_exec_context *ctx, trit_bitlinear_range_fn range,             \
      const float *x, int64_t n, int64_t dim, const uint8_t *table,            \
      int64_t vocab, void *scratch, float *out);

TRIT_DECLARE_OPS(generic)
TRIT_DECLARE_OPS(avx2)
TRIT_DECLARE_OPS(avx512vnni)
TRIT_DECLARE_OPS(neon_dotprod)

/* The T3X5 BitLinear range with AVX-512 VBMI row dots (targets that have
 * it), AVX-512 VNNI family only. */
void trit_op_bitlinear_t3x5_vbmi_range_avx512vnni(const void *closure,
                                                  int64_t cols, int64_t rows,
                                                  trit_chunks *chunks);
/* The T3X5 BitLinear range through lookup tables (tritc --prompt-lut),
 * AVX-512 VNNI family only (its kernel needs AVX-512 VBMI too). */
void trit_op_bitlinear_t3x5_lut_range_avx512vnni(const void *closure,
                                                 int64_t cols, int64_t rows,
                                                 trit_chunks *chunks);

#ifdef __cplusplus
}
#endif

#endif /* TRIT_OPS_H */
