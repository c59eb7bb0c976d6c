//===- ArtifactWriter.h - write a compiled model as a .trit file -*- C++ -*-===//
//
// The container is described in runtime/include/trit/Runtime/ArtifactFormat.h
// and runtime/schema/artifact.fbs: a FlatBuffer header with the model's
// metadata, tokenizer, target and required CPU features, entry points,
// memory plan and weight table; the compiled code as an ELF shared object;
// the weights in the layouts the code reads, 64-byte aligned so the runtime
// maps them in place; a checksum of it all.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_COMPILER_ARTIFACTWRITER_H
#define TRIT_COMPILER_ARTIFACTWRITER_H

#include "trit/Frontends/Model.h"
#include "trit/Runtime/ArtifactFormat.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Error.h"

namespace flatbuffers {
class FlatBufferBuilder;
} // namespace flatbuffers

namespace trit {

/// A .trit container laid out and checksummed, ready to be streamed: the
/// header, the code (unless it is linked into a program) and the weights.
/// Views into `model`'s weights: the model must outlive the writer.
class ContainerWriter {
public:
  /// Told how many of the weights' elements are packed, of how many, after
  /// each weight: packing a large model takes seconds, and tools show it.
  using PackingProgress =
      llvm::function_ref<void(uint64_t packed, uint64_t total)>;

  /// Lays out a container from a module lowered by trit-lower (its
  /// trit.weights, trit.memory_plan, trit.rope, trit.model and trit.target
  /// attributes) and the model its weights come from, packing the weights
  /// into the layouts the code reads. `library` is the model's code as a
  /// shared object, or null for a container whose code is linked into a
  /// program (tritc --emit=exe and --emit=static-lib): its header then
  /// records code offset and size 0. `loweringOptions` is recorded as how
  /// the code was compiled (PipelineOptions::getLoweringOptions).
  static llvm::Expected<std::unique_ptr<ContainerWriter>>
  create(mlir::ModuleOp lowered, const Model &model,
         std::unique_ptr<llvm::MemoryBuffer> library,
         llvm::ArrayRef<std::string> loweringOptions = {},
         PackingProgress progress = {});
  ~ContainerWriter();

  uint64_t getSize() const { return prefix.fileSize; }
  /// The checksum recorded in the prefix (of every byte after it).
  uint64_t getChecksum() const { return prefix.checksum; }
  void write(llvm::raw_ostream &os) const;

private:
  struct Blob;
  ContainerWriter();
  void streamAfterPrefix(
      llvm::function_ref<void(const void *, uint64_t)> sink) const;

  artifact::Prefix prefix{};
  std::unique_ptr<flatbuffers::FlatBufferBuilder> header;
  std::unique_ptr<llvm::MemoryBuffer> library;
  uint64_t codeOffset = 0;
  std::vector<Blob> blobs;
  std::vector<uint64_t> offsets;
};

/// Writes a container to `path`.
llvm::Error writeContainerFile(llvm::StringRef path,
                               const ContainerWriter &writer);

} // namespace trit

#endif // TRIT_COMPILER_ARTIFACTWRITER_H
