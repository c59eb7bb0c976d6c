//===- Artifact.cpp - open a compiled model (.trit) -----------------------===//

#include "trit/Runtime/Artifact.h"
#include "trit/Runtime/ArtifactFormat.h"
#include "trit/Runtime/CpuFeatures.h"
#include "trit/abi.h"
#include "trit/layouts.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace trit;

/// artifact::containerChecksum with its chunks spread over the CPU's
/// threads: reading a gigabyte is the largest cost of opening a model.
/// Helpers that cannot be created (thread limits) leave their chunks to the
/// caller: pthreads report that instead of throwing.
namespace {
struct ChecksumWork {
  const uint8_t *data;
  size_t size, chunks;
  std::vector<uint64_t> sums;
  std::atomic<size_t> next{0};

  void run() {
    for (size_t c; (c = next.fetch_add(1)) < chunks;) {
      uint64_t begin = c * artifact::kChecksumChunk;
      sums[c] = artifact::checksum(
          data + begin,
          std::min<uint64_t>(artifact::kChecksumChunk, size - begin));
    }
  }
};
} // namespace

static uint64_t checksumInParallel(const uint8_t *data, size_t size) {
  ChecksumWork work;
  work.data = data;
  work.size = size;
  work.chunks = (size + artifact::kChecksumChunk - 1) / artifact::kChecksumChunk;
  work.sums.resize(work.chunks);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  size_t threads = std::min<size_t>(
      {work.chunks, size_t(cpus > 0 ? cpus : 1), size_t(8)});
  std::vector<pthread_t> helpers;
  for (size_t i = 1; i < threads; ++i) {
    pthread_t thread;
    auto body = [](void *w) -> void * {
      static_cast<ChecksumWork *>(w)->run();
      return nullptr;
    };
    if (pthread_create(&thread, nullptr, body, &work) != 0)
      break;
    helpers.push_back(thread);
  }
  work.run();
  for (pthread_t thread : helpers)
    pthread_join(thread, nullptr);
  return artifact::combineChunkChecksums(work.sums.data(), work.sums.size());
}

/// This program's file, for the container beside it and for messages.
static std::string getExecutablePath() {
  char buffer[4096];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  return n > 0 ? std::string(buffer, n) : std::string("this program");
}

Artifact::~Artifact() {
  if (library)
    dlclose(library);
  if (mapBase)
    munmap(mapBase, mapLength);
  else if (mapped)
    munmap(const_cast<uint8_t *>(data), size);
}

namespace {
/// Where a built-in container's bytes are in a file: the loaded object
/// whose segment holds them, and their offset in its file.
struct BuiltInLocation {
  const uint8_t *container;
  std::string file;
  off_t offset = -1;
};
} // namespace

bool Artifact::remapBuiltIn(const uint8_t *container, size_t containerSize) {
  BuiltInLocation where{container, {}, -1};
  dl_iterate_phdr(
      [](dl_phdr_info *info, size_t, void *closure) {
        auto *where = static_cast<BuiltInLocation *>(closure);
        auto address = reinterpret_cast<uintptr_t>(where->container);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr) &segment = info->dlpi_phdr[i];
          uintptr_t start = info->dlpi_addr + segment.p_vaddr;
          if (segment.p_type != PT_LOAD || address < start ||
              address >= start + segment.p_filesz)
            continue;
          // The first object is the program itself, named "".
          where->file = info->dlpi_name && info->dlpi_name[0]
                            ? info->dlpi_name
                            : getExecutablePath();
          where->offset = off_t(segment.p_offset + (address - start));
          return 1;
        }
        return 0;
      },
      &where);
  if (where.offset < 0)
    return false;
  int fd = ::open(where.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  struct stat st;
  long page = sysconf(_SC_PAGESIZE);
  off_t aligned = where.offset / page * page;
  size_t delta = size_t(where.offset - aligned);
  void *bytes = MAP_FAILED;
  if (fstat(fd, &st) == 0 &&
      off_t(where.offset + containerSize) <= st.st_size)
    bytes = mmap(nullptr, containerSize + delta, PROT_READ, MAP_PRIVATE, fd,
                 aligned);
  ::close(fd);
  if (bytes == MAP_FAILED)
    return false;
  const uint8_t *copy = static_cast<const uint8_t *>(bytes) + delta;
  // The same bytes, or the loader's mapping stays (the checksum still
  // guards both).
  if (std::memcmp(copy, container, std::min<size_t>(containerSize, 4096))) {
    munmap(bytes, containerSize + delta);
    return false;
  }
  data = copy;
  size = containerSize;
  mapped = true;
  mapBase = bytes;
  mapLength = containerSize + delta;
  return true;
}

