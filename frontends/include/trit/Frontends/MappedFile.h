//===- MappedFile.h - read-only memory-mapped file --------------*- C++ -*-===//
//
// Model files are mapped, never read into memory: importing a 2B model copies
// no tensor data, and the compiler and runtime read weights straight from the
// page cache.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_FRONTENDS_MAPPEDFILE_H
#define TRIT_FRONTENDS_MAPPEDFILE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"

#include <memory>
#include <string>

namespace trit {

class MappedFile {
public:
  /// Maps `path` read-only. An empty file maps to an empty byte range.
  static llvm::Expected<std::shared_ptr<MappedFile>> open(llvm::StringRef path);

  llvm::ArrayRef<uint8_t> bytes() const { return bytes_; }
  const std::string &path() const { return path_; }

  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;

private:
  MappedFile(std::string path) : path_(std::move(path)) {}

  std::string path_;
  std::unique_ptr<llvm::sys::fs::mapped_file_region> region_;
  llvm::ArrayRef<uint8_t> bytes_;
};

/// An error whose message names the file: "FILE: MESSAGE".
llvm::Error fileError(llvm::StringRef file, const llvm::Twine &message);

} // namespace trit

#endif // TRIT_FRONTENDS_MAPPEDFILE_H
