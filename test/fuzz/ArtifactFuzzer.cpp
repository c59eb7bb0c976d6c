//===- ArtifactFuzzer.cpp - libFuzzer target for the artifact loader ------===//
//
// Every check of trit::Artifact up to loading the code: the prefix, the
// size, the FlatBuffer header, the ABI version, the target and CPU
// features, the code and weight ranges, the model dimensions; then the
// tokenizer the header carries, with a round of encoding. Each input is
// opened twice from memory: as a model file (Artifact::openMemory, the
// checks of Artifact::open after its mapping) and as the container of a
// linked model (Artifact::openLinked, the weights file of a program tritc
// built, which may have no code).
//
// The checksum is skipped so that mutations reach the header checks, and
// the code is not loaded: that is glibc's dlopen of an ELF object, which
// runs the object's initializers (an artifact is code: the checksum guards
// against damage, not malice). Nothing in it is Trit's parsing.
//
// Seeds: test/fuzz/shrink-artifact.py makes a few-kilobyte seed of an
// artifact tritc compiled (code and weights cut short, since neither is
// read here); fuzzers.test shows how.
//
//===----------------------------------------------------------------------===//

#include "CpuTimeLimit.h"
#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/ArtifactFormat.h"
#include "trit/abi.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace {

/// TRIT_FUZZ_VERBOSE=1: what became of each input (fuzzers.test checks
/// that its seed opens: a seed of another ABI version covers far less).
const bool verbose = std::getenv("TRIT_FUZZ_VERBOSE") != nullptr;

void report(const char *how, trit::Expected<std::unique_ptr<trit::Artifact>> &a) {
  if (!a) {
    if (verbose)
      std::fprintf(stderr, "%s: %s\n", how,
                   trit::toString(a.takeError()).c_str());
    else
      trit::consumeError(a.takeError());
  } else if (verbose) {
    std::fprintf(stderr, "%s: opened, %lld layers, vocabulary %lld\n", how,
                 (long long)(*a)->getInfo().layers,
                 (long long)(*a)->getInfo().vocab);
  }
}

/// The tokenizer the artifact carries, and a round of encoding with it.
void useTokenizer(const trit::Artifact &artifact) {
  auto tokenizer = trit::Tokenizer::create(artifact.getTokenizerSpec());
  if (!tokenizer) {
    trit::consumeError(tokenizer.takeError());
    return;
  }
  std::vector<int32_t> ids =
      (*tokenizer)->encode("Hello, world! 123 <|eot_id|>", true, true);
  (void)(*tokenizer)->decode(ids, true);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  trit::fuzz::CpuTimeLimit limit; // TRIT_FUZZ_CPU_LIMIT_MS
  // Aligned as a mapping is (openMemory requires it), and exactly `size`
  // bytes, so that ASan catches any read past the end.
  void *copy = nullptr;
  if (posix_memalign(&copy, trit::artifact::kAlignment, size ? size : 1) != 0)
    return 0;
  std::unique_ptr<uint8_t, decltype(&free)> bytes(static_cast<uint8_t *>(copy),
                                                   &free);
  if (size)
    std::memcpy(bytes.get(), data, size);

  trit::ArtifactOpenOptions options;
  options.verifyChecksum = false;
  options.loadCode = false;

  auto artifact =
      trit::Artifact::openMemory(bytes.get(), size, "fuzz.trit", options);
  if (artifact)
    useTokenizer(**artifact);
  report("as a file", artifact);

  // As a linked model's built-in container; its checksum is the one the
  // prefix claims (a program knows its own).
  trit_linked_model model = {};
  model.abi_version = TRIT_ABI_VERSION;
  model.container = bytes.get();
  model.container_size = size;
  if (size >= sizeof(trit::artifact::Prefix))
    std::memcpy(&model.container_checksum,
                bytes.get() + offsetof(trit::artifact::Prefix, checksum),
                sizeof(model.container_checksum));
  auto linked = trit::Artifact::openLinked(model, "", options);
  // The same header: the tokenizer only when the first open failed.
  if (linked && !artifact)
    useTokenizer(**linked);
  report("as a linked model's container", linked);
  return 0;
}
