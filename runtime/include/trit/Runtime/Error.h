//===- Error.h - success or a failure with a message ----------*- C++ -*-===//
//
// The runtime is linked into standalone executables and built for machines
// that have no LLVM, so it carries its own small versions of llvm::Error and
// llvm::Expected. They keep LLVM's conventions (an Error is true when it
// failed; an Expected is true when it holds a value) so that code reads the
// same. A failure is only its message: every runtime error ends up as one
// line for a user or in trit_last_error(). Nothing is thrown, since the
// project builds without exceptions; unlike LLVM's, these do not abort when
// an error goes unchecked, but [[nodiscard]] makes the compiler warn when a
// result is dropped.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_ERROR_H
#define TRIT_RUNTIME_ERROR_H

#include <cassert>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace trit {

/// Success, or a failure with a message.
class [[nodiscard]] Error {
public:
  static Error success() { return Error(); }
  static Error failure(std::string message) {
    Error e;
    e.failed = true;
    e.text = std::move(message);
    return e;
  }

  /// True on failure, as llvm::Error: `if (Error e = f()) return e;`.
  explicit operator bool() const { return failed; }
  /// The message of a failure; empty on success.
  const std::string &message() const { return text; }

private:
  Error() = default;
  template <class T> friend class Expected;

  bool failed = false;
  std::string text;
};

/// A failure with `message`.
inline Error makeError(std::string message) {
  return Error::failure(std::move(message));
}

/// The message of `error` (empty on success).
inline std::string toString(Error error) { return error.message(); }

/// Drops an error on purpose (where a failure only means "not available").
inline void consumeError(Error error) { (void)error; }

/// A T, or the Error that kept it from being made.
template <class T> class [[nodiscard]] Expected {
public:
  /// A value; anything convertible to T, so that `return ptr;` works for
  /// Expected<std::unique_ptr<Base>> as it does for llvm::Expected.
  template <class U,
            std::enable_if_t<std::is_convertible_v<U &&, T> &&
                                 !std::is_same_v<std::decay_t<U>, Error>,
                             int> = 0>
  Expected(U &&value) : value(std::forward<U>(value)) {}
  /// A failure: `error` must have failed.
  Expected(Error error) : error(std::move(error)) {
    assert(this->error && "an Expected made from a success has no value");
  }

  /// True when it holds a value.
  explicit operator bool() const { return value.has_value(); }
  T &operator*() { return *value; }
  const T &operator*() const { return *value; }
  T *operator->() { return &*value; }
  const T *operator->() const { return &*value; }

  /// The failure (success when there is a value); leaves success behind.
  Error takeError() { return std::exchange(error, Error::success()); }

private:
  std::optional<T> value;
  Error error;
};

} // namespace trit

#endif // TRIT_RUNTIME_ERROR_H
