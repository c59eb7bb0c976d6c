//===- CpuTimeLimit.h - a CPU-time bound on one fuzzer input ----*- C++ -*-===//
//
// TRIT_FUZZ_CPU_LIMIT_MS=N: an input that takes more than N ms of the
// calling thread's CPU time aborts, a crash libFuzzer saves like any other.
// libFuzzer's -timeout counts wall-clock time, so on a shared machine it
// fires for a fuzzer at nice 19 that was merely starved (the saved "slow"
// inputs then run in milliseconds); this bound counts only the time the
// input itself used. Run with a generous -timeout for real hangs, e.g.
//   TRIT_FUZZ_CPU_LIMIT_MS=1000 trit-fuzz-tokenizer -timeout=30 ...
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TEST_FUZZ_CPUTIMELIMIT_H
#define TRIT_TEST_FUZZ_CPUTIMELIMIT_H

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace trit::fuzz {

class CpuTimeLimit {
public:
  CpuTimeLimit() {
    if (limitMs() > 0)
      start = now();
  }
  ~CpuTimeLimit() {
    if (limitMs() <= 0)
      return;
    double ms = (now() - start) * 1e3;
    if (ms > limitMs()) {
      std::fprintf(stderr,
                   "==ERROR: this input took %.0f ms of CPU time "
                   "(TRIT_FUZZ_CPU_LIMIT_MS=%ld)\n",
                   ms, limitMs());
      std::abort();
    }
  }

private:
  static long limitMs() {
    static const long limit = [] {
      const char *value = std::getenv("TRIT_FUZZ_CPU_LIMIT_MS");
      return value ? std::strtol(value, nullptr, 10) : 0L;
    }();
    return limit;
  }
  static double now() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
  }
  double start = 0;
};

} // namespace trit::fuzz

#endif // TRIT_TEST_FUZZ_CPUTIMELIMIT_H