Expected<std::unique_ptr<Artifact>>
Artifact::open(const std::string &path, const ArtifactOpenOptions &options) {
  std::unique_ptr<Artifact> a(new Artifact());
  a->path = path;
  if (Error e = a->map())
    return e;
  if (Error e = a->load(options, nullptr))
    return e;
  return a;
}

Expected<std::unique_ptr<Artifact>>
Artifact::openMemory(const uint8_t *data, size_t size, const std::string &name,
                     const ArtifactOpenOptions &options) {
  std::unique_ptr<Artifact> a(new Artifact());
  a->path = name;
  a->data = data;
  a->size = size;
  if (Error e = a->load(options, nullptr))
    return e;
  return a;
}

Expected<std::unique_ptr<Artifact>>
Artifact::openLinked(const trit_linked_model &model,
                     const std::string &containerPath,
                     const ArtifactOpenOptions &options) {
  std::unique_ptr<Artifact> a(new Artifact());
  if (model.abi_version != TRIT_ABI_VERSION)
    return makeError("the model linked into this program was compiled for "
                     "runtime ABI version " +
                     std::to_string(model.abi_version) + "; its runtime has " +
                     std::to_string(TRIT_ABI_VERSION));
  if (model.container) {
    if (!containerPath.empty())
      return makeError(containerPath +
                       ": a weights file was given, but this program's "
                       "weights are built in");
    // Mapped from the program's own file by the loader. Mapped again by
    // us: on Linux 6.18 two threads streaming the weights through the
    // loader's mapping of the program's 1.1 GB read-only segment ran 2-5x
    // slower than one (2B4T shape, tritc --emit=exe), through a mapping of
    // the same file region made with mmap as fast as trit-run's.
    a->path = getExecutablePath() + " (built-in model)";
    if (!a->remapBuiltIn(model.container, model.container_size)) {
      a->data = model.container;
      a->size = model.container_size;
    }
  } else {
    if (!model.container_file)
      return makeError("the model linked into this program has no weights");
    a->path = containerPath;
    if (a->path.empty()) {
      // Beside the program, wherever it is run from.
      std::string program = getExecutablePath();
      a->path = program.substr(0, program.rfind('/') + 1) +
                model.container_file;
    }
    if (Error e = a->map())
      return e;
  }
  if (Error e = a->load(options, &model))
    return e;
  return a;
}

Error Artifact::map() {
  auto fail = [&](const std::string &message) {
    return makeError(path + ": " + message);
  };
  // Non-blocking: opening a FIFO would otherwise wait for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return fail(std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("not a regular file");
  }
  size = st.st_size;
  if (size < sizeof(artifact::Prefix)) {
    ::close(fd);
    return fail("too small to be a Trit artifact (" + std::to_string(size) +
                " bytes)");
  }
  void *bytes = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (bytes == MAP_FAILED) {
    size = 0;
    return fail(std::string("cannot map the file: ") + std::strerror(errno));
  }
  data = static_cast<const uint8_t *>(bytes);
  mapped = true;
  return Error::success();
}

