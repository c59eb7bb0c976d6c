//===- MappedFile.cpp - read-only memory-mapped file ----------------------===//

#include "trit/Frontends/MappedFile.h"

#include "llvm/ADT/ScopeExit.h"

using namespace llvm;

namespace trit {

Error fileError(StringRef file, const Twine &message) {
  return createStringError(inconvertibleErrorCode(),
                           (file + ": " + message).str());
}

Expected<std::shared_ptr<MappedFile>> MappedFile::open(StringRef path) {
  std::shared_ptr<MappedFile> file(new MappedFile(path.str()));
  Expected<sys::fs::file_t> handle = sys::fs::openNativeFileForRead(path);
  if (!handle)
    return fileError(path, "cannot open: " + toString(handle.takeError()));
  auto closeHandle = make_scope_exit([&] { sys::fs::closeFile(*handle); });

  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(*handle, status))
    return fileError(path, "cannot stat: " + ec.message());
  if (status.type() == sys::fs::file_type::directory_file)
    return fileError(path, "is a directory, not a file");
  uint64_t size = status.getSize();
  if (size == 0)
    return file;

  std::error_code ec;
  file->region_ = std::make_unique<sys::fs::mapped_file_region>(
      *handle, sys::fs::mapped_file_region::readonly, size, /*offset=*/0, ec);
  if (ec)
    return fileError(path, "cannot map " + Twine(size) +
                               " bytes: " + ec.message());
  file->bytes_ = ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(file->region_->const_data()), size);
  return file;
}

} // namespace trit
