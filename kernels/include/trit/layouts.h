/*===- layouts.h - the weight layouts of a .trit artifact ----------*- C -*-===
 *
 * Every layout a weight can have in an artifact, stated once: the compiler
 * packs weights into them (trit/Compiler/WeightLayouts.h), the generated
 * code's kernels read them, the artifact's weight table names them
 * (runtime/schema/artifact.fbs) and the tools size them. Plain C without
 * libc, so that the kernels (built freestanding), the runtime, the compiler
 * and the tools all include it. The byte order of the ternary layouts is
 * defined next to the kernels that read them, in kernels.h.
 *
 * Adding a layout: docs/development.md, "Adding a weight layout".
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_LAYOUTS_H
#define TRIT_LAYOUTS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a weight in a layout is to the model. */
enum trit_weight_role {
  /* Floats: norm weights, the embedding, an exact LM head. */
  TRIT_WEIGHT_ROLE_FLOAT,
  /* A BitLinear's ternary matrix: one multiply-add per weight and token. */
  TRIT_WEIGHT_ROLE_TERNARY,
  /* A compact copy of the LM head's table (tritc --lm-head), which the head
   * reads instead of the float table. */
  TRIT_WEIGHT_ROLE_HEAD_COPY,
};

/* X(ID, name, role, column multiple, row multiple), one line per layout:
 * - name: the string the artifact records (artifacts hold it: never
 *   change one);
 * - role: a trit_weight_role without its prefix;
 * - column multiple: the row lengths the layout holds;
 * - row multiple: the row counts it holds (1: any).
 * A vector of n elements is one row of n columns. */
#define TRIT_WEIGHT_LAYOUTS(X)                                                 \
  /* f32, as is. */                                                            \
  X(F32, "f32", FLOAT, 1, 1)                                                   \
  /* IEEE binary16, rounded to nearest even. */                                \
  X(F16, "f16", FLOAT, 1, 1)                                                   \
  /* bitnet.cpp's I2_S (kernels.h): 2 bits per weight. */                      \
  X(I2_S, "i2_s", TERNARY, 128, 1)                                             \
  /* Three weights in a 5-bit code, rows one after another (kernels.h). */     \
  X(T3X5, "t3x5", TERNARY, 64, 1)                                              \
  /* T3X5 with 64 rows in lanes, #trit.packing<t3x5, interleave = 64>          \
   * (kernels.h); tritc --weight-packing=t3x5x64. */                           \
  X(T3X5_X64, "t3x5_x64", TERNARY, 64, 64)                                     \
  /* [rows] f32 scales (absmax / 127), then [rows][cols] int8 codes. */        \
  X(Q8_ROWS, "q8_rows", HEAD_COPY, 1, 1)                                       \
  /* [rows][cols / 128] f32 block scales (absmax / 7), then per row and        \
   * 128-element block 64 bytes: byte j holds element j (low nibble) and       \
   * 64 + j (high nibble) as code + 8, codes in [-7, 7]. */                    \
  X(Q4_BLOCKS, "q4_blocks", HEAD_COPY, 128, 1)                                 \
  /* A reranking head's estimate: [rows] f32 scales, its error statistics      \
   * ([rows] a, [rows] b, [cols] c: ops_template.h's check), then at           \
   * trit_ternary_rows_codes_offset the rows ternarized and packed as I2_S,    \
   * T3X5 or T3X5 with rows in lanes (rows padded with zeros to superblocks    \
   * of 64); then at trit_ternary_rows_residual_offset what the rows           \
   * leave out, ternarized again: the same header and T3X5 rows. */            \
  X(TERNARY_ROWS_I2_S, "ternary_rows_i2_s", HEAD_COPY, 128, 1)                 \
  X(TERNARY_ROWS_T3X5, "ternary_rows_t3x5", HEAD_COPY, 64, 1)                  \
  X(TERNARY_ROWS_T3X5_X64, "ternary_rows_t3x5_x64", HEAD_COPY, 64, 1)        \
  /* Group-scaled ternary (Ternary Bonsai): 2-bit codes with 16 rows in      \
   * lanes and one f16 scale per 64 or 128 weights of a row (kernels.h,     \
   * "T2G"); rows padded with zero weights to a multiple of 16. */           \
  X(T2G64_X16, "t2g64_x16", TERNARY, 64, 1)                                  \
  X(T2G128_X16, "t2g128_x16", TERNARY, 128, 1)

