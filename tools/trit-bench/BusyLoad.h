//===- BusyLoad.h - a competing load for trit-bench --busy ------*- C++ -*-===//
//
// Threads spinning on arithmetic in another process, so that trit-bench can
// measure a model next to a load it does not control (another program on a
// shared machine), as the thread pool then meets it: its threads are
// preempted and wait on each other.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TOOLS_TRIT_BENCH_BUSYLOAD_H
#define TRIT_TOOLS_TRIT_BENCH_BUSYLOAD_H

#include <string>
#include <sys/types.h>

namespace trit::bench {

class BusyLoad {
public:
  BusyLoad() = default;
  BusyLoad(const BusyLoad &) = delete;
  BusyLoad &operator=(const BusyLoad &) = delete;
  ~BusyLoad() { stop(); }

  /// Forks a child process running `threads` threads that spin on
  /// arithmetic, and returns once they run; "" or why it failed. Call it
  /// before this process starts threads: only then may the child start its
  /// own. The child dies with this process, also when it is killed.
  std::string start(int threads);
  /// Kills and reaps the child (the destructor does too).
  void stop();

private:
  pid_t child = -1;
};

} // namespace trit::bench

#endif // TRIT_TOOLS_TRIT_BENCH_BUSYLOAD_H
