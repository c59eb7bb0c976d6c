//===- Target.cpp - resolving the target CPU ------------------------------===//

#include "trit/Compiler/Target.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <cstdlib>
#include <memory>

using namespace llvm;

namespace trit {

static Error targetError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// Instruction-set extensions that decide whether code runs: the ones a
/// host mask may not add. Others the host reports missing (system
/// instructions a hypervisor hides, such as rdpid or pku) are dropped
/// instead, as for the host itself.
static bool isVectorExtension(StringRef feature) {
  static const char *const others[] = {"fma",  "fma4",       "f16c",
                                       "bmi",  "bmi2",       "gfni",
                                       "vaes", "vpclmulqdq", "xop"};
  return feature.starts_with("sse") || feature.starts_with("avx") ||
         feature.starts_with("amx") || is_contained(others, feature);
}

/// The host as TRIT_HOST_CPU=`mask` makes it look, so that tests run as on
/// that CPU: its name, and its features without those the host lacks.
static Error maskHost(const Target &target, StringRef triple, StringRef mask,
                      const StringMap<bool> &hostFeatures, std::string &cpu,
                      std::vector<std::string> &requested) {
  std::unique_ptr<MCSubtargetInfo> info(
      target.createMCSubtargetInfo(triple, mask, ""));
  if (!info || !info->isCPUStringValid(mask))
    return targetError("TRIT_HOST_CPU: unknown CPU '" + mask + "' for " +
                       triple);
  std::string lacking;
  for (const SubtargetFeatureKV &kv : info->getAllProcessorFeatures()) {
    auto host = hostFeatures.find(kv.Key);
    if (info->getFeatureBits().test(kv.Value) && isVectorExtension(kv.Key) &&
        host != hostFeatures.end() && !host->second)
      lacking += (lacking.empty() ? "" : ", ") + std::string(kv.Key);
  }
  if (!lacking.empty())
    return targetError("TRIT_HOST_CPU=" + mask + ": this host lacks " +
                       lacking + " (a mask only takes features away)");
  cpu = mask.str();
  for (const auto &feature : hostFeatures)
    if (!feature.second)
      requested.push_back("-" + feature.first().str());
  return Error::success();
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
  bool hostArch = Triple(triple).getArch() == Triple(hostTriple).getArch();
  if (cpu.empty())
    cpu = hostArch ? "host" : "generic";
  std::vector<std::string> requested;
  if (cpu == "host") {
    if (!hostArch)
      return targetError("--target-cpu=host needs the host's architecture; "
                         "name a CPU for " +
                         triple);
    StringMap<bool> hostFeatures = sys::getHostCPUFeatures();
    if (const char *mask = std::getenv("TRIT_HOST_CPU"); mask && *mask) {
      if (Error error =
              maskHost(*target, triple, mask, hostFeatures, cpu, requested))
        return std::move(error);
    } else {
      cpu = sys::getHostCPUName().str();
      for (const auto &feature : hostFeatures)
        requested.push_back((feature.second ? "+" : "-") +
                            feature.first().str());
    }
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
