//===- CpuFeatures.cpp - what the host CPU can run ------------------------===//
//
// Read from CPUID (and XGETBV for the OS-enabled register state) on x86, and
// from the auxiliary vector on AArch64 Linux, so that the runtime needs no
// LLVM to check an artifact's required features. TRIT_HOST_CPU=CPU makes an
// x86-64 host look like that CPU (its features that the host also has), so
// that the tests run as they do on a Zen3 or a Haswell.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/CpuFeatures.h"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#elif defined(__aarch64__)
#include <sys/auxv.h>
#endif

using namespace trit;

const char *trit::getHostArch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "unknown";
#endif
}

#if defined(__x86_64__)
namespace {
struct X86Features {
  unsigned l1ecx = 0, l7ebx = 0, l7ecx = 0, l7edx = 0, l71eax = 0;
  bool avxState = false, avx512State = false, amxState = false;
  X86Features() {
    unsigned a, b, c, d;
    if (__get_cpuid(1, &a, &b, &c, &d))
      l1ecx = c;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
      l7ebx = b;
      l7ecx = c;
      l7edx = d;
    }
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d))
      l71eax = a;
    if (l1ecx & (1u << 27)) { // OSXSAVE: XGETBV tells what the OS saves
      unsigned lo, hi;
      __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      avxState = (lo & 0x6) == 0x6;
      avx512State = avxState && (lo & 0xe0) == 0xe0;
      amxState = (hi & 0x6) == 0x6 || (lo & 0x60000) == 0x60000;
    }
  }
};
} // namespace

static bool hasRealFeature(const std::string &f) {
  static const X86Features x;
  auto bit = [](unsigned reg, int n) { return (reg >> n) & 1; };
  bool avx = x.avxState, avx512 = x.avx512State;
  if (f == "sse4.1") return bit(x.l1ecx, 19);
  if (f == "sse4.2") return bit(x.l1ecx, 20);
  if (f == "avx") return avx && bit(x.l1ecx, 28);
  if (f == "fma") return avx && bit(x.l1ecx, 12);
  if (f == "f16c") return avx && bit(x.l1ecx, 29);
  if (f == "avx2") return avx && bit(x.l7ebx, 5);
  if (f == "bmi") return bit(x.l7ebx, 3);
  if (f == "bmi2") return bit(x.l7ebx, 8);
  if (f == "avx512f") return avx512 && bit(x.l7ebx, 16);
  if (f == "avx512dq") return avx512 && bit(x.l7ebx, 17);
  if (f == "avx512ifma") return avx512 && bit(x.l7ebx, 21);
  if (f == "avx512cd") return avx512 && bit(x.l7ebx, 28);
  if (f == "avx512bw") return avx512 && bit(x.l7ebx, 30);
  if (f == "avx512vl") return avx512 && bit(x.l7ebx, 31);
  if (f == "avx512vbmi") return avx512 && bit(x.l7ecx, 1);
  if (f == "avx512vbmi2") return avx512 && bit(x.l7ecx, 6);
  if (f == "gfni") return bit(x.l7ecx, 8);
  if (f == "vaes") return avx && bit(x.l7ecx, 9);
  if (f == "vpclmulqdq") return avx && bit(x.l7ecx, 10);
  if (f == "avx512vnni") return avx512 && bit(x.l7ecx, 11);
  if (f == "avx512bitalg") return avx512 && bit(x.l7ecx, 12);
  if (f == "avx512vpopcntdq") return avx512 && bit(x.l7ecx, 14);
  if (f == "avxvnni") return avx && bit(x.l71eax, 4);
  if (f == "avx512bf16") return avx512 && bit(x.l71eax, 5);
  if (f == "amx-bf16") return x.amxState && bit(x.l7edx, 22);
  if (f == "amx-tile") return x.amxState && bit(x.l7edx, 24);
  if (f == "amx-int8") return x.amxState && bit(x.l7edx, 25);
  return false;
}
#elif defined(__aarch64__)
static bool hasRealFeature(const std::string &f) {
  unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  if (f == "neon") return hw & (1ul << 1);
  if (f == "fullfp16") return hw & (1ul << 10);
  if (f == "dotprod") return hw & (1ul << 20);
  if (f == "sve") return hw & (1ul << 22);
  if (f == "i8mm") return hw2 & (1ul << 13);
  return false;
}
#else
static bool hasRealFeature(const std::string &) { return false; }
#endif