Error Artifact::load(const ArtifactOpenOptions &options,
                     const trit_linked_model *linked) {
  auto fail = [&](const std::string &message) {
    return makeError(path + ": " + message);
  };
  if (size < sizeof(artifact::Prefix))
    return fail("too small to be a Trit artifact (" + std::to_string(size) +
                " bytes)");

  // The prefix: magic, version, size, checksum.
  artifact::Prefix prefix;
  std::memcpy(&prefix, data, sizeof(prefix));
  if (std::memcmp(prefix.magic, artifact::kMagic, 8) != 0)
    return fail("not a Trit artifact (no TRITMODL magic); compile a model "
                "with tritc MODEL -o model.trit");
  if (prefix.containerVersion != artifact::kContainerVersion)
    return fail("artifact format version " +
                std::to_string(prefix.containerVersion) +
                "; this runtime reads version " +
                std::to_string(artifact::kContainerVersion) + ": recompile it");
  if (prefix.fileSize != size)
    return fail("truncated or extended: the artifact should be " +
                std::to_string(prefix.fileSize) + " bytes, the file has " +
                std::to_string(size));
  // A linked model knows its container's checksum: a file of another
  // model, or of another compilation of this one, is refused up front.
  if (linked && prefix.checksum != linked->container_checksum)
    return fail("the weights of another model (or of another compilation of "
                "it): give this program's own weights file (tritc wrote it "
                "beside the program)");
  if (prefix.headerOffset < sizeof(prefix) || prefix.headerOffset > size ||
      prefix.headerSize > size - prefix.headerOffset)
    return fail("the header lies outside the file");
  uint64_t sum = options.verifyChecksum
                     ? checksumInParallel(data + sizeof(prefix),
                                          size - sizeof(prefix))
                     : 0;
  if (options.verifyChecksum && sum != prefix.checksum)
    return fail("checksum mismatch: the file is damaged");

  // The FlatBuffer header.
  const uint8_t *headerBytes = data + prefix.headerOffset;
  flatbuffers::Verifier verifier(headerBytes, prefix.headerSize);
  if (!artifact::VerifyArtifactBuffer(verifier))
    return fail("the header is not a valid artifact FlatBuffer");
  header = artifact::GetArtifact(headerBytes);
  if (header->abi_version() != TRIT_ABI_VERSION)
    return fail("compiled for runtime ABI version " +
                std::to_string(header->abi_version()) + "; this runtime has " +
                std::to_string(TRIT_ABI_VERSION) + ": recompile it");
  const artifact::Target *target = header->target();
  auto str = [](const flatbuffers::String *s) {
    return s ? s->str() : std::string();
  };
  if (!target || !header->model() || !header->memory_plan() ||
      !header->weights())
    return fail("the header lacks the target, model, memory plan or weights");

  // The CPU: architecture, then features.
  std::string triple = str(target->triple());
  std::string arch = triple.substr(0, triple.find('-'));
  if (arch == "arm64")
    arch = "aarch64";
  if (arch != getHostArch())
    return fail("compiled for " + triple + " (" + str(target->cpu()) +
                "); this machine is " + getHostArch());
  std::vector<std::string> required;
  if (target->required_features())
    for (const flatbuffers::String *f : *target->required_features())
      required.push_back(f->str());
  std::vector<std::string> missing = getMissingFeatures(required);
  if (!missing.empty()) {
    std::string list;
    for (const std::string &f : missing)
      list += (list.empty() ? "" : ", ") + f;
    return fail("compiled for " + str(target->cpu()) + "; this CPU lacks " +
                list);
  }

  // Ranges of the code and the weights.
  auto inFile = [&](uint64_t offset, uint64_t length) {
    return offset % artifact::kAlignment == 0 && offset <= size &&
           length <= size - offset;
  };
  // A container without code belongs to a program its model is linked
  // into.
  if (!linked && header->code_size() == 0)
    return fail("no compiled code: the weights of a program built by tritc "
                "--emit=exe --weights=external; run that program");
  if (!linked && !inFile(header->code_offset(), header->code_size()))
    return fail("the compiled code lies outside the file");
  for (const artifact::Weight *w : *header->weights()) {
    if (!inFile(w->offset(), w->size()))
      return fail("weight '" + str(w->name()) + "' lies outside the file");
    // The layouts' table (trit/layouts.h) is the definition of the names.
    trit_weight_layout layout;
    if (!trit_weight_layout_from_name(str(w->layout()).c_str(), &layout))
      return fail("weight '" + str(w->name()) + "' is in layout '" +
                  str(w->layout()) +
                  "', which this runtime does not know: compiled by a "
                  "newer tritc?");
    weights.push_back(data + w->offset());
  }

  const artifact::ModelInfo *model = header->model();
  const artifact::MemoryPlan *plan = header->memory_plan();
  info.arenaSize = plan->arena_size();
  info.maxTokens = plan->max_tokens();
  info.maxContext = plan->max_context();
  info.layers = model->layers();
  info.kvHeads = model->kv_heads();
  info.headDim = model->head_dim();
  info.vocab = model->vocab_size();
  if (header->rope()) {
    info.ropeDim = header->rope()->head_dim();
    info.ropeTheta = header->rope()->theta();
    info.ropeYarnFactor = header->rope()->yarn_factor();
    info.ropeYarnOriginalContext = header->rope()->yarn_original_context();
  }
  if (info.maxTokens < 1 || info.maxContext < 1 || info.vocab < 1 ||
      info.layers < 0 || info.kvHeads < 0 || info.headDim < 0 ||
      info.arenaSize < 0 || info.maxContext > (1 << 24) ||
      info.vocab > (1 << 24) || info.ropeDim < 0 || info.ropeDim > 4096 ||
      !(info.ropeYarnFactor == 0 || (info.ropeYarnFactor >= 1 &&
                                     info.ropeYarnFactor <= 1e6)) ||
      info.ropeYarnOriginalContext < 0 ||
      (info.ropeYarnFactor != 0 && info.ropeYarnOriginalContext == 0) ||
      info.layers > 4096 || info.kvHeads > 4096 || info.headDim > 4096 ||
      info.arenaSize > (int64_t(1) << 40))
    return fail("the header's model dimensions are implausible");
  if (!options.loadCode)
    return Error::success();
  if (linked) {
    info.prefill = linked->prefill;
    info.decode = linked->decode;
    return Error::success();
  }

  // The code: an ELF shared object, loaded from an anonymous file.
  auto loaded = loadCompiledCode(data + header->code_offset(),
                                 header->code_size(), info);
  if (!loaded)
    return fail(toString(loaded.takeError()));
  library = *loaded;
  return Error::success();
}

TokenizerSpec Artifact::getTokenizerSpec() const {
  TokenizerSpec spec;
  const artifact::Tokenizer *t = header->tokenizer();
  if (!t)
    return spec;
  auto str = [](const flatbuffers::String *s) {
    return s ? s->str() : std::string();
  };
  spec.model = str(t->model());
  spec.pre = str(t->pre());
  if (t->tokens())
    for (const flatbuffers::String *s : *t->tokens())
      spec.tokens.push_back(s->str());
  if (t->token_types())
    spec.tokenTypes.assign(t->token_types()->begin(), t->token_types()->end());
  if (t->scores())
    spec.scores.assign(t->scores()->begin(), t->scores()->end());
  if (t->merges())
    for (const flatbuffers::String *s : *t->merges())
      spec.merges.push_back(s->str());
  spec.bosId = t->bos_id();
  spec.eosId = t->eos_id();
  spec.eotId = t->eot_id();
  spec.addBos = t->add_bos();
  spec.chatTemplate = str(t->chat_template());
  return spec;
}
