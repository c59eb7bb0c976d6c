//===- BusyLoad.cpp - a competing load for trit-bench --busy --------------===//

#include "BusyLoad.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace trit::bench;

namespace {

volatile uint64_t spinSink;

/// A dependent chain of integer multiply-adds: a core's time, next to no
/// memory traffic (the load competes for cores, not bandwidth).
[[noreturn]] void spin() {
  uint64_t x = 88172645463325252ull;
  for (;;) {
    for (int i = 0; i < (1 << 20); ++i)
      x = x * 6364136223846793005ull + 1442695040888963407ull;
    spinSink = x;
  }
}

[[noreturn]] void runChild(int threads, pid_t parent, int ready) {
  // Killed when the parent dies, however it dies; it may have died before
  // this was set.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent)
    _exit(0);
  std::vector<std::thread> spinners;
  for (int i = 1; i < threads; ++i)
    spinners.emplace_back(spin);
  char byte = 1;
  (void)!write(ready, &byte, 1);
  close(ready);
  spin();
}

} // namespace

std::string BusyLoad::start(int threads) {
  int fds[2];
  if (pipe(fds) != 0)
    return std::string("--busy: pipe: ") + std::strerror(errno);
  pid_t parent = getpid();
  child = fork();
  if (child < 0) {
    int error = errno;
    close(fds[0]);
    close(fds[1]);
    return std::string("--busy: fork: ") + std::strerror(error);
  }
  if (child == 0) {
    close(fds[0]);
    runChild(threads, parent, fds[1]);
  }
  close(fds[1]);
  // The child writes once its threads run; end of file means it died.
  char byte;
  ssize_t n;
  while ((n = read(fds[0], &byte, 1)) < 0 && errno == EINTR)
    ;
  close(fds[0]);
  if (n != 1) {
    stop();
    return "--busy: the spinning process did not start";
  }
  return "";
}

void BusyLoad::stop() {
  if (child <= 0)
    return;
  kill(child, SIGKILL);
  while (waitpid(child, nullptr, 0) < 0 && errno == EINTR)
    ;
  child = -1;
}
