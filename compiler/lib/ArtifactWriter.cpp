//===- ArtifactWriter.cpp - write a compiled model as a .trit file --------===//

#include "trit/Compiler/ArtifactWriter.h"
#include "trit/Compiler/CodeGen.h"
#include "trit/Dialect/TritAttrs.h"
#include "trit/Runtime/ArtifactFormat.h"
#include "trit/Runtime/artifact_generated.h"
#include "trit/abi.h"

#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

using llvm::Error;
using llvm::StringRef;
using llvm::Twine;

namespace {

Error makeError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

int64_t getInt(mlir::DictionaryAttr dict, StringRef key) {
  auto attr = dict ? dict.getAs<mlir::IntegerAttr>(key) : mlir::IntegerAttr();
  return attr ? attr.getInt() : 0;
}

} // namespace

Error trit::writeArtifact(StringRef path, mlir::ModuleOp lowered,
                          llvm::Module &code, const Model &model) {
  namespace fa = trit::artifact;
  auto target = mlir::trit::TargetAttr::lookup(lowered);
  auto plan = lowered->getAttrOfType<mlir::DictionaryAttr>("trit.memory_plan");
  auto meta = lowered->getAttrOfType<mlir::DictionaryAttr>("trit.model");
  auto rope = lowered->getAttrOfType<mlir::DictionaryAttr>("trit.rope");
  auto table = lowered->getAttrOfType<mlir::ArrayAttr>("trit.weights");
  if (!target || !plan || !meta || !table)
    return makeError("the module was not lowered by trit-lower");

  auto library = linkSharedObject(code);
  if (!library)
    return library.takeError();

  // The weights in the layouts the code reads (views of the mapped model
  // where the source already has that layout).
  struct Blob {
    std::string name, layout;
    llvm::ArrayRef<uint8_t> bytes;
    std::vector<uint8_t> storage;
  };
  std::vector<Blob> blobs;
  blobs.reserve(table.size());
  for (auto entry : table.getAsRange<mlir::DictionaryAttr>()) {
    Blob &blob = blobs.emplace_back();
    blob.name = entry.getAs<mlir::StringAttr>("name").getValue().str();
    blob.layout = entry.getAs<mlir::StringAttr>("layout").getValue().str();
    const Weight *weight = model.lookup(blob.name);
    if (!weight)
      return makeError("the model has no weight '" + blob.name + "'");
    auto bytes = getWeightBytes(*weight, blob.layout, blob.storage);
    if (!bytes)
      return bytes.takeError();
    blob.bytes = *bytes;
  }

  // The header, built twice: once to learn its size, once with the final
  // offsets (every scalar is stored, so the size does not change).
  std::vector<std::string> required;
  for (const char *feature : fa::kCheckableFeatures)
    if (target.hasFeature(feature))
      required.push_back(feature);
  auto buildHeader = [&](flatbuffers::FlatBufferBuilder &fbb,
                         uint64_t codeOffset,
                         const std::vector<uint64_t> &offsets) {
    fbb.ForceDefaults(true);
    const TokenizerData &tok = model.tokenizer;
    auto tokenizer = fa::CreateTokenizer(
        fbb, fbb.CreateString(tok.model), fbb.CreateString(tok.pre),
        fbb.CreateVectorOfStrings(tok.tokens),
        fbb.CreateVector(tok.tokenTypes), fbb.CreateVector(tok.scores),
        fbb.CreateVectorOfStrings(tok.merges), tok.bosId, tok.eosId,
        tok.eotId, tok.addBos, fbb.CreateString(tok.chatTemplate));
    auto modelInfo = fa::CreateModelInfo(
        fbb, fbb.CreateString(model.config.architecture),
        getInt(meta, "vocab_size"), getInt(meta, "layers"),
        getInt(meta, "hidden_size"), getInt(meta, "heads"),
        getInt(meta, "kv_heads"), getInt(meta, "head_dim"),
        getInt(meta, "context_length"));
    auto targetInfo = fa::CreateTarget(
        fbb, fbb.CreateString(target.getTriple().str()),
        fbb.CreateString(target.getCpu().str()),
        fbb.CreateVectorOfStrings(required));
    std::vector<flatbuffers::Offset<fa::Weight>> weights;
    for (size_t i = 0; i < blobs.size(); ++i)
      weights.push_back(fa::CreateWeight(
          fbb, fbb.CreateString(blobs[i].name),
          fbb.CreateString(blobs[i].layout), offsets[i],
          blobs[i].bytes.size()));
    auto weightVector = fbb.CreateVector(weights);
    auto entryPoints = fbb.CreateVectorOfStrings(
        std::vector<std::string>{"trit_prefill", "trit_decode"});
    auto memoryPlan = fa::CreateMemoryPlan(fbb, getInt(plan, "arena_size"),
                                           getInt(plan, "max_tokens"),
                                           getInt(plan, "max_context"));
    flatbuffers::Offset<fa::Rope> ropeInfo =
        rope ? fa::CreateRope(
                   fbb, getInt(rope, "head_dim"),
                   rope.getAs<mlir::FloatAttr>("theta").getValueAsDouble())
             : 0;
    auto compiler = fbb.CreateString("tritc");
    auto root = fa::CreateArtifact(
        fbb, TRIT_ABI_VERSION, modelInfo, tokenizer, targetInfo, entryPoints,
        memoryPlan, ropeInfo, weightVector, codeOffset,
        (*library)->getBufferSize(), compiler);
    fa::FinishArtifactBuffer(fbb, root);
  };
  std::vector<uint64_t> offsets(blobs.size(), 0);
  flatbuffers::FlatBufferBuilder sizing;
  buildHeader(sizing, 0, offsets);
  uint64_t headerOffset = sizeof(fa::Prefix);
  uint64_t codeOffset = fa::alignUp(headerOffset + sizing.GetSize());
  uint64_t end = fa::alignUp(codeOffset + (*library)->getBufferSize());
  for (size_t i = 0; i < blobs.size(); ++i) {
    offsets[i] = end;
    end = fa::alignUp(end + blobs[i].bytes.size());
  }
  flatbuffers::FlatBufferBuilder fbb;
  buildHeader(fbb, codeOffset, offsets);
  if (fbb.GetSize() != sizing.GetSize())
    return makeError("internal error: the artifact header changed size");

  // Write it all, checksum zero, then checksum the file and patch the
  // prefix.
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return makeError(path + ": " + ec.message());
  fa::Prefix prefix{};
  std::memcpy(prefix.magic, fa::kMagic, 8);
  prefix.containerVersion = fa::kContainerVersion;
  prefix.headerOffset = headerOffset;
  prefix.headerSize = fbb.GetSize();
  prefix.fileSize = end;
  uint64_t written = 0;
  auto put = [&](const void *bytes, uint64_t n) {
    os.write(static_cast<const char *>(bytes), n);
    written += n;
  };
  auto padTo = [&](uint64_t offset) {
    static const char zeros[fa::kAlignment] = {};
    while (written < offset)
      put(zeros, std::min<uint64_t>(offset - written, fa::kAlignment));
  };
  put(&prefix, sizeof(prefix));
  put(fbb.GetBufferPointer(), fbb.GetSize());
  padTo(codeOffset);
  put((*library)->getBufferStart(), (*library)->getBufferSize());
  for (size_t i = 0; i < blobs.size(); ++i) {
    padTo(offsets[i]);
    put(blobs[i].bytes.data(), blobs[i].bytes.size());
  }
  padTo(end);
  os.close();
  if (os.has_error())
    return makeError(path + ": " + os.error().message());

  int fd = ::open(path.str().c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return makeError(path + ": cannot reopen to checksum it");
  void *mapped = mmap(nullptr, end, PROT_READ, MAP_SHARED, fd, 0);
  if (mapped == MAP_FAILED) {
    ::close(fd);
    return makeError(path + ": cannot map it to checksum it");
  }
  prefix.checksum = fa::checksum(static_cast<const uint8_t *>(mapped) +
                                     sizeof(prefix),
                                 end - sizeof(prefix));
  munmap(mapped, end);
  bool ok = ::pwrite(fd, &prefix, sizeof(prefix), 0) == sizeof(prefix);
  ::close(fd);
  if (!ok)
    return makeError(path + ": cannot write the checksum");
  return Error::success();
}
