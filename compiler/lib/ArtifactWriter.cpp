//===- ArtifactWriter.cpp - write a compiled model as a .trit file --------===//

#include "trit/Compiler/ArtifactWriter.h"
#include "trit/Compiler/LoweredModule.h"
#include "trit/Compiler/WeightLayouts.h"
#include "trit/Dialect/TritAttrs.h"
#include "trit/Dialect/TritDialect.h"
#include "trit/Runtime/ArtifactFormat.h"
#include "trit/Runtime/artifact_generated.h"
#include "trit/abi.h"

#include "mlir/IR/BuiltinAttributes.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"


using llvm::Error;
using llvm::StringRef;
using llvm::Twine;

namespace {

Error makeError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

} // namespace

namespace trit {

struct ContainerWriter::Blob {
  std::string name, layout;
  uint64_t elements = 0;
  llvm::ArrayRef<uint8_t> bytes;
  std::vector<uint8_t> storage;
};

ContainerWriter::ContainerWriter() = default;
ContainerWriter::~ContainerWriter() = default;

llvm::Expected<std::unique_ptr<ContainerWriter>>
ContainerWriter::create(mlir::ModuleOp lowered, const Model &model,
                        std::unique_ptr<llvm::MemoryBuffer> library,
                        llvm::ArrayRef<std::string> loweringOptions,
                        PackingProgress progress) {
  namespace fa = trit::artifact;
  auto target = mlir::trit::TargetAttr::lookup(lowered);
  auto table = lowered->getAttrOfType<mlir::ArrayAttr>(
      mlir::trit::TritDialect::kWeightsAttrName);
  llvm::Expected<LoweredModuleInfo> info = getLoweredModuleInfo(lowered);
  if (!info)
    return info.takeError();
  if (!target || !table)
    return makeError("the module was not lowered by trit-lower");
  const LoweredModuleInfo &module = *info;
  std::unique_ptr<ContainerWriter> writer(new ContainerWriter());
  writer->library = std::move(library);
  uint64_t codeSize = writer->library ? writer->library->getBufferSize() : 0;

  // The weights in the layouts the code reads (views of the mapped model
  // where the source already has that layout).
  auto getElements = [](const Weight &weight) {
    uint64_t elements = 1;
    for (int64_t dim : weight.shape)
      elements *= uint64_t(dim);
    return elements;
  };
  uint64_t totalElements = 0, packedElements = 0;
  for (auto entry : table.getAsRange<mlir::DictionaryAttr>())
    if (const Weight *weight =
            model.lookup(entry.getAs<mlir::StringAttr>("name").getValue()))
      totalElements += getElements(*weight);
  std::vector<Blob> &blobs = writer->blobs;
  blobs.reserve(table.size());
  for (auto entry : table.getAsRange<mlir::DictionaryAttr>()) {
    Blob &blob = blobs.emplace_back();
    blob.name = entry.getAs<mlir::StringAttr>("name").getValue().str();
    blob.layout = entry.getAs<mlir::StringAttr>("layout").getValue().str();
    const Weight *weight = model.lookup(blob.name);
    if (!weight)
      return makeError("the model has no weight '" + blob.name + "'");
    blob.elements = getElements(*weight);
    auto bytes = packWeight(*weight, blob.layout, blob.storage);
    if (!bytes)
      return bytes.takeError();
    blob.bytes = *bytes;
    packedElements += blob.elements;
    if (progress)
      progress(packedElements, totalElements);
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
        fbb, fbb.CreateString(model.config.architecture), module.vocab,
        module.layers, module.hiddenSize, module.heads, module.kvHeads,
        module.headDim, module.contextLength);
    auto targetInfo = fa::CreateTarget(
        fbb, fbb.CreateString(target.getTriple().str()),
        fbb.CreateString(target.getCpu().str()),
        fbb.CreateVectorOfStrings(required));
    std::vector<flatbuffers::Offset<fa::Weight>> weights;
    for (size_t i = 0; i < blobs.size(); ++i)
      weights.push_back(fa::CreateWeight(
          fbb, fbb.CreateString(blobs[i].name),
          fbb.CreateString(blobs[i].layout), offsets[i],
          blobs[i].bytes.size(), blobs[i].elements));
    auto weightVector = fbb.CreateVector(weights);
    auto entryPoints = fbb.CreateVectorOfStrings(
        std::vector<std::string>{"trit_prefill", "trit_decode"});
    auto memoryPlan = fa::CreateMemoryPlan(fbb, module.arenaSize,
                                           module.maxTokens, module.maxContext);
    flatbuffers::Offset<fa::Rope> ropeInfo =
        module.ropeDim ? fa::CreateRope(fbb, module.ropeDim, module.ropeTheta,
                                        module.ropeYarnFactor,
                                        module.ropeYarnOriginalContext)
                       : 0;
    auto compiler = fbb.CreateString("tritc");
    auto options = fbb.CreateVectorOfStrings(std::vector<std::string>(
        loweringOptions.begin(), loweringOptions.end()));
    fa::ArtifactBuilder artifact(fbb);
    artifact.add_abi_version(TRIT_ABI_VERSION);
    artifact.add_model(modelInfo);
    artifact.add_tokenizer(tokenizer);
    artifact.add_target(targetInfo);
    artifact.add_entry_points(entryPoints);
    artifact.add_memory_plan(memoryPlan);
    artifact.add_rope(ropeInfo);
    artifact.add_weights(weightVector);
    artifact.add_code_offset(codeOffset);
    artifact.add_code_size(codeSize);
    artifact.add_compiler(compiler);
    artifact.add_lowering_options(options);
    auto root = artifact.Finish();
    fa::FinishArtifactBuffer(fbb, root);
  };
  std::vector<uint64_t> &offsets = writer->offsets;
  offsets.assign(blobs.size(), 0);
  flatbuffers::FlatBufferBuilder sizing;
  buildHeader(sizing, 0, offsets);
  uint64_t headerOffset = sizeof(fa::Prefix);
  uint64_t end = fa::alignUp(headerOffset + sizing.GetSize());
  // A container without code (the code is linked into a program) records
  // code offset 0 and size 0.
  if (codeSize) {
    writer->codeOffset = end;
    end = fa::alignUp(end + codeSize);
  }
  for (size_t i = 0; i < blobs.size(); ++i) {
    offsets[i] = end;
    end = fa::alignUp(end + blobs[i].bytes.size());
  }
  writer->header = std::make_unique<flatbuffers::FlatBufferBuilder>();
  buildHeader(*writer->header, writer->codeOffset, offsets);
  if (writer->header->GetSize() != sizing.GetSize())
    return makeError("internal error: the artifact header changed size");

