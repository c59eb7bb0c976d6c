//===- trit.hpp - a thin C++ wrapper of the runtime's C API ---*- C++ -*-===//
//
// Owning handles for trit.h; failures are reported as a status plus the
// message (no exceptions).
//
//   std::string error;
//   auto model = trit::Model::open("model.trit", &error);
//   if (!model) { puts(error.c_str()); return 1; }
//   auto context = model->createContext(0, 2, &error);
//   std::vector<int32_t> prompt = model->tokenize("Hello", true);
//   std::vector<float> logits;
//   context->eval(prompt, &logits, &error);
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TRIT_HPP
#define TRIT_TRIT_HPP

#include "trit/trit.h"

#include <memory>
#include <string>
#include <vector>

namespace trit {

class Context;

class Model {
public:
  static std::unique_ptr<Model> open(const std::string &path,
                                     std::string *error) {
    trit_model *handle;
    if (trit_model_open(path.c_str(), &handle) != TRIT_OK) {
      if (error)
        *error = trit_last_error();
      return nullptr;
    }
    return std::unique_ptr<Model>(new Model(handle));
  }
  /// A model linked into this program (tritc --emit=static-lib: pass
  /// &trit_model_NAME from NAME.h); `weightsPath` as for
  /// trit_model_open_linked.
  static std::unique_ptr<Model> openLinked(const trit_linked_model *linked,
                                           std::string *error,
                                           const char *weightsPath = nullptr) {
    trit_model *handle;
    if (trit_model_open_linked(linked, weightsPath, &handle) != TRIT_OK) {
      if (error)
        *error = trit_last_error();
      return nullptr;
    }
    return std::unique_ptr<Model>(new Model(handle));
  }
  ~Model() { trit_model_close(handle); }
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  int64_t vocabSize() const { return trit_model_vocab_size(handle); }
  int64_t maxContext() const { return trit_model_max_context(handle); }
  bool isEnd(int32_t token) const { return trit_model_is_end(handle, token); }

  std::vector<int32_t> tokenize(const std::string &text, bool addBos,
                                bool parseSpecial = true) const {
    size_t count = 0;
    trit_tokenize(handle, text.data(), text.size(), addBos, parseSpecial,
                  nullptr, 0, &count);
    std::vector<int32_t> tokens(count);
    trit_tokenize(handle, text.data(), text.size(), addBos, parseSpecial,
                  tokens.data(), tokens.size(), &count);
    return tokens;
  }
  std::string piece(int32_t token) const {
    size_t length = 0;
    if (trit_token_to_piece(handle, token, nullptr, 0, &length) ==
        TRIT_ERROR_ARGUMENT)
      return "";
    std::string bytes(length, '\0');
    trit_token_to_piece(handle, token, bytes.data(), bytes.size(), &length);
    return bytes;
  }

  std::unique_ptr<Context> createContext(int64_t size, int threads,
                                         std::string *error);
  trit_model *get() const { return handle; }

private:
  explicit Model(trit_model *handle) : handle(handle) {}
  trit_model *handle;
};

class Context {
public:
  ~Context() { trit_context_free(handle); }
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;

  int64_t position() const { return trit_context_position(handle); }
  /// Every logit from the exact table (trit_context_set_exact_logits).
  void setExactLogits(bool exact) {
    trit_context_set_exact_logits(handle, exact);
  }
  /// Evaluates `tokens`; `logits` receives [tokens.size()][vocab].
  trit_status eval(const std::vector<int32_t> &tokens,
                   std::vector<float> *logits, std::string *error) {
    if (logits)
      logits->resize(tokens.size() * vocab);
    trit_status status = trit_eval(handle, tokens.data(), tokens.size(),
                                   logits ? logits->data() : nullptr);
    if (status != TRIT_OK && error)
      *error = trit_last_error();
    return status;
  }

private:
  friend class Model;
  Context(trit_context *handle, int64_t vocab) : handle(handle), vocab(vocab) {}
  trit_context *handle;
  int64_t vocab;
};

inline std::unique_ptr<Context> Model::createContext(int64_t size, int threads,
                                                     std::string *error) {
  trit_context *context;
  if (trit_context_create(handle, size, threads, &context) != TRIT_OK) {
    if (error)
      *error = trit_last_error();
    return nullptr;
  }
  return std::unique_ptr<Context>(new Context(context, vocabSize()));
}

} // namespace trit

#endif // TRIT_TRIT_HPP
