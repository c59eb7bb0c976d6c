/*===- trit.h - the Trit runtime's C API ----------------------------------===*
 *
 * Open a compiled model (.trit), create inference contexts, tokenize,
 * evaluate tokens and sample. Every function that can fail returns a
 * trit_status; trit_last_error() then describes the failure (per thread).
 *
 *   trit_model *model;
 *   if (trit_model_open("model.trit", &model) != TRIT_OK)
 *     fprintf(stderr, "%s\n", trit_last_error());
 *
 * trit.hpp wraps it for C++.
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_TRIT_H
#define TRIT_TRIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum trit_status {
  TRIT_OK = 0,
  TRIT_ERROR_IO = 1,           /* the file cannot be read */
  TRIT_ERROR_FORMAT = 2,       /* not an artifact, damaged, other version */
  TRIT_ERROR_CPU = 3,          /* built for another CPU or architecture */
  TRIT_ERROR_ARGUMENT = 4,     /* a bad argument (token id, size, ...) */
  TRIT_ERROR_CONTEXT_FULL = 5, /* the tokens do not fit the context */
  TRIT_ERROR_BUFFER = 6,       /* an output buffer is too small */
} trit_status;

typedef struct trit_model trit_model;
typedef struct trit_context trit_context;
typedef struct trit_sampler trit_sampler;

/* The message of the calling thread's last failure ("" if none). */
const char *trit_last_error(void);
const char *trit_status_string(trit_status status);

trit_status trit_model_open(const char *path, trit_model **model);
/* A model linked into this program (tritc --emit=static-lib writes NAME.h,
 * which declares it): its weights are built in, or (--weights=external)
 * are the file `weights_path`, by default NAME.weights beside the program. */
typedef struct trit_linked_model trit_linked_model;
trit_status trit_model_open_linked(const trit_linked_model *linked,
                                   const char *weights_path,
                                   trit_model **model);
void trit_model_close(trit_model *model);
int64_t trit_model_vocab_size(const trit_model *model);
/* The largest context a trit_context of this model may have. */
int64_t trit_model_max_context(const trit_model *model);
int32_t trit_model_bos(const trit_model *model);
/* Whether `token` ends generation (end of sequence or of turn). */
int trit_model_is_end(const trit_model *model, int32_t token);

/* Text to token ids. Writes at most `capacity` ids and sets *count to the
 * number the text needs (TRIT_ERROR_BUFFER when that exceeds capacity). */
trit_status trit_tokenize(const trit_model *model, const char *text,
                          size_t length, int add_bos, int parse_special,
                          int32_t *tokens, size_t capacity, size_t *count);
/* The bytes of one token, not NUL-terminated; *length as for tokenize. */
trit_status trit_token_to_piece(const trit_model *model, int32_t token,
                                char *piece, size_t capacity, size_t *length);

/* A context of `context_size` positions (0: the model's maximum) evaluated
 * with `threads` threads (0: the CPUs this process may use, at most one per
 * physical core, as trit-run's default). */
trit_status trit_context_create(trit_model *model, int64_t context_size,
                                int threads, trit_context **context);
void trit_context_free(trit_context *context);
/* Tokens evaluated so far (the next position). */
int64_t trit_context_position(const trit_context *context);
/* exact != 0: every logit from the LM head's exact table, also where the
 * compiled head leaves estimates for rows that cannot be the best (a
 * reranking head, tritc's default for large heads): for perplexity and
 * other scoring. 0 (the default): the logits generation samples from. */
void trit_context_set_exact_logits(trit_context *context, int exact);
/* Evaluates tokens[0..n) after what the context holds. `logits`, if not
 * NULL, receives float32 logits [n][vocab]. */
trit_status trit_eval(trit_context *context, const int32_t *tokens, size_t n,
                      float *logits);
/* As trit_eval, but only the last token's logits [vocab] are computed (the
 * LM head runs once): what generation needs. */
trit_status trit_eval_last(trit_context *context, const int32_t *tokens,
                           size_t n, float *logits);

typedef struct trit_sampler_params {
  float temperature; /* <= 0: greedy */
  int32_t top_k;     /* <= 0: off */
  float top_p;       /* >= 1: off */
  float repeat_penalty;
  uint64_t seed;
} trit_sampler_params;

trit_sampler_params trit_sampler_default_params(void);
trit_status trit_sampler_create(const trit_sampler_params *params,
                                trit_sampler **sampler);
void trit_sampler_free(trit_sampler *sampler);
/* The next token from one row of logits, given the tokens so far. */
int32_t trit_sample(trit_sampler *sampler, const float *logits, int64_t vocab,
                    const int32_t *history, size_t history_length);

#ifdef __cplusplus
}
#endif

#endif /* TRIT_TRIT_H */
