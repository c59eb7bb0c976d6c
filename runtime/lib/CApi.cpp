//===- CApi.cpp - the Trit runtime's C API (trit.h) -----------------------===//

#include "trit/trit.h"

#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/HostThreads.h"
#include "trit/Runtime/Sampler.h"
#include "trit/Runtime/Tokenizer.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

struct trit_model {
  std::unique_ptr<trit::Artifact> artifact;
  std::unique_ptr<trit::Tokenizer> tokenizer;
};

struct trit_context {
  trit_model *model;
  std::unique_ptr<trit::Executor> exec;
  int64_t position = 0;
  std::vector<float> scratch;
};

struct trit_sampler {
  trit::Sampler sampler;
  std::vector<int32_t> history;
};

namespace {
thread_local std::string lastError;

trit_status failWith(trit_status status, std::string message) {
  lastError = std::move(message);
  return status;
}

/// Sorts a runtime error into a status by what its message says.
trit_status classify(const std::string &message) {
  auto has = [&](const char *s) { return message.find(s) != std::string::npos; };
  if (has("lacks") || has("this machine is"))
    return TRIT_ERROR_CPU;
  if (has("No such file") || has("ermission") || has("cannot map"))
    return TRIT_ERROR_IO;
  if (has("do not fit a context"))
    return TRIT_ERROR_CONTEXT_FULL;
  if (has("token id") || has("thread count") || has("a context of"))
    return TRIT_ERROR_ARGUMENT;
  return TRIT_ERROR_FORMAT;
}

trit_status fromError(trit::Error error) {
  std::string message = trit::toString(std::move(error));
  trit_status status = classify(message);
  return failWith(status, std::move(message));
}

/// The model from an opened artifact, with its tokenizer.
trit_status
makeModel(trit::Expected<std::unique_ptr<trit::Artifact>> artifact,
          trit_model **model) {
  if (!artifact)
    return fromError(artifact.takeError());
  auto tokenizer = trit::Tokenizer::create((*artifact)->getTokenizerSpec());
  if (!tokenizer)
    return failWith(TRIT_ERROR_FORMAT,
                    (*artifact)->getPath() + ": " +
                        trit::toString(tokenizer.takeError()));
  *model = new trit_model{std::move(*artifact), std::move(*tokenizer)};
  return TRIT_OK;
}

} // namespace

