//===- HostThreads.cpp - the default thread count -------------------------===//
//
// The CPUs a process may use are fewer than the machine's in two common
// cases: an affinity mask (taskset, cpusets) and a CPU quota (docker
// --cpus, Kubernetes limits), which the kernel enforces by throttling, so
// threads beyond it only queue. SMT siblings are not counted twice: the
// kernels keep a core's vector units or its share of the memory bandwidth
// busy, and two threads on one core only wait on each other.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/HostThreads.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <set>
#include <utility>

#include <sched.h>
#include <unistd.h>

using namespace trit;

namespace {

constexpr int kMaxThreads = 1024; // Executor::create's limit

std::string_view trim(std::string_view s) {
  constexpr const char *kSpaces = " \t\n\v\f\r";
  size_t begin = s.find_first_not_of(kSpaces);
  if (begin == std::string_view::npos)
    return {};
  return s.substr(begin, s.find_last_not_of(kSpaces) - begin + 1);
}

/// `s` (spaces around it aside) as a whole decimal integer, sign allowed.
std::optional<long long> parseWhole(std::string_view s) {
  s = trim(s);
  bool negative = !s.empty() && s[0] == '-';
  if (negative)
    s.remove_prefix(1);
  if (s.empty() || s.size() > 18)
    return std::nullopt;
  long long value = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

/// ceil(quota / period) as a CPU count, 0 when there is no limit.
int quotaCpus(std::optional<long long> quota, std::optional<long long> period) {
  if (!quota || !period || *quota <= 0 || *period <= 0)
    return 0;
  long long cpus = (*quota + *period - 1) / *period;
  return int(std::min<long long>(cpus, kMaxThreads));
}

/// The whole of a small file (/proc and /sys report sizes of 0 or 4096, so
/// it is read to its end); nullopt when it cannot be read.
std::optional<std::string> readFile(const std::string &path) {
  FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return std::nullopt;
  std::string text;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0)
    text.append(buffer, n);
  bool failed = std::ferror(file);
  std::fclose(file);
  if (failed)
    return std::nullopt;
  return text;
}

/// The smallest quota set on `path` or a parent of it under `root` (limits
/// nest: a parent's quota holds for its children); 0 for none. `read` gives
/// the quota of one directory.
template <typename ReadQuota>
int nestedQuota(const std::string &root, const std::string &path,
                ReadQuota read) {
  std::string dir = root + path;
  while (dir.size() > root.size() && dir.back() == '/')
    dir.pop_back();
  int smallest = 0;
  for (;;) {
    int cpus = read(dir);
    if (cpus > 0 && (smallest == 0 || cpus < smallest))
      smallest = cpus;
    if (dir.size() <= root.size())
      return smallest;
    dir.resize(std::max(dir.rfind('/'), root.size()));
  }
}

int detectQuota() {
  CgroupPaths paths;
  if (auto text = readFile("/proc/self/cgroup"))
    paths = parseProcSelfCgroup(*text);
  // Inside a container's cgroup namespace the path is "/" and the limit is
  // on the root of the mount; outside, on the process's own cgroup. Both are
  // looked at: a path that does not exist under the mount reads nothing.
  int smallest = 0;
  auto take = [&](int cpus) {
    if (cpus > 0 && (smallest == 0 || cpus < smallest))
      smallest = cpus;
  };
  for (const char *root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"})
    take(nestedQuota(root, paths.v2.empty() ? "/" : paths.v2,
                     [](const std::string &dir) {
                       auto text = readFile(dir + "/cpu.max");
                       return text ? parseCgroupV2CpuMax(*text) : 0;
                     }));
  for (const char *root : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct",
                           "/sys/fs/cgroup/cpuacct,cpu"})
    take(nestedQuota(root, paths.v1Cpu.empty() ? "/" : paths.v1Cpu,
                     [](const std::string &dir) {
                       auto quota = readFile(dir + "/cpu.cfs_quota_us");
                       auto period = readFile(dir + "/cpu.cfs_period_us");
                       return quota && period
                                  ? parseCgroupV1CpuQuota(*quota, *period)
                                  : 0;
                     }));
  return smallest;
}

/// The CPUs of the affinity mask, growing the set for machines with more
/// than CPU_SETSIZE CPUs; empty when it cannot be read.
std::vector<int> detectAllowedCpus() {
  for (int size = CPU_SETSIZE; size <= (1 << 20); size *= 2) {
    cpu_set_t *set = CPU_ALLOC(size);
    if (!set)
      return {};
    size_t bytes = CPU_ALLOC_SIZE(size);
    CPU_ZERO_S(bytes, set);
    if (sched_getaffinity(0, bytes, set) == 0) {
      std::vector<int> cpus;
      for (int cpu = 0; cpu < size; ++cpu)
        if (CPU_ISSET_S(cpu, bytes, set))
          cpus.push_back(cpu);
      CPU_FREE(set);
      return cpus;
    }
    int error = errno;
    CPU_FREE(set);
    if (error != EINVAL)
      return {};
  }
  return {};
}

/// The places of `cpus` from sysfs (what aarch64 kernels also give), or
/// of every CPU from /proc/cpuinfo when sysfs lacks one of them.
std::vector<CpuPlace> detectPlaces(const std::vector<int> &cpus) {
  std::vector<CpuPlace> places;
  for (int cpu : cpus) {
    std::string dir =
        "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    auto core = readFile(dir + "core_id");
    auto package = readFile(dir + "physical_package_id");
    std::optional<long long> c = core ? parseWhole(*core) : std::nullopt;
    std::optional<long long> p = package ? parseWhole(*package) : std::nullopt;
    if (!c || !p) {
      places.clear();
      break;
    }
    places.push_back({cpu, int(*p), int(*c)});
  }
  if (!places.empty())
    return places;
  auto text = readFile("/proc/cpuinfo");
  return text ? parseCpuinfo(*text) : std::vector<CpuPlace>();
}

HostThreads detect() {
  std::vector<int> cpus = detectAllowedCpus();
  int allowed = int(cpus.size());
  if (allowed == 0) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    allowed = online > 0 ? int(std::min<long>(online, kMaxThreads)) : 0;
  }
  return chooseThreads(allowed, detectQuota(),
                       countPhysicalCores(detectPlaces(cpus), cpus));
}

} // namespace

