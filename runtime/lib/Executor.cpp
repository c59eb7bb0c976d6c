//===- Executor.cpp - run a compiled model's entry points -----------------===//

#include "trit/Runtime/Executor.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

using namespace trit;

Expected<void *> trit::loadCompiledCode(const uint8_t *code, size_t size,
                                        CompiledModelInfo &info) {
  int fd = memfd_create("trit-model", MFD_CLOEXEC);
  if (fd < 0)
    return makeError(std::string("memfd_create: ") + std::strerror(errno));
  for (size_t done = 0; done < size;) {
    ssize_t n = ::write(fd, code + done, size - done);
    if (n <= 0) {
      ::close(fd);
      return makeError(std::string("writing the code: ") +
                       std::strerror(errno));
    }
    done += n;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  ::close(fd);
  if (!library)
    return makeError(std::string("cannot load the compiled code: ") +
                     dlerror());
  info.prefill = reinterpret_cast<EntryPointFn>(dlsym(library, "trit_prefill"));
  info.decode = reinterpret_cast<EntryPointFn>(dlsym(library, "trit_decode"));
  if (!info.prefill || !info.decode) {
    dlclose(library);
    return makeError("the compiled code lacks trit_prefill or trit_decode");
  }
  return library;
}

namespace {
/// What ggml's rope_yarn needs besides the angle, computed in float as
/// llama.cpp does (ggml_rope_yarn_corr_dims; llama-context's attn_factor,
/// which cancels ggml's own 1 + 0.1 ln(factor) when ext_factor is set).
struct Yarn {
  float freqScale = 1.0f, low = 0.0f, high = 0.0f, mscale = 1.0f;
};

Yarn getYarn(double base, int64_t dim, double factor,
             int64_t originalContext) {
#pragma clang fp contract(off) // every step rounded, as llama.cpp's
  Yarn y;
  y.freqScale = 1.0f / static_cast<float>(factor);
  const float pi = static_cast<float>(M_PI);
  auto corrDim = [&](float rotations) {
    return static_cast<float>(dim) *
           logf(static_cast<float>(originalContext) / (rotations * 2.0f * pi)) /
           (2.0f * logf(static_cast<float>(base)));
  };
  y.low = std::max(0.0f, floorf(corrDim(32.0f)));
  y.high = std::min(static_cast<float>(dim - 1), ceilf(corrDim(1.0f)));
  float scale = 1.0f / y.freqScale;
  float mscale = scale <= 1.0f ? 1.0f : 0.1f * logf(scale) + 1.0f;
  float attnFactor = (1.0f * mscale) * (1.0f / (1.0f + 0.1f * logf(scale)));
  y.mscale = attnFactor * (1.0f + 0.1f * logf(1.0f / y.freqScale));
  return y;
}
} // namespace

void trit::computeRopeTables(double base, int64_t dim, int64_t positions,
                             std::vector<float> &cos, std::vector<float> &sin,
                             double yarnFactor, int64_t yarnOriginalContext) {
#pragma clang fp contract(off) // every step rounded, as ggml's
  int64_t half = dim / 2;
  cos.assign(positions * half, 0.0f);
  sin.assign(positions * half, 0.0f);
  float thetaScale = powf(static_cast<float>(base), -2.0f / dim);
  bool yarn = yarnFactor > 0;
  Yarn y = yarn ? getYarn(base, dim, yarnFactor, yarnOriginalContext) : Yarn();
  for (int64_t p = 0; p < positions; ++p) {
    float theta = static_cast<float>(p);
    for (int64_t i = 0; i < half; ++i) {
      float angle = theta, mscale = 1.0f;
      if (yarn) {
        float interpolated = y.freqScale * theta;
        float ramp = (static_cast<float>(i) - y.low) /
                     std::max(0.001f, y.high - y.low);
        float mix = 1.0f - std::min(1.0f, std::max(0.0f, ramp));
        angle = interpolated * (1.0f - mix) + theta * mix;
        mscale = y.mscale;
      }
      cos[p * half + i] = cosf(angle) * mscale;
      sin[p * half + i] = sinf(angle) * mscale;
      theta *= thetaScale;
    }
  }
}

Expected<std::unique_ptr<Executor>>
Executor::create(const CompiledModelInfo &info,
                 std::vector<const void *> weights, int64_t capacity,
                 int threads, int sequences) {
  if (capacity < 1 || capacity > info.maxContext)
    return makeError("a context of " + std::to_string(capacity) +
                     " positions; the model was compiled for 1 to " +
                     std::to_string(info.maxContext));
  if (threads < 1 || threads > 1024)
    return makeError("thread count " + std::to_string(threads) +
                     " is not between 1 and 1024");
  if (sequences < 1 || sequences > 4096)
    return makeError("sequence count " + std::to_string(sequences) +
                     " is not between 1 and 4096");
  std::unique_ptr<Executor> exec(new Executor(info, threads));
  exec->weights = std::move(weights);
  exec->kvCaches.resize(sequences);
  for (std::vector<uint16_t> &cache : exec->kvCaches)
    cache.assign(static_cast<size_t>(info.layers) * 2 * capacity *
                     info.kvHeads * info.headDim,
                 0);
  size_t arenaBytes = std::max<int64_t>(64, (info.arenaSize + 63) / 64 * 64);
  exec->arena = {static_cast<uint8_t *>(std::aligned_alloc(64, arenaBytes)),
                 std::free};
  if (!exec->arena)
    return makeError("cannot allocate the " + std::to_string(arenaBytes) +
                     "-byte scratch arena");
  if (info.ropeDim > 0)
    computeRopeTables(info.ropeTheta, info.ropeDim, capacity, exec->ropeCos,
                      exec->ropeSin, info.ropeYarnFactor,
                      info.ropeYarnOriginalContext);
  trit_exec_context &ctx = exec->context;
  ctx.abi_version = TRIT_ABI_VERSION;
  ctx.weights = exec->weights.data();
  ctx.kv_cache = exec->kvCaches[0].data();
  ctx.kv_capacity = capacity;
  ctx.arena = exec->arena.get();
  ctx.rope_cos = exec->ropeCos.data();
  ctx.rope_sin = exec->ropeSin.data();
  ctx.threads = static_cast<uint32_t>(exec->pool.getThreadCount());
  ctx.parallel = &ThreadPool::runCallback;
  ctx.pool = &exec->pool;
  return exec;
}

Error Executor::check(int32_t status, int64_t start, int64_t n) {
  switch (status) {
  case TRIT_EXEC_OK:
    return Error::success();
  case TRIT_EXEC_ABI_MISMATCH:
    return makeError("the compiled model expects another runtime ABI version "
                     "than " + std::to_string(TRIT_ABI_VERSION));
  case TRIT_EXEC_TOO_MANY_TOKENS:
    return makeError(std::to_string(n) + " tokens in one call; the memory plan "
                     "holds " + std::to_string(info.maxTokens));
  case TRIT_EXEC_CONTEXT_FULL:
    return makeError("positions " + std::to_string(start) + ".." +
                     std::to_string(start + n - 1) + " do not fit a context of " +
                     std::to_string(context.kv_capacity) + " tokens");
  case TRIT_EXEC_BAD_TOKEN:
    return makeError("a token id is outside the vocabulary of " +
                     std::to_string(info.vocab) + " tokens");
  case TRIT_EXEC_BAD_LOGIT_ROWS:
    return makeError("internal error: a bad count of logit rows");
  case TRIT_EXEC_BAD_BATCH:
    return makeError("a batched step's position is outside a context of " +
                     std::to_string(context.kv_capacity) + " tokens");
  case TRIT_EXEC_BAD_CAPACITY:
    return makeError("the context is larger than the compiled maximum");
  default:
    return makeError("the compiled model returned status " +
                     std::to_string(status));
  }
}

Error Executor::checkSequence(int sequence) const {
  if (sequence < 0 || sequence >= getSequences())
    return makeError("sequence " + std::to_string(sequence) +
                     " does not exist; this executor has " +
                     std::to_string(getSequences()));
  return Error::success();
}

Error Executor::prefill(const int32_t *tokens, size_t count, int64_t start,
                        float *logits, bool lastOnly) {
  return prefillSequence(0, tokens, count, start, logits, lastOnly);
}

Error Executor::prefillSequence(int sequence, const int32_t *tokens,
                                size_t count, int64_t start, float *logits,
                                bool lastOnly) {
  if (Error e = checkSequence(sequence))
    return e;
  context.kv_cache = kvCaches[sequence].data();
  context.batch = nullptr;
  for (size_t done = 0; done < count;) {
    int64_t n = std::min<int64_t>(info.maxTokens, count - done);
    // With lastOnly, only the final chunk runs the LM head, for its last
    // row.
    bool final = done + n == count;
    float *out = lastOnly ? logits : logits + done * info.vocab;
    int64_t rows = lastOnly ? (final ? 1 : 0) : n;
    if (Error e = check(info.prefill(&context, tokens + done, n, start + done,
                                     out, rows),
                        start + done, n))
      return e;
    done += n;
  }
  return Error::success();
}

Error Executor::decodeSequence(int sequence, int32_t token, int64_t position,
                               float *logits) {
  if (Error e = checkSequence(sequence))
    return e;
  context.kv_cache = kvCaches[sequence].data();
  context.batch = nullptr;
  return check(info.decode(&context, &token, 1, position, logits, 1),
               position, 1);
}

Error Executor::decodeBatch(const DecodeRow *rows, size_t n, float *logits) {
  std::vector<bool> seen(kvCaches.size());
  for (size_t i = 0; i < n; ++i) {
    if (Error e = checkSequence(rows[i].sequence))
      return e;
    if (seen[rows[i].sequence])
      return makeError("sequence " + std::to_string(rows[i].sequence) +
                       " appears twice in one batched step");
    seen[rows[i].sequence] = true;
  }
  // One row alone takes the decode path (its own fast kernels; the same
  // bits as a batch row for every exact layout).
  if (n == 1)
    return decodeSequence(rows[0].sequence, rows[0].token, rows[0].position,
                          logits);
  std::vector<int32_t> tokens(n);
  for (size_t done = 0; done < n;) {
    int64_t m = std::min<int64_t>(info.maxTokens, n - done);
    batchRows.resize(m);
    for (int64_t i = 0; i < m; ++i) {
      const DecodeRow &row = rows[done + i];
      tokens[i] = row.token;
      batchRows[i] = {kvCaches[row.sequence].data(), row.position};
    }
    context.batch = batchRows.data();
    int32_t status = info.prefill(&context, tokens.data(), m, 0,
                                  logits + done * info.vocab, m);
    context.batch = nullptr;
    if (Error e = check(status, rows[done].position, 1))
      return e;
    done += m;
  }
  return Error::success();
}
