/* embedded-model.c - a C program with a model linked in.
 *
 *   tritc model.gguf --emit=static-lib -o libstory.a    (writes story.h too)
 *   cc embedded-model.c -I. libstory.a -lstdc++ -lm -lpthread -ldl -o story
 *   ./story "Once upon a time" 32
 *
 * Prints the greedy continuation of the prompt as text. Built and run by
 * the tests (test/tools/tritc-static-lib.test); see docs/shipping.md.
 */
#include "story.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  const char *prompt = argc > 1 ? argv[1] : "Once upon a time";
  int n = argc > 2 ? atoi(argv[2]) : 32;
  trit_model *model;
  /* The model and its weights are in this program: nothing to find. */
  if (trit_model_story_open(&model) != TRIT_OK) {
    fprintf(stderr, "error: %s\n", trit_last_error());
    return 1;
  }
  trit_context *context;
  if (trit_context_create(model, 0, 1, &context) != TRIT_OK) {
    fprintf(stderr, "error: %s\n", trit_last_error());
    trit_model_close(model);
    return 1;
  }
  int64_t vocab = trit_model_vocab_size(model);
  size_t count = 0, capacity = strlen(prompt) + 2;
  int32_t *tokens = malloc(capacity * sizeof(int32_t));
  float *logits = malloc((size_t)vocab * sizeof(float));
  trit_status status = trit_tokenize(model, prompt, strlen(prompt), 1, 1,
                                     tokens, capacity, &count);
  if (status == TRIT_OK)
    status = trit_eval_last(context, tokens, count, logits);
  char piece[256];
  for (int i = 0; status == TRIT_OK && i < n; ++i) {
    int32_t next = 0; /* greedy: the largest logit */
    for (int64_t v = 1; v < vocab; ++v)
      if (logits[v] > logits[next])
        next = (int32_t)v;
    if (trit_model_is_end(model, next))
      break;
    size_t length = 0;
    status = trit_token_to_piece(model, next, piece, sizeof(piece), &length);
    if (status == TRIT_OK) {
      fwrite(piece, 1, length, stdout);
      fflush(stdout);
      status = trit_eval_last(context, &next, 1, logits);
    }
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
