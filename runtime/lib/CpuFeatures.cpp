//===- CpuFeatures.cpp - what the host CPU can run ------------------------===//
//
// Read from CPUID (and XGETBV for the OS-enabled register state) on x86, and
// from the auxiliary vector on AArch64 Linux, so that the runtime needs no
// LLVM to check an artifact's required features.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/CpuFeatures.h"

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

bool trit::hostHasFeature(const std::string &f) {
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
bool trit::hostHasFeature(const std::string &f) {
  unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  if (f == "neon") return hw & (1ul << 1);
  if (f == "fullfp16") return hw & (1ul << 10);
  if (f == "dotprod") return hw & (1ul << 20);
  if (f == "sve") return hw & (1ul << 22);
  if (f == "i8mm") return hw2 & (1ul << 13);
  return false;
}
#else
bool trit::hostHasFeature(const std::string &) { return false; }
#endif

std::vector<std::string>
trit::getMissingFeatures(const std::vector<std::string> &required) {
  std::vector<std::string> missing;
  for (const std::string &f : required)
    if (!hostHasFeature(f))
      missing.push_back(f);
  return missing;
}
