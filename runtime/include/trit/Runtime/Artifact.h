//===- Artifact.h - open a compiled model (.trit) ---------------*- C++ -*-===//
//
// Maps the file, checks it (prefix, size, checksum, FlatBuffer, ABI version,
// target architecture and CPU features) before running any of it, loads the
// compiled code and points the weight table into the mapping: no weight is
// copied.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_ARTIFACT_H
#define TRIT_RUNTIME_ARTIFACT_H

#include "trit/Runtime/Error.h"
#include "trit/Runtime/Executor.h"
#include "trit/Runtime/Tokenizer.h"
#include "trit/Runtime/artifact_generated.h"

#include <memory>
#include <string>
#include <vector>

namespace trit {

struct ArtifactOpenOptions {
  bool verifyChecksum = true;
  /// Off only for the fuzzer: it checks everything but runs no code.
  bool loadCode = true;
};

class Artifact {
public:
  /// Every problem is an error naming the file.
  static Expected<std::unique_ptr<Artifact>>
  open(const std::string &path, const ArtifactOpenOptions &options = {});
  /// A model linked into this program (tritc --emit=exe|static-lib): its
  /// container is built in, or is the file `containerPath` (by default the
  /// model's container file beside the program). The same checks as open,
  /// and the container must be the one the model was compiled with.
  static Expected<std::unique_ptr<Artifact>>
  openLinked(const trit_linked_model &model,
             const std::string &containerPath = "",
             const ArtifactOpenOptions &options = {});
  /// An artifact already in memory (`size` bytes at `data`, aligned as a
  /// mapping is, at least to artifact::kAlignment), which the caller keeps
  /// for the artifact's life. The same checks as open; `name` stands for
  /// the file in messages.
  static Expected<std::unique_ptr<Artifact>>
  openMemory(const uint8_t *data, size_t size, const std::string &name,
             const ArtifactOpenOptions &options = {});
  ~Artifact();
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  const artifact::Artifact &getHeader() const { return *header; }
  const CompiledModelInfo &getInfo() const { return info; }
  const std::vector<const void *> &getWeights() const { return weights; }
  const std::string &getPath() const { return path; }
  /// The tokenizer data recorded in the header.
  TokenizerSpec getTokenizerSpec() const;

private:
  Artifact() = default;
  Error map();
  /// Maps a container that the loader mapped with the program again, from
  /// the program's file (see Artifact.cpp); false when it cannot.
  bool remapBuiltIn(const uint8_t *container, size_t containerSize);
  /// Checks the container at data/size; `linked` supplies the code when the
  /// model is linked into the program.
  Error load(const ArtifactOpenOptions &options,
             const trit_linked_model *linked);

  std::string path;
  const uint8_t *data = nullptr;
  size_t size = 0;
  bool mapped = false;
  /// The mapping when it starts before `data` (a page-aligned file offset).
  void *mapBase = nullptr;
  size_t mapLength = 0;
  const artifact::Artifact *header = nullptr;
  void *library = nullptr;
  CompiledModelInfo info;
  std::vector<const void *> weights;
};

} // namespace trit

#endif // TRIT_RUNTIME_ARTIFACT_H