enum trit_weight_layout {
#define TRIT_LAYOUT_ENUM(id, name, role, cols, rows) TRIT_WEIGHT_LAYOUT_##id,
  TRIT_WEIGHT_LAYOUTS(TRIT_LAYOUT_ENUM)
#undef TRIT_LAYOUT_ENUM
  TRIT_WEIGHT_LAYOUT_COUNT
};

/* The layout's name in the artifact. */
static inline const char *
trit_weight_layout_name(enum trit_weight_layout layout) {
  switch (layout) {
#define TRIT_LAYOUT_NAME(id, name, role, cols, rows)                           \
  case TRIT_WEIGHT_LAYOUT_##id:                                                \
    return name;
    TRIT_WEIGHT_LAYOUTS(TRIT_LAYOUT_NAME)
#undef TRIT_LAYOUT_NAME
  default:
    return "";
  }
}

/* The layout named `name` (NUL-terminated) in *layout; 0 when no layout has
 * that name. */
static inline int
trit_weight_layout_from_name(const char *name,
                             enum trit_weight_layout *layout) {
  for (int i = 0; i < TRIT_WEIGHT_LAYOUT_COUNT; ++i) {
    const char *a = name,
               *b = trit_weight_layout_name((enum trit_weight_layout)i);
    while (*a && *a == *b)
      ++a, ++b;
    if (*a == *b) {
      *layout = (enum trit_weight_layout)i;
      return 1;
    }
  }
  return 0;
}

static inline enum trit_weight_role
trit_weight_layout_role(enum trit_weight_layout layout) {
  switch (layout) {
#define TRIT_LAYOUT_ROLE(id, name, role, cols, rows)                           \
  case TRIT_WEIGHT_LAYOUT_##id:                                                \
    return TRIT_WEIGHT_ROLE_##role;
    TRIT_WEIGHT_LAYOUTS(TRIT_LAYOUT_ROLE)
#undef TRIT_LAYOUT_ROLE
  default:
    return TRIT_WEIGHT_ROLE_FLOAT;
  }
}

/* The row lengths (columns) the layout holds are multiples of this. */
static inline int64_t
trit_weight_layout_column_multiple(enum trit_weight_layout layout) {
  switch (layout) {
#define TRIT_LAYOUT_COLS(id, name, role, cols, rows)                           \
  case TRIT_WEIGHT_LAYOUT_##id:                                                \
    return cols;
    TRIT_WEIGHT_LAYOUTS(TRIT_LAYOUT_COLS)
#undef TRIT_LAYOUT_COLS
  default:
    return 1;
  }
}

/* The row counts the layout holds are multiples of this. */
static inline int64_t
trit_weight_layout_row_multiple(enum trit_weight_layout layout) {
  switch (layout) {
#define TRIT_LAYOUT_ROWS(id, name, role, cols, rows)                           \
  case TRIT_WEIGHT_LAYOUT_##id:                                                \
    return rows;
    TRIT_WEIGHT_LAYOUTS(TRIT_LAYOUT_ROWS)
#undef TRIT_LAYOUT_ROWS
  default:
    return 1;
  }
}

/* Bytes of one T3X5 row of `cols` weights: 40 per 192-weight group, then
 * 2 bits per weight of the last cols % 192. */
static inline int64_t trit_t3x5_row_bytes(int64_t cols) {
  return cols / 192 * 40 + cols % 192 / 4;
}

/* Bytes of a superblock of 64 rows of T3X5 with rows in lanes: the rows'
 * int32 sign sums, then 320 bytes per pair of 12-column quads. */
static inline int64_t trit_t3x5x64_superblock_bytes(int64_t cols) {
  return 256 + (cols + 23) / 24 * 320;
}

/* Bytes of a superblock of 16 rows of T2G with `group`-weight scale groups:
 * the f16 scales (16 per group), padded to 64 bytes, then 4 bytes per
 * column. */
