//===- Packaging.cpp - ship a compiled model as a program or library ------===//

#include "trit/Compiler/Packaging.h"
#include "trit/Compiler/ArtifactWriter.h"
#include "trit/abi.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/Object/Archive.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using llvm::Error;
using llvm::StringRef;
using llvm::Twine;

// The runtime's C API header, embedded like the kernel bitcode
// (CApiHeader.S.in) so that tritc writes self-contained library headers.
extern "C" const char trit_c_api_header_begin[];
extern "C" const char trit_c_api_header_end[];

namespace {

Error makeError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The container's alignment in the program: a page, so the kernel maps it
/// straight from the file and it can be advised and prefetched by page.
constexpr uint64_t kContainerAlignment = 4096;

} // namespace

Error trit::addLinkedModel(llvm::Module &code, StringRef symbol,
                           StringRef containerSymbol, StringRef containerFile,
                           const ContainerWriter &container) {
  llvm::LLVMContext &context = code.getContext();
  llvm::Function *prefill = code.getFunction("trit_prefill");
  llvm::Function *decode = code.getFunction("trit_decode");
  if (!prefill || !decode || prefill->isDeclaration() ||
      decode->isDeclaration())
    return makeError("the module does not define trit_prefill and "
                     "trit_decode");
  if (code.getNamedValue(symbol))
    return makeError("the symbol " + symbol + " is already defined");
  // The entry points are reached through the constant only.
  prefill->setLinkage(llvm::GlobalValue::InternalLinkage);
  decode->setLinkage(llvm::GlobalValue::InternalLinkage);

  auto *i32 = llvm::Type::getInt32Ty(context);
  auto *i64 = llvm::Type::getInt64Ty(context);
  auto *ptr = llvm::PointerType::get(context, 0);
  // The layout of trit_linked_model in abi.h.
  auto *type = llvm::StructType::get(context,
                                     {i32, i32, ptr, ptr, ptr, i64, ptr, i64});
  llvm::Constant *bytes = llvm::ConstantPointerNull::get(ptr);
  llvm::Constant *file = llvm::ConstantPointerNull::get(ptr);
  if (!containerSymbol.empty()) {
    auto *external = new llvm::GlobalVariable(
        code, llvm::ArrayType::get(llvm::Type::getInt8Ty(context), 0),
        /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage, nullptr,
        containerSymbol);
    external->setVisibility(llvm::GlobalValue::HiddenVisibility);
    external->setAlignment(llvm::Align(kContainerAlignment));
    bytes = external;
  } else {
    auto *name = new llvm::GlobalVariable(
        code, llvm::ArrayType::get(llvm::Type::getInt8Ty(context),
                                   containerFile.size() + 1),
        /*isConstant=*/true, llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantDataArray::getString(context, containerFile),
        symbol + ".container_file");
    name->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
    file = name;
  }
  auto *init = llvm::ConstantStruct::get(
      type, {llvm::ConstantInt::get(i32, TRIT_ABI_VERSION),
             llvm::ConstantInt::get(i32, 0), prefill, decode, bytes,
             llvm::ConstantInt::get(i64, container.getSize()), file,
             llvm::ConstantInt::get(i64, container.getChecksum())});
  auto *model = new llvm::GlobalVariable(code, type, /*isConstant=*/true,
                                         llvm::GlobalValue::ExternalLinkage,
                                         init, symbol);
  model->setAlignment(llvm::Align(8));
  return Error::success();
}