  fa::Prefix &prefix = writer->prefix;
  std::memcpy(prefix.magic, fa::kMagic, 8);
  prefix.containerVersion = fa::kContainerVersion;
  prefix.headerOffset = headerOffset;
  prefix.headerSize = writer->header->GetSize();
  prefix.fileSize = end;
  // The checksum covers everything after the prefix: stream it once.
  fa::ContainerChecksum sum;
  writer->streamAfterPrefix([&](const void *bytes, uint64_t n) {
    sum.update(static_cast<const uint8_t *>(bytes), n);
  });
  prefix.checksum = sum.finish();
  return writer;
}

void ContainerWriter::streamAfterPrefix(
    llvm::function_ref<void(const void *, uint64_t)> sink) const {
  uint64_t position = sizeof(prefix);
  auto put = [&](const void *bytes, uint64_t n) {
    sink(bytes, n);
    position += n;
  };
  auto padTo = [&](uint64_t offset) {
    static const char zeros[artifact::kAlignment] = {};
    while (position < offset)
      put(zeros, std::min<uint64_t>(offset - position, artifact::kAlignment));
  };
  put(header->GetBufferPointer(), header->GetSize());
  if (library) {
    padTo(codeOffset);
    put(library->getBufferStart(), library->getBufferSize());
  }
  for (size_t i = 0; i < blobs.size(); ++i) {
    padTo(offsets[i]);
    put(blobs[i].bytes.data(), blobs[i].bytes.size());
  }
  padTo(prefix.fileSize);
}

void ContainerWriter::write(llvm::raw_ostream &os) const {
  os.write(reinterpret_cast<const char *>(&prefix), sizeof(prefix));
  streamAfterPrefix([&](const void *bytes, uint64_t n) {
    os.write(static_cast<const char *>(bytes), n);
  });
}

Error writeContainerFile(StringRef path, const ContainerWriter &writer) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return makeError(path + ": " + ec.message());
  writer.write(os);
  os.close();
  if (os.has_error())
    return makeError(path + ": " + os.error().message());
  return Error::success();
}

} // namespace trit