static inline int64_t trit_t2g_superblock_bytes(int64_t cols, int64_t group) {
  return (cols / group * 32 + 63) / 64 * 64 + cols * 4;
}

/* Where the codes of a head copy begin: after `scales` f32 scales, padded
 * to 64 bytes. */
static inline int64_t trit_head_copy_codes_offset(int64_t scales) {
  return (scales * 4 + 63) / 64 * 64;
}

/* The rows a reranking head recomputes per token unless tritc is told
 * otherwise (--rerank-candidates). */
#define TRIT_RERANK_DEFAULT_CANDIDATES 1024

/* Whether `layout` is a reranking head's ternary copy (TERNARY_ROWS_*). */
static inline int trit_is_ternary_rows_layout(enum trit_weight_layout layout) {
  return layout == TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_I2_S ||
         layout == TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_T3X5 ||
         layout == TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_T3X5_X64;
}

/* Where the codes of a reranking head's ternary copy begin: after its
 * scales and error statistics, 3 rows + cols f32 values. */
static inline int64_t trit_ternary_rows_codes_offset(int64_t rows,
                                                     int64_t cols) {
  return trit_head_copy_codes_offset(3 * rows + cols);
}

/* A reranking head's copy: where its residual block begins (64-byte
 * aligned after the codes), and the block's bytes (its own scales and
 * statistics, then rows of row-major T3X5). */
static inline int64_t
trit_ternary_rows_residual_offset(enum trit_weight_layout layout, int64_t rows,
                                  int64_t cols) {
  int64_t codes =
      layout == TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_I2_S ? rows * cols / 4
      : layout == TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_T3X5
          ? rows * trit_t3x5_row_bytes(cols)
          : (rows + 63) / 64 * trit_t3x5x64_superblock_bytes(cols);
  return (trit_ternary_rows_codes_offset(rows, cols) + codes + 63) / 64 * 64;
}
static inline int64_t trit_ternary_rows_residual_bytes(int64_t rows,
                                                       int64_t cols) {
  return trit_ternary_rows_codes_offset(rows, cols) +
         rows * trit_t3x5_row_bytes(cols);
}

/* Bytes of a rows x cols weight in `layout` (of the column and row
 * multiples the layout holds). */
static inline int64_t trit_weight_layout_bytes(enum trit_weight_layout layout,
                                               int64_t rows, int64_t cols) {
  switch (layout) {
  case TRIT_WEIGHT_LAYOUT_F32:
    return rows * cols * 4;
  case TRIT_WEIGHT_LAYOUT_F16:
    return rows * cols * 2;
  case TRIT_WEIGHT_LAYOUT_I2_S:
    return rows * cols / 4;
  case TRIT_WEIGHT_LAYOUT_T3X5:
    return rows * trit_t3x5_row_bytes(cols);
  case TRIT_WEIGHT_LAYOUT_T3X5_X64:
    return rows / 64 * trit_t3x5x64_superblock_bytes(cols);
  case TRIT_WEIGHT_LAYOUT_Q8_ROWS:
    return trit_head_copy_codes_offset(rows) + rows * cols;
  case TRIT_WEIGHT_LAYOUT_Q4_BLOCKS:
    return trit_head_copy_codes_offset(rows * (cols / 128)) + rows * cols / 2;
  case TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_I2_S:
  case TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_T3X5:
  case TRIT_WEIGHT_LAYOUT_TERNARY_ROWS_T3X5_X64:
    return trit_ternary_rows_residual_offset(layout, rows, cols) +
           trit_ternary_rows_residual_bytes(rows, cols);
  case TRIT_WEIGHT_LAYOUT_T2G64_X16:
    return (rows + 15) / 16 * trit_t2g_superblock_bytes(cols, 64);
  case TRIT_WEIGHT_LAYOUT_T2G128_X16:
    return (rows + 15) / 16 * trit_t2g_superblock_bytes(cols, 128);
  default:
    return 0;
  }
}

#ifdef __cplusplus
}
#endif

#endif /* TRIT_LAYOUTS_H */
