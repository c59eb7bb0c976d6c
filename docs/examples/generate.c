/* generate.c - greedy text generation with the Trit runtime's C API.
 *
 *   generate MODEL.trit "prompt" [N]
 *
 * Built and run by the tests (test/tools/c-api.test); see docs/runtime-api.md.
 */
#include "trit/trit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.trit PROMPT [N]\n", argv[0]);
    return 2;
  }
  int n = argc > 3 ? atoi(argv[3]) : 32;
  trit_model *model;
  if (trit_model_open(argv[1], &model) != TRIT_OK) {
    fprintf(stderr, "error: %s\n", trit_last_error());
    return 1;
  }
  trit_context *context;
  /* 0 threads: the CPUs this process may use, one per physical core. */
  if (trit_context_create(model, 0, 0, &context) != TRIT_OK) {
    fprintf(stderr, "error: %s\n", trit_last_error());
    trit_model_close(model);
    return 1;
  }
  int64_t vocab = trit_model_vocab_size(model);
  size_t count = 0, capacity = strlen(argv[2]) + 2;
  int32_t *tokens = malloc((capacity + (size_t)n) * sizeof(int32_t));
  float *logits = malloc(capacity * (size_t)vocab * sizeof(float));
  trit_status status = trit_tokenize(model, argv[2], strlen(argv[2]), 1, 1,
                                     tokens, capacity, &count);
  if (status == TRIT_OK) /* the prompt: only its last logits are needed */
    status = trit_eval_last(context, tokens, count, logits);
  const float *last = logits;
  for (int i = 0; status == TRIT_OK && i < n; ++i) {
    int32_t next = 0; /* greedy: the largest logit */
    for (int64_t v = 1; v < vocab; ++v)
      if (last[v] > last[next])
        next = (int32_t)v;
    printf(i ? ",%d" : "%d", next);
    if (trit_model_is_end(model, next))
      break;
    status = trit_eval_last(context, &next, 1, logits);
  }
  printf("\n");
  if (status != TRIT_OK)
    fprintf(stderr, "error: %s (%s)\n", trit_last_error(),
            trit_status_string(status));
  free(tokens);
  free(logits);
  trit_context_free(context);
  trit_model_close(model);
  return status == TRIT_OK ? 0 : 1;
}
