//===- Programs.cpp - a compiled model as a program or a static library ---===//
//
// --emit=exe and --emit=static-lib: the model's object and its container
// (the header and the weights, no code), linked with the target's runtime
// (see Packaging.h).
//
//===----------------------------------------------------------------------===//

#include "DriverInternal.h"

#include "trit/Compiler/ArtifactWriter.h"
#include "trit/Compiler/CodeGen.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace trit::driver;
using llvm::SmallString;
namespace path = llvm::sys::path;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<ProgramPlan>
trit::driver::planProgram(const CompileOptions &options,
                          const llvm::Triple &triple) {
  ProgramPlan plan;
  auto runtime =
      findTargetRuntime(triple, options.runtimeDir, options.toolPath.c_str());
  if (!runtime)
    return runtime.takeError();
  plan.runtime = std::move(*runtime);
  plan.name = getModelNameFromPath(options.output);
  if (!options.modelName.empty()) {
    plan.name = options.modelName;
    if (!isCIdentifier(plan.name))
      return makeError("--model-name: '" + plan.name +
                       "' is not a C identifier");
  }
  if (options.emit == OutputKind::StaticLib) {
    if (std::string clash = getCApiClash(plan.name); !clash.empty())
      return makeError("the model name '" + plan.name + "' would declare " +
                       clash +
                       ", which the C API already has; choose another with "
                       "--model-name");
  }
  return plan;
}

llvm::Error trit::driver::writeProgram(const CompileOptions &options,
                                       const ProgramPlan &plan,
                                       mlir::ModuleOp lowered,
                                       llvm::Module &code, const Model &model,
                                       Progress &progress) {
  llvm::Triple triple(code.getTargetTriple());
  const std::string &output = options.output;
  const std::string &name = plan.name;
  progress.setStage("packing weights");
  auto container = ContainerWriter::create(
      lowered, model, nullptr, options.pipeline.getLoweringOptions(),
      progress.packingCallback());
  if (!container)
    return container.takeError();

  bool exe = options.emit == OutputKind::Exe;
  bool embedded = options.weights == WeightPlacement::Embedded;
  std::string symbol = exe ? "trit_executable_model" : "trit_model_" + name;
  std::string containerSymbol, containerFile;
  if (!embedded) {
    // Beside the output: NAME.weights for program NAME, and for libNAME.a
    // too (the program that links the library looks for it beside itself).
    SmallString<256> file(path::parent_path(output));
    path::append(file,
                 (exe ? path::filename(output).str() : name) + ".weights");
    containerFile = path::filename(file).str();
    progress.setStage("writing " + file);
    if (llvm::Error e = writeContainerFile(file, **container))
      return e;
  } else {
    containerSymbol = symbol + "_container";
  }
  if (llvm::Error e = addLinkedModel(code, symbol, containerSymbol,
                                     containerFile, **container))
    return e;

  // The objects, in a directory removed at the end.
  SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("tritc", dir))
    return llvm::createStringError(ec, "cannot create a temporary directory: " +
                                           ec.message());
  auto removeDir =
      llvm::make_scope_exit([&] { llvm::sys::fs::remove_directories(dir); });
  std::vector<std::string> objects;
  SmallString<128> object(dir);
  path::append(object, name + ".o");
  objects.push_back(std::string(object));
  {
    progress.setStage("generating code");
    std::error_code ec;
    llvm::raw_fd_ostream os(objects.back(), ec);
    if (ec)
      return llvm::createStringError(ec, objects.back() + ": " + ec.message());
    if (llvm::Error e = emitMachineCode(code, MachineCodeKind::Object, os))
      return e;
  }
  if (embedded) {
    object = dir;
    path::append(object, name + "-container.o");
    objects.push_back(std::string(object));
    progress.setStage("writing the weights' object");
    if (llvm::Error e = writeContainerObject(objects.back(), triple,
                                             containerSymbol, **container))
      return e;
  }
  progress.setStage("linking " + output);
  if (exe) {
    ExecutableOptions linkOptions;
    linkOptions.staticCxxRuntime = options.staticCxxRuntime;
    return linkExecutable(triple, plan.runtime, objects, output, linkOptions);
  }
  if (llvm::Error e = writeStaticLibrary(plan.runtime, objects, output))
    return e;
  SmallString<256> headerPath(path::parent_path(output));
  path::append(headerPath, name + ".h");
  std::error_code ec;
  llvm::raw_fd_ostream header(headerPath, ec);
  if (ec)
    return llvm::createStringError(ec, headerPath + ": " + ec.message());
  auto target = mlir::trit::TargetAttr::lookup(lowered);
  writeLinkedModelHeader(
      header, name, symbol, path::filename(output),
      "the model " + options.input + " compiled by tritc for " +
          target.getTriple().str() + " (" + target.getCpu().str() + ")");
  return llvm::Error::success();
}