int trit::parseCgroupV2CpuMax(std::string_view cpuMax) {
  cpuMax = trim(cpuMax);
  size_t space = cpuMax.find_first_of(" \t");
  if (space == std::string_view::npos)
    return 0;
  return quotaCpus(parseWhole(cpuMax.substr(0, space)),
                   parseWhole(cpuMax.substr(space + 1)));
}

int trit::parseCgroupV1CpuQuota(std::string_view quotaUs,
                                std::string_view periodUs) {
  return quotaCpus(parseWhole(quotaUs), parseWhole(periodUs));
}

CgroupPaths trit::parseProcSelfCgroup(std::string_view text) {
  CgroupPaths paths;
  while (!text.empty()) {
    size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    // "hierarchy-id:controller,controller:path"; the path may hold colons.
    size_t first = line.find(':');
    size_t second =
        first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos)
      continue;
    std::string_view id = line.substr(0, first);
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string path(line.substr(second + 1));
    if (id == "0" && controllers.empty()) {
      paths.v2 = path;
      continue;
    }
    while (!controllers.empty()) {
      size_t comma = std::min(controllers.find(','), controllers.size());
      if (controllers.substr(0, comma) == "cpu")
        paths.v1Cpu = path;
      controllers.remove_prefix(std::min(comma + 1, controllers.size()));
    }
  }
  return paths;
}

std::vector<CpuPlace> trit::parseCpuinfo(std::string_view text) {
  std::vector<CpuPlace> places;
  CpuPlace record;
  auto finish = [&] {
    if (record.cpu >= 0 && record.package >= 0 && record.core >= 0)
      places.push_back(record);
    record = CpuPlace();
  };
  while (!text.empty()) {
    size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      if (trim(line).empty())
        finish(); // records end at a blank line
      continue;
    }
    std::string_view key = trim(line.substr(0, colon));
    std::optional<long long> value = parseWhole(line.substr(colon + 1));
    if (!value || *value < 0 || *value > (1 << 30))
      continue;
    if (key == "processor") {
      finish(); // in case the blank line was lost
      record.cpu = int(*value);
    } else if (key == "physical id") {
      record.package = int(*value);
    } else if (key == "core id") {
      record.core = int(*value);
    }
  }
  finish();
  return places;
}

int trit::countPhysicalCores(const std::vector<CpuPlace> &places,
                             const std::vector<int> &cpus) {
  std::set<std::pair<int, int>> cores;
  if (cpus.empty()) {
    for (const CpuPlace &place : places)
      cores.insert({place.package, place.core});
    return int(std::min<size_t>(cores.size(), kMaxThreads));
  }
  for (int cpu : cpus) {
    auto it = std::find_if(places.begin(), places.end(),
                           [&](const CpuPlace &p) { return p.cpu == cpu; });
    if (it == places.end())
      return 0;
    cores.insert({it->package, it->core});
  }
  return int(std::min<size_t>(cores.size(), kMaxThreads));
}

HostThreads trit::chooseThreads(int allowedCpus, int quotaCpus,
                                int physicalCores) {
  HostThreads h;
  h.allowedCpus = std::max(allowedCpus, 0);
  h.quotaCpus = std::max(quotaCpus, 0);
  h.physicalCores = std::max(physicalCores, 0);
  int threads = kMaxThreads;
  for (int known : {h.allowedCpus, h.quotaCpus, h.physicalCores})
    if (known > 0)
      threads = std::min(threads, known);
  // Nothing known: one thread is always right.
  if (!h.allowedCpus && !h.quotaCpus && !h.physicalCores)
    threads = 1;
  h.threads = threads;
  return h;
}

std::string HostThreads::describe() const {
  auto count = [](int n, const char *one, const char *many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  return (allowedCpus ? count(allowedCpus, "CPU", "CPUs") + " allowed"
                      : std::string("allowed CPUs unknown")) +
         ", " +
         (quotaCpus ? "a CPU quota of " + std::to_string(quotaCpus)
                    : std::string("no CPU quota")) +
         ", " +
         (physicalCores
              ? count(physicalCores, "physical core", "physical cores")
              : std::string("physical cores unknown"));
}

const HostThreads &trit::detectHostThreads() {
  static const HostThreads host = detect();
  return host;
}

int trit::defaultThreadCount() { return detectHostThreads().threads; }
