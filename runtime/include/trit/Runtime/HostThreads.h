//===- HostThreads.h - the default thread count -----------------*- C++ -*-===//
//
// How many threads trit-run, trit-bench, trit-perplexity and built programs
// use when not told: the CPUs this process may run on (its affinity mask,
// and a cgroup CPU quota as containers set), at most one per physical core
// (SMT siblings share the units the kernels saturate). The parsers take the
// files' text so that tests can feed them made-up contents.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_HOSTTHREADS_H
#define TRIT_RUNTIME_HOSTTHREADS_H

#include <string>
#include <string_view>
#include <vector>

namespace trit {

/// CPUs a cgroup v2 `cpu.max` ("QUOTA PERIOD" or "max PERIOD") allows:
/// ceil(QUOTA / PERIOD), or 0 for no limit or text that is not one.
int parseCgroupV2CpuMax(std::string_view cpuMax);

/// The same from cgroup v1's cpu.cfs_quota_us and cpu.cfs_period_us (a
/// quota of -1 is no limit).
int parseCgroupV1CpuQuota(std::string_view quotaUs, std::string_view periodUs);

/// The cgroup of this process as /proc/self/cgroup gives it: the v2 path
/// ("0::/a/b") and the v1 path of the hierarchy with the cpu controller
/// ("4:cpu,cpuacct:/a/b"); empty when absent.
struct CgroupPaths {
  std::string v2, v1Cpu;
};
CgroupPaths parseProcSelfCgroup(std::string_view text);

/// Where one logical CPU sits.
struct CpuPlace {
  int cpu = -1;
  int package = -1;
  int core = -1;
};

/// The logical CPUs of /proc/cpuinfo with their "physical id" and "core id"
/// (records without both, as on most aarch64 kernels, are left out).
std::vector<CpuPlace> parseCpuinfo(std::string_view text);

/// Distinct (package, core) pairs among `cpus` (all of `places` when
/// `cpus` is empty), or 0 when a CPU of `cpus` has no place: unknown.
int countPhysicalCores(const std::vector<CpuPlace> &places,
                       const std::vector<int> &cpus);

/// What the default is made of; 0 is unknown (or, for the quota, none).
struct HostThreads {
  int allowedCpus = 0;
  int quotaCpus = 0;
  int physicalCores = 0;
  /// The smallest of the known ones, at least 1 and at most 1024 (the
  /// runtime's limit).
  int threads = 1;

  /// What `threads` was chosen from: "2 CPUs allowed, no CPU quota, 2
  /// physical cores".
  std::string describe() const;
};

/// Combines the three as HostThreads::threads says.
HostThreads chooseThreads(int allowedCpus, int quotaCpus, int physicalCores);

/// Reads this machine and process: sched_getaffinity, the cgroup files under
/// /sys/fs/cgroup (v2 cpu.max, v1 cpu.cfs_*; the process's own cgroup and
/// its parents), and the topology in /sys/devices/system/cpu or
/// /proc/cpuinfo. Measured once per process.
const HostThreads &detectHostThreads();

/// detectHostThreads().threads: what `-t 0` and an omitted -t mean.
int defaultThreadCount();

} // namespace trit

#endif // TRIT_RUNTIME_HOSTTHREADS_H
