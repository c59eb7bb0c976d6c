/*===- ops.h - prototypes of the model operations, per instruction set ---===*
 *
 * Declared from trit/ops.def, the one list of the operations and their
 * signatures; defined once per kernel family (kernels/src). Generated code
 * calls them (through the bitcode); tests call the native builds.
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_OPS_H
#define TRIT_OPS_H

#include "trit/abi.h"
#include "trit/families.h"

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

/* trit_op_rope's `mode`: which elements a rotation pairs. */
enum trit_rope_mode {
  TRIT_ROPE_NORMAL = 0, /* (2i, 2i + 1), llama.cpp's LLAMA_ROPE_TYPE_NORM */
  TRIT_ROPE_NEOX = 1,   /* (i, i + head_dim / 2), GPT-NeoX */
};

/* trit_op_lm_head's and trit_op_lm_head_rerank's `table_type`. */
enum trit_table_type {
  TRIT_TABLE_F32 = 0,
  TRIT_TABLE_F16 = 1, /* IEEE binary16 */
};

/* trit_op_lm_head_rerank's `copy`: how its ternary copy of the table is
 * laid out and read. */
enum trit_rerank_copy {
  TRIT_RERANK_COPY_I2_S = 0,      /* ternary_rows_i2_s */
  TRIT_RERANK_COPY_T3X5 = 1,      /* ternary_rows_t3x5 */
  TRIT_RERANK_COPY_T3X5_VBMI = 2, /* the same, read by AVX-512 VBMI row dots */
  TRIT_RERANK_COPY_T3X5_X64 = 3,  /* ternary_rows_t3x5_x64: rows in lanes */
};

/* A ternary LM head's scratch (trit_op_lm_head_t2g): n rows of dim int8
 * codes, then per Q8_0 block an f32 d and an int32 sum. */
static inline int64_t trit_lm_head_t2g_d_offset(int64_t n, int64_t dim) {
  return (n * dim + 63) / 64 * 64;
}
static inline int64_t trit_lm_head_t2g_scratch_bytes(int64_t n, int64_t dim) {
  return trit_lm_head_t2g_d_offset(n, dim) + n * (dim / 32) * 8;
}

/* A BitLinear's range function, generated per weight shape and layout: it
 * calls the layout's trit_op_bitlinear_*_range with the shape as
 * constants, on a thread of the op's task, and takes row chunks until none
 * is left. */
typedef void (*trit_bitlinear_range_fn)(const void *args,
                                        trit_chunks *chunks);

/* The prototypes of every family's operations, from trit/ops.def. */
#define TRIT_DECLARE_OP(isa, name, ret, params) ret trit_op_##name##_##isa params;
#define TRIT_OP(name, ret, params)                                             \
  TRIT_KERNEL_FAMILIES(TRIT_DECLARE_OP, name, ret, params)
#define TRIT_OP_AVX512VBMI(name, ret, params)                                  \
  ret trit_op_##name##_avx512vnni params;
#include "trit/ops.def"
#undef TRIT_DECLARE_OP

#ifdef __cplusplus
}
#endif

#endif /* TRIT_OPS_H */
