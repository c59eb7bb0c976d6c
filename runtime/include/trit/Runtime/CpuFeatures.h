//===- CpuFeatures.h - what the host CPU can run ----------------*- C++ -*-===//

#ifndef TRIT_RUNTIME_CPUFEATURES_H
#define TRIT_RUNTIME_CPUFEATURES_H

#include <string>
#include <vector>

namespace trit {

/// The host's architecture as a triple's first component ("x86_64",
/// "aarch64").
const char *getHostArch();

/// Whether the host CPU (and the OS, for register state) supports an
/// LLVM-named feature from trit::artifact::kCheckableFeatures; false for
/// names it cannot check. With TRIT_HOST_CPU=CPU set (haswell, znver3,
/// skylake-avx512, cascadelake, icelake-server or znver4), only the
/// features that CPU also has: an x86-64 host then refuses code as that
/// CPU would. An unknown CPU has none.
bool hostHasFeature(const std::string &feature);

/// The features of `required` the host lacks, in order; the last names the
/// known CPUs if TRIT_HOST_CPU names another.
std::vector<std::string>
getMissingFeatures(const std::vector<std::string> &required);

} // namespace trit

#endif // TRIT_RUNTIME_CPUFEATURES_H