extern "C" {

const char *trit_last_error(void) { return lastError.c_str(); }

const char *trit_status_string(trit_status status) {
  switch (status) {
  case TRIT_OK: return "ok";
  case TRIT_ERROR_IO: return "cannot read the file";
  case TRIT_ERROR_FORMAT: return "not a valid artifact";
  case TRIT_ERROR_CPU: return "built for another CPU";
  case TRIT_ERROR_ARGUMENT: return "bad argument";
  case TRIT_ERROR_CONTEXT_FULL: return "the context is full";
  case TRIT_ERROR_BUFFER: return "the output buffer is too small";
  }
  return "unknown status";
}

trit_status trit_model_open(const char *path, trit_model **model) {
  if (!path || !model)
    return failWith(TRIT_ERROR_ARGUMENT, "trit_model_open: null argument");
  *model = nullptr;
  return makeModel(trit::Artifact::open(path), model);
}

trit_status trit_model_open_linked(const trit_linked_model *linked,
                                   const char *weights_path,
                                   trit_model **model) {
  if (!linked || !model)
    return failWith(TRIT_ERROR_ARGUMENT,
                    "trit_model_open_linked: null argument");
  *model = nullptr;
  return makeModel(trit::Artifact::openLinked(
                       *linked, weights_path ? weights_path : ""),
                   model);
}

void trit_model_close(trit_model *model) { delete model; }

int64_t trit_model_vocab_size(const trit_model *model) {
  return model->artifact->getInfo().vocab;
}
int64_t trit_model_max_context(const trit_model *model) {
  return model->artifact->getInfo().maxContext;
}
int32_t trit_model_bos(const trit_model *model) {
  return int32_t(model->tokenizer->getSpec().bosId);
}
int trit_model_is_end(const trit_model *model, int32_t token) {
  return model->tokenizer->isEndOfGeneration(token);
}

trit_status trit_tokenize(const trit_model *model, const char *text,
                          size_t length, int add_bos, int parse_special,
                          int32_t *tokens, size_t capacity, size_t *count) {
  if (!model || (!text && length) || !count || (!tokens && capacity))
    return failWith(TRIT_ERROR_ARGUMENT, "trit_tokenize: null argument");
  std::vector<int32_t> ids = model->tokenizer->encode(
      std::string_view(text, length), add_bos, parse_special);
  *count = ids.size();
  if (ids.size() > capacity)
    return failWith(TRIT_ERROR_BUFFER,
                    "trit_tokenize: the text needs " +
                        std::to_string(ids.size()) + " tokens, the buffer "
                        "holds " + std::to_string(capacity));
  std::copy(ids.begin(), ids.end(), tokens);
  return TRIT_OK;
}

trit_status trit_token_to_piece(const trit_model *model, int32_t token,
                                char *piece, size_t capacity, size_t *length) {
  if (!model || !length || (!piece && capacity))
    return failWith(TRIT_ERROR_ARGUMENT, "trit_token_to_piece: null argument");
  if (token < 0 || token >= model->tokenizer->getVocabSize())
    return failWith(TRIT_ERROR_ARGUMENT,
                    "token id " + std::to_string(token) +
                        " is outside the vocabulary");
  std::string bytes = model->tokenizer->decode(token);
  *length = bytes.size();
  if (bytes.size() > capacity)
    return failWith(TRIT_ERROR_BUFFER, "trit_token_to_piece: the piece has " +
                                           std::to_string(bytes.size()) +
                                           " bytes");
  std::memcpy(piece, bytes.data(), bytes.size());
  return TRIT_OK;
}

trit_status trit_context_create(trit_model *model, int64_t context_size,
                                int threads, trit_context **context) {
  if (!model || !context)
    return failWith(TRIT_ERROR_ARGUMENT, "trit_context_create: null argument");
  *context = nullptr;
  const trit::CompiledModelInfo &info = model->artifact->getInfo();
  auto exec = trit::Executor::create(
      info, model->artifact->getWeights(),
      context_size ? context_size : info.maxContext,
      threads ? threads : trit::defaultThreadCount());
  if (!exec)
    return fromError(exec.takeError());
  *context = new trit_context{model, std::move(*exec), 0, {}};
  return TRIT_OK;
}

void trit_context_free(trit_context *context) { delete context; }

int64_t trit_context_position(const trit_context *context) {
  return context->position;
}

void trit_context_set_exact_logits(trit_context *context, int exact) {
  context->exec->setExactLogits(exact != 0);
}

static trit_status evaluate(trit_context *context, const int32_t *tokens,
                            size_t n, float *logits, bool lastOnly);

trit_status trit_eval(trit_context *context, const int32_t *tokens, size_t n,
                      float *logits) {
  return evaluate(context, tokens, n, logits, false);
}

trit_status trit_eval_last(trit_context *context, const int32_t *tokens,
                           size_t n, float *logits) {
  if (n == 0)
    return failWith(TRIT_ERROR_ARGUMENT, "trit_eval_last: no tokens");
  return evaluate(context, tokens, n, logits, true);
}

static trit_status evaluate(trit_context *context, const int32_t *tokens,
                            size_t n, float *logits, bool lastOnly) {
  if (!context || (!tokens && n))
    return failWith(TRIT_ERROR_ARGUMENT, "trit_eval: null argument");
  const trit::CompiledModelInfo &info = context->exec->getInfo();
  for (size_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= info.vocab)
      return failWith(TRIT_ERROR_ARGUMENT,
                      "token id " + std::to_string(tokens[i]) +
                          " is outside the vocabulary of " +
                          std::to_string(info.vocab));
  if (context->position + int64_t(n) > context->exec->getCapacity())
    return failWith(TRIT_ERROR_CONTEXT_FULL,
                    std::to_string(n) + " tokens do not fit: " +
                        std::to_string(context->exec->getCapacity() -
                                       context->position) +
                        " of the context's " +
                        std::to_string(context->exec->getCapacity()) +
                        " positions are left");
  float *out = logits;
  if (!out) {
    context->scratch.resize((lastOnly ? 1 : n) * info.vocab);
    out = context->scratch.data();
  }
  if (n == 0)
    return TRIT_OK;
  if (trit::Error e = context->exec->prefill(tokens, n, context->position,
                                             out, lastOnly))
    return fromError(std::move(e));
  context->position += n;
  return TRIT_OK;
}

trit_sampler_params trit_sampler_default_params(void) {
  trit::SamplerOptions defaults;
  return {defaults.temperature, defaults.topK, defaults.topP,
          defaults.repeatPenalty, defaults.seed};
}

trit_status trit_sampler_create(const trit_sampler_params *params,
                                trit_sampler **sampler) {
  if (!params || !sampler)
    return failWith(TRIT_ERROR_ARGUMENT, "trit_sampler_create: null argument");
  trit::SamplerOptions options;
  options.temperature = params->temperature;
  options.topK = params->top_k;
  options.topP = params->top_p;
  options.repeatPenalty = params->repeat_penalty;
  options.seed = params->seed;
  *sampler = new trit_sampler{trit::Sampler(options), {}};
  return TRIT_OK;
}

void trit_sampler_free(trit_sampler *sampler) { delete sampler; }

int32_t trit_sample(trit_sampler *sampler, const float *logits, int64_t vocab,
                    const int32_t *history, size_t history_length) {
  sampler->history.assign(history, history + history_length);
  return sampler->sampler.sample(logits, vocab, sampler->history);
}

} // extern "C"
