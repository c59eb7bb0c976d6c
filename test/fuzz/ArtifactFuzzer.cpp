//===- ArtifactFuzzer.cpp - libFuzzer target for the artifact loader ------===//
//
// Every check of trit::Artifact::open up to loading the code: the prefix,
// the size, the FlatBuffer header, the ABI version, the target and CPU
// features, the code and weight ranges, the model dimensions. The checksum
// is skipped so that mutations reach the header checks, and no code is run
// (an artifact is code: the checksum guards against damage, not malice).
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/Artifact.h"

#include <string>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int fd = memfd_create("trit-fuzz-artifact", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != ssize_t(size))
    return 0;
  static const std::string path = "/proc/self/fd/" + std::to_string(fd);
  trit::ArtifactOpenOptions options;
  options.verifyChecksum = false;
  options.loadCode = false;
  auto artifact = trit::Artifact::open(path, options);
  if (!artifact) {
    trit::consumeError(artifact.takeError());
    return 0;
  }
  // The tokenizer it carries, and a round of encoding with it.
  auto tokenizer = trit::Tokenizer::create((*artifact)->getTokenizerSpec());
  if (!tokenizer) {
    trit::consumeError(tokenizer.takeError());
    return 0;
  }
  std::vector<int32_t> ids =
      (*tokenizer)->encode("Hello, world! 123 <|eot_id|>", true, true);
  (void)(*tokenizer)->decode(ids, true);
  return 0;
}