Error trit::writeContainerObject(StringRef path, const llvm::Triple &triple,
                                 StringRef symbol,
                                 const ContainerWriter &container) {
  namespace elf = llvm::ELF;
  uint16_t machine;
  if (triple.getArch() == llvm::Triple::x86_64)
    machine = elf::EM_X86_64;
  else if (triple.getArch() == llvm::Triple::aarch64)
    machine = elf::EM_AARCH64;
  else
    return makeError("cannot write an object for " + triple.str());
  bool x86 = machine == elf::EM_X86_64;

  // Sections: null, the container, .symtab, .strtab, .shstrtab and an
  // empty .note.GNU-stack (the stack stays non-executable).
  StringRef sectionName = x86 ? ".lrodata.trit_container"
                              : ".rodata.trit_container";
  std::string shstrtab(1, '\0');
  auto addName = [](std::string &table, StringRef name) {
    uint32_t offset = table.size();
    table += name.str();
    table += '\0';
    return offset;
  };
  uint32_t containerName = addName(shstrtab, sectionName);
  uint32_t symtabName = addName(shstrtab, ".symtab");
  uint32_t strtabName = addName(shstrtab, ".strtab");
  uint32_t shstrtabName = addName(shstrtab, ".shstrtab");
  uint32_t stackName = addName(shstrtab, ".note.GNU-stack");
  std::string strtab(1, '\0');
  uint32_t symbolName = addName(strtab, symbol);

  elf::Elf64_Sym symbols[3] = {};
  symbols[1].st_info = elf::STT_SECTION; // local
  symbols[1].st_shndx = 1;
  symbols[2].st_name = symbolName;
  symbols[2].st_info = (elf::STB_GLOBAL << 4) | elf::STT_OBJECT;
  symbols[2].st_other = elf::STV_HIDDEN;
  symbols[2].st_shndx = 1;
  symbols[2].st_size = container.getSize();

  auto align = [](uint64_t v, uint64_t a) { return (v + a - 1) / a * a; };
  uint64_t containerOffset = kContainerAlignment;
  uint64_t symtabOffset = align(containerOffset + container.getSize(), 8);
  uint64_t strtabOffset = symtabOffset + sizeof(symbols);
  uint64_t shstrtabOffset = strtabOffset + strtab.size();
  uint64_t sectionsOffset = align(shstrtabOffset + shstrtab.size(), 8);

  elf::Elf64_Shdr sections[6] = {};
  sections[1] = {containerName, elf::SHT_PROGBITS,
                 elf::SHF_ALLOC | (x86 ? uint64_t(elf::SHF_X86_64_LARGE) : 0),
                 0, containerOffset, container.getSize(), 0, 0,
                 kContainerAlignment, 0};
  sections[2] = {symtabName, elf::SHT_SYMTAB, 0, 0, symtabOffset,
                 sizeof(symbols), /*link=*/3, /*first global=*/2, 8,
                 sizeof(elf::Elf64_Sym)};
  sections[3] = {strtabName, elf::SHT_STRTAB, 0, 0, strtabOffset,
                 strtab.size(), 0, 0, 1, 0};
  sections[4] = {shstrtabName, elf::SHT_STRTAB, 0, 0, shstrtabOffset,
                 shstrtab.size(), 0, 0, 1, 0};
  sections[5] = {stackName, elf::SHT_PROGBITS, 0, 0, sectionsOffset, 0, 0, 0,
                 1, 0};

  elf::Elf64_Ehdr header = {};
  std::memcpy(header.e_ident, elf::ElfMagic, 4);
  header.e_ident[elf::EI_CLASS] = elf::ELFCLASS64;
  header.e_ident[elf::EI_DATA] = elf::ELFDATA2LSB;
  header.e_ident[elf::EI_VERSION] = elf::EV_CURRENT;
  header.e_ident[elf::EI_OSABI] = elf::ELFOSABI_NONE;
  header.e_type = elf::ET_REL;
  header.e_machine = machine;
  header.e_version = elf::EV_CURRENT;
  header.e_shoff = sectionsOffset;
  header.e_ehsize = sizeof(header);
  header.e_shentsize = sizeof(elf::Elf64_Shdr);
  header.e_shnum = 6;
  header.e_shstrndx = 4;

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return makeError(path + ": " + ec.message());
  auto padTo = [&](uint64_t offset) {
    while (os.tell() < offset)
      os << '\0';
  };
  os.write(reinterpret_cast<const char *>(&header), sizeof(header));
  padTo(containerOffset);
  container.write(os);
  padTo(symtabOffset);
  os.write(reinterpret_cast<const char *>(symbols), sizeof(symbols));
  os << strtab << shstrtab;
  padTo(sectionsOffset);
  os.write(reinterpret_cast<const char *>(sections), sizeof(sections));
  os.close();
  if (os.has_error())
    return makeError(path + ": " + os.error().message());
  return Error::success();
}

