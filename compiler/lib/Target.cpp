//===- Target.cpp - resolving the target CPU ------------------------------===//

#include "trit/Compiler/Target.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>

using namespace llvm;

namespace trit {

static Error targetError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

Expected<mlir::trit::TargetAttr> resolveTarget(mlir::MLIRContext &context,
                                               const TargetOptions &options) {
  static const bool initialized = [] {
    InitializeAllTargetInfos();
    InitializeAllTargetMCs();
    return true;
  }();
  (void)initialized;

  std::string hostTriple = Triple::normalize(sys::getDefaultTargetTriple());
  std::string triple = options.triple.empty()
                           ? hostTriple
                           : Triple::normalize(options.triple);
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return targetError("unknown target triple '" + options.triple +
                       "': " + error);

  std::string cpu = options.cpu;
  std::vector<std::string> requested;
  if (cpu == "host") {
    if (Triple(triple).getArch() != Triple(hostTriple).getArch())
      return targetError("--target-cpu=host needs the host's architecture; "
                         "name a CPU for " +
                         triple);
    cpu = sys::getHostCPUName().str();
    StringMap<bool> hostFeatures = sys::getHostCPUFeatures();
    for (const auto &feature : hostFeatures)
      requested.push_back((feature.second ? "+" : "-") +
                          feature.first().str());
  }

  // The feature names this target knows, to reject misspellings.
  std::unique_ptr<MCSubtargetInfo> base(
      target->createMCSubtargetInfo(triple, cpu, ""));
  if (!base || !base->isCPUStringValid(cpu))
    return targetError("unknown CPU '" + cpu + "' for " + triple);
  StringMap<bool> known;
  for (const SubtargetFeatureKV &kv : base->getAllProcessorFeatures())
    known[kv.Key] = true;
  SmallVector<StringRef> userFeatures;
  StringRef(options.features).split(userFeatures, ',', -1, false);
  for (StringRef feature : userFeatures) {
    feature = feature.trim();
    if (feature.size() < 2 || (feature[0] != '+' && feature[0] != '-'))
      return targetError("target feature '" + feature +
                         "' must start with '+' or '-'");
    if (!known.count(feature.drop_front()))
      return targetError("unknown target feature '" + feature.drop_front() +
                         "' for " + triple);
    requested.push_back(feature.str());
  }
  // Host features that this LLVM does not model are dropped, not errors.
  std::string featureString;
  for (const std::string &feature : requested)
    if (known.count(StringRef(feature).drop_front()))
      featureString += (featureString.empty() ? "" : ",") + feature;

  std::unique_ptr<MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, cpu, featureString));
  context.getOrLoadDialect<mlir::trit::TritDialect>();
  std::string enabled;
  for (const SubtargetFeatureKV &kv : info->getAllProcessorFeatures())
    if (info->getFeatureBits().test(kv.Value))
      enabled += (enabled.empty() ? "+" : ",+") + std::string(kv.Key);
  return mlir::trit::TargetAttr::get(&context, triple, cpu, enabled);
}

} // namespace trit