namespace {
/// A CPU TRIT_HOST_CPU can name, with its features among
/// kCheckableFeatures as LLVM defines the CPU (clang -march=CPU). lit
/// (test/lit.cfg.py) reads this table for its host-* features, and
/// test/tools/host-cpu-mask.test checks it against tritc's targets.
struct MaskCpu {
  const char *name;
  const char *features; // separated by spaces
};

const MaskCpu kMaskCpus[] = {
    {"haswell", "sse4.1 sse4.2 avx avx2 fma f16c bmi bmi2"},
    {"znver3", "sse4.1 sse4.2 avx avx2 fma f16c bmi bmi2 vaes vpclmulqdq"},
    {"skylake-avx512", "sse4.1 sse4.2 avx avx2 fma f16c bmi bmi2 avx512f "
                       "avx512cd avx512bw avx512dq avx512vl"},
    {"cascadelake", "sse4.1 sse4.2 avx avx2 fma f16c bmi bmi2 avx512f "
                    "avx512cd avx512bw avx512dq avx512vl avx512vnni"},
    {"icelake-server", "sse4.1 sse4.2 avx avx2 fma f16c bmi bmi2 avx512f "
                       "avx512cd avx512bw avx512dq avx512vl avx512vnni "
                       "avx512vbmi avx512vbmi2 avx512ifma avx512bitalg "
                       "avx512vpopcntdq gfni vaes vpclmulqdq"},
    {"znver4", "sse4.1 sse4.2 avx avx2 fma f16c bmi bmi2 avx512f avx512cd "
               "avx512bw avx512dq avx512vl avx512vnni avx512vbmi "
               "avx512vbmi2 avx512ifma avx512bitalg avx512vpopcntdq gfni "
               "vaes vpclmulqdq avx512bf16"},
};

/// What TRIT_HOST_CPU asks for, read once.
struct HostMask {
  const char *name = nullptr;   // null: the real CPU
  const MaskCpu *cpu = nullptr; // null with a name: a CPU this table lacks
  HostMask() {
    const char *value = std::getenv("TRIT_HOST_CPU");
    if (!value || !*value)
      return;
    for (const MaskCpu &c : kMaskCpus)
      if (std::strcmp(c.name, value) == 0)
        cpu = &c;
#if !defined(__x86_64__)
    // It describes an x86-64 host: programs for another architecture,
    // run under emulation there, see their own CPU.
    if (cpu)
      return;
#endif
    name = value;
  }
  bool allows(const std::string &f) const {
    if (!name)
      return true;
    // An unknown CPU has no features: fail closed rather than run code
    // the tester meant to refuse.
    if (!cpu)
      return false;
    std::string list = std::string(" ") + cpu->features + " ";
    return list.find(" " + f + " ") != std::string::npos;
  }
};
} // namespace

static const HostMask &getHostMask() {
  static const HostMask mask;
  return mask;
}

bool trit::hostHasFeature(const std::string &f) {
  // The mask only takes features away: it never claims one the CPU lacks.
  return getHostMask().allows(f) && hasRealFeature(f);
}

std::vector<std::string>
trit::getMissingFeatures(const std::vector<std::string> &required) {
  std::vector<std::string> missing;
  for (const std::string &f : required)
    if (!hostHasFeature(f))
      missing.push_back(f);
  const HostMask &mask = getHostMask();
  if (mask.name && !mask.cpu && !missing.empty()) {
    std::string known;
    for (const MaskCpu &c : kMaskCpus)
      known += std::string(known.empty() ? "" : ", ") + c.name;
    missing.back() += std::string(" (TRIT_HOST_CPU=") + mask.name +
                      " is no CPU the runtime knows: " + known + ")";
  }
  return missing;
}