llvm::Expected<trit::TargetRuntime>
trit::findTargetRuntime(const llvm::Triple &triple, StringRef directory,
                        const char *argv0) {
  StringRef arch = triple.getArchName();
  if (!triple.isOSLinux() ||
      (triple.getEnvironment() != llvm::Triple::GNU &&
       triple.getEnvironment() != llvm::Triple::UnknownEnvironment))
    return makeError("no Trit runtime for " + triple.str() +
                     ": programs and libraries are for Linux with the GNU C "
                     "library (x86_64 and aarch64)");
  if (triple.getArch() == llvm::Triple::x86_64)
    arch = "x86_64";
  else if (triple.getArch() == llvm::Triple::aarch64)
    arch = "aarch64";
  else
    return makeError("no Trit runtime for " + triple.str() +
                     "; supported: x86_64 and aarch64 Linux");
  llvm::SmallString<256> dir(directory);
  if (dir.empty()) {
    // <prefix>/bin/tritc -> <prefix>/lib/trit/<arch>
    static int anchor;
    dir = llvm::sys::path::parent_path(llvm::sys::path::parent_path(
        llvm::sys::fs::getMainExecutable(argv0, &anchor)));
    llvm::sys::path::append(dir, "lib", "trit", arch);
  }
  TargetRuntime runtime;
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, "libtrit-runtime.a");
  runtime.archive = std::string(path);
  path = dir;
  llvm::sys::path::append(path, "trit-main.o");
  runtime.mainObject = std::string(path);
  if (!llvm::sys::fs::exists(runtime.archive) ||
      !llvm::sys::fs::exists(runtime.mainObject))
    return makeError("no Trit runtime for " + arch + " in " + dir +
                     " (libtrit-runtime.a, trit-main.o): Trit's build makes "
                     "it when the " + arch +
                     " toolchain is installed (scripts/setup.sh)");
  return runtime;
}

Error trit::linkExecutable(const llvm::Triple &triple,
                           const TargetRuntime &runtime,
                           llvm::ArrayRef<std::string> objects,
                           StringRef output,
                           const ExecutableOptions &options) {
  // The clang driver knows where each target's C library, start files and
  // libstdc++ are (for aarch64: Debian's cross packages).
  auto driver = llvm::sys::findProgramByName("clang++-19");
  if (!driver)
    driver = llvm::sys::findProgramByName("clang++");
  if (!driver)
    return makeError("linking an executable needs clang++ (Debian package "
                     "clang-19), which is not on PATH");
  std::string target = "--target=" + triple.str();
  llvm::SmallVector<std::string> args = {*driver, target, "-fuse-ld=lld",
                                         "-pthread", "-o", output.str()};
  if (auto lld = llvm::sys::findProgramByName("ld.lld-19"))
    args.push_back("--ld-path=" + *lld);
  args.push_back(runtime.mainObject);
  args.append(objects.begin(), objects.end());
  args.push_back(runtime.archive);
  args.append({"-ldl", "-lm", "-Wl,-z,noexecstack"});
  if (options.staticCxxRuntime)
    args.append({"-static-libstdc++", "-static-libgcc"});
  llvm::SmallVector<StringRef> argRefs(args.begin(), args.end());
  // The driver's own messages (a missing sysroot, say) reach stderr.
  std::string message;
  if (llvm::sys::ExecuteAndWait(*driver, argRefs, std::nullopt, {}, 0, 0,
                                &message) != 0)
    return makeError("linking " + output + " for " + triple.str() +
                     " failed" + (message.empty() ? "" : ": " + message) +
                     " (the command: " + llvm::join(args, " ") + ")");
  return Error::success();
}

