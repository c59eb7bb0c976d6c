/*===- abi.h - the contract between compiled models and the runtime -------===*
 *
 * A compiled model exports two entry points, trit_prefill and trit_decode,
 * that take an execution context owned by the runtime. The compiled code
 * owns no memory and no threads: weights, the KV cache, the scratch arena
 * (sized by the model's memory plan), the RoPE tables and the thread pool
 * all come from the context. Generated code reads the context only through
 * the kernels' accessor functions (trit/ops.def), so this struct is
 * the single definition of its layout.
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_ABI_H
#define TRIT_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever this struct or the entry points change (2: logit_rows;
 * 3: logit_rows may be 0; 4: tasks over chunk queues replace fixed ranges,
 * and `threads`; 5: `batch`, one token from each of several sequences;
 * 6: `flags`). */
#define TRIT_ABI_VERSION 6

/* A parallel op's work: [next, end) taken `grain` at a time by whichever
 * threads run the op's task, so a thread the OS has descheduled holds up
 * no one: the others take what it has not started. */
typedef struct trit_chunks {
  int64_t next; /* advanced atomically by trit_take_chunk */
  int64_t end;
  int64_t grain;
} trit_chunks;

/* Takes the next chunk: 1 and [*begin, *end), or 0 when none is left. */
static inline int trit_take_chunk(trit_chunks *chunks, int64_t *begin,
                                  int64_t *end) {
  int64_t b = __atomic_fetch_add(&chunks->next, chunks->grain,
                                 __ATOMIC_RELAXED);
  if (b >= chunks->end)
    return 0;
  *begin = b;
  *end = b + chunks->grain < chunks->end ? b + chunks->grain : chunks->end;
  return 1;
}

/* Runs fn(closure) on the calling thread and on each of the pool's threads
 * that is free to join in time, and returns once every call has returned.
 * A task shares its work through chunk queues in its closure, so a call
 * that starts late finds less to do, or nothing; what a task prepares
 * before taking chunks (a token's lookup tables) is built once per thread
 * and op. */
typedef void (*trit_task_fn)(void *closure);
typedef void (*trit_parallel_fn)(void *pool, trit_task_fn fn, void *closure);

/* One row of a batched step: the token of row t belongs to a sequence of its
 * own, with its own KV cache (same layout and capacity as kv_cache) and
 * position. Only RoPE, the KV store and attention read it; every other op
 * treats the rows as a prompt's tokens, so the weights are read once for
 * all of them. */
typedef struct trit_batch_row {
  uint16_t *kv_cache;
  int64_t position;
} trit_batch_row;

typedef struct trit_exec_context {
  uint32_t abi_version;            /* TRIT_ABI_VERSION */
  uint32_t threads;                /* that may run a task: sizes chunks */
  const void *const *weights;      /* per weight-table entry, 64-byte aligned */
  uint16_t *kv_cache;              /* f16 [layers][2][kv_capacity][kv_width] */
  int64_t kv_capacity;             /* positions; <= the model's context */
  uint8_t *arena;                  /* memory-plan bytes, 64-byte aligned */
  const float *rope_cos;           /* [kv_capacity][rope_dim / 2] */
  const float *rope_sin;
  trit_parallel_fn parallel;       /* NULL: run tasks on the caller */
  void *pool;
  /* NULL: the n tokens of a call are one sequence at positions start..;
   * else [n] rows, one per token, and `start` must be 0 (trit_prefill
   * only: a step of n sequences, continuous batching). */
  const trit_batch_row *batch;
  uint32_t flags; /* trit_exec_flags */
} trit_exec_context;

/* Requests of the caller that change how a compiled model computes. */
enum trit_exec_flags {
  /* Every logit from the LM head's exact table, also where the compiled
   * head estimates those that cannot be the best (lm-head=rerank):
   * perplexity, logit dumps. */
  TRIT_EXEC_EXACT_LOGITS = 1,
};

/* Status values returned by the entry points. */
enum {
  TRIT_EXEC_OK = 0,
  TRIT_EXEC_ABI_MISMATCH = 1,   /* context built for another ABI version */
  TRIT_EXEC_TOO_MANY_TOKENS = 2,/* n > the memory plan's max_tokens */
  TRIT_EXEC_CONTEXT_FULL = 3,   /* start + n > kv_capacity */
  TRIT_EXEC_BAD_TOKEN = 4,      /* a token id outside [0, vocab) */
  TRIT_EXEC_BAD_CAPACITY = 5,   /* kv_capacity above the compiled context */
  TRIT_EXEC_BAD_LOGIT_ROWS = 6, /* logit_rows not in [0, n] */
  TRIT_EXEC_BAD_BATCH = 7,      /* batch rows with start != 0, no KV cache,
                                   or a position outside [0, kv_capacity) */
};

/* Evaluates tokens[0..n) at positions start.. and writes float32 logits of
 * the last `logit_rows` positions, [logit_rows][vocab] (1: the next token's
 * only, as generation needs; n: every position, as perplexity needs; 0:
 * none, for a long prompt's chunks before its last; the LM head only runs
 * for those rows). n is at most the memory plan's max_tokens; the runtime
 * splits longer prompts. */
int32_t trit_prefill(trit_exec_context *ctx, const int32_t *tokens,
                     int64_t n, int64_t start, float *logits,
                     int64_t logit_rows);
/* One token at position `start`; logits [vocab]. */
int32_t trit_decode(trit_exec_context *ctx, const int32_t *tokens,
                    int64_t n, int64_t start, float *logits,
                    int64_t logit_rows);

typedef int32_t (*trit_entry_point)(trit_exec_context *ctx,
                                    const int32_t *tokens, int64_t n,
                                    int64_t start, float *logits,
                                    int64_t logit_rows);

/* A model linked into a program (tritc --emit=exe or --emit=static-lib):
 * its entry points are linked in, and the rest of its .trit container
 * (header and weights; no code) is either in the program's read-only data,
 * mapped from the program's own file, or in a file beside the program
 * (--weights=external). tritc generates one constant of this type per
 * model; it is the only symbol the model's object exports. */
typedef struct trit_linked_model {
  uint32_t abi_version;          /* TRIT_ABI_VERSION */
  uint32_t reserved;
  trit_entry_point prefill;
  trit_entry_point decode;
  const uint8_t *container;      /* NULL when the container is a file */
  uint64_t container_size;
  const char *container_file;    /* that file's name, else NULL */
  uint64_t container_checksum;   /* its prefix's checksum: the right file */
} trit_linked_model;

#ifdef __cplusplus
}
#endif

#endif /* TRIT_ABI_H */