Error trit::writeStaticLibrary(const TargetRuntime &runtime,
                               llvm::ArrayRef<std::string> objects,
                               StringRef output) {
  std::vector<llvm::NewArchiveMember> members;
  for (const std::string &object : objects) {
    auto member = llvm::NewArchiveMember::getFile(object, true);
    if (!member)
      return member.takeError();
    // Named by file name, not by the temporary directory: the archive is
    // the same for the same model.
    member->MemberName = llvm::sys::path::filename(object);
    members.push_back(std::move(*member));
  }
  auto runtimeBuffer = llvm::MemoryBuffer::getFile(runtime.archive);
  if (!runtimeBuffer)
    return makeError(runtime.archive + ": " +
                     runtimeBuffer.getError().message());
  auto archive = llvm::object::Archive::create(**runtimeBuffer);
  if (!archive)
    return archive.takeError();
  Error error = Error::success();
  for (const llvm::object::Archive::Child &child : (*archive)->children(error)) {
    auto member = llvm::NewArchiveMember::getOldMember(child, true);
    if (!member)
      return member.takeError();
    members.push_back(std::move(*member));
  }
  if (error)
    return error;
  return llvm::writeArchive(output, members,
                            llvm::SymtabWritingMode::NormalSymtab,
                            llvm::object::Archive::K_GNU,
                            /*Deterministic=*/true, /*Thin=*/false);
}

void trit::writeLinkedModelHeader(llvm::raw_ostream &os, StringRef name,
                                  StringRef symbol, StringRef library,
                                  StringRef description) {
  std::string guard = "TRIT_MODEL_" + llvm::StringRef(name).upper() + "_H";
  // The description names a file: a "*/" in it would end the comment.
  std::string text = description.str();
  for (size_t at; (at = text.find("*/")) != std::string::npos;)
    text.replace(at, 2, "*_/");
  std::replace(text.begin(), text.end(), '\n', ' ');
  os << "/* " << name << ".h: " << text << "\n"
     << " * Generated by tritc --emit=static-lib. Link a program with\n"
     << " *   cc app.c " << library << " -lstdc++ -lm -lpthread -ldl\n"
     << " * and open the model with trit_model_" << name
     << "_open(&model); the rest of\n"
     << " * the C API (trit.h, below) works as for a .trit file. */\n\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << StringRef(trit_c_api_header_begin,
                  trit_c_api_header_end - trit_c_api_header_begin)
     << "\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "extern const trit_linked_model " << symbol << ";\n\n"
     << "/* Opens the model built into this program. */\n"
     << "static inline trit_status trit_model_" << name
     << "_open(trit_model **model) {\n"
     << "  return trit_model_open_linked(&" << symbol << ", NULL, model);\n"
     << "}\n\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << guard
     << " */\n";
}

bool trit::isCIdentifier(StringRef name) {
  if (name.empty() || llvm::isDigit(name[0]))
    return false;
  return llvm::all_of(name, [](char c) { return llvm::isAlnum(c) || c == '_'; });
}

std::string trit::getCApiClash(StringRef name) {
  // The C API's trit_model_* functions (runtime/include/trit/trit.h).
  static const char *const api[] = {
      "trit_model_open",       "trit_model_open_linked",
      "trit_model_close",      "trit_model_vocab_size",
      "trit_model_max_context", "trit_model_bos",
      "trit_model_is_end"};
  for (const char *function : api)
    for (std::string declared :
         {"trit_model_" + name.str(), "trit_model_" + name.str() + "_open"})
      if (declared == function)
        return function;
  return "";
}

std::string trit::getModelNameFromPath(StringRef path) {
  StringRef stem = llvm::sys::path::stem(path);
  if (stem.starts_with("lib") && stem.size() > 3)
    stem = stem.drop_front(3);
  std::string name;
  for (char c : stem)
    name += llvm::isAlnum(c) ? c : '_';
  if (name.empty() || llvm::isDigit(name[0]))
    name.insert(0, "model_");
  return name;
}
