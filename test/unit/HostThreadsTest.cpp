//===- HostThreadsTest.cpp - the default thread count's parsers -----------===//
//
// The parts of the default thread count that read files, fed made-up
// contents: cgroup quotas (v1 and v2), /proc/self/cgroup, /proc/cpuinfo,
// and how the three limits combine.
//
//===----------------------------------------------------------------------===//

#include "trit/Runtime/HostThreads.h"

#include <gtest/gtest.h>

namespace {

using trit::CpuPlace;

TEST(HostThreads, CgroupV2CpuMax) {
  EXPECT_EQ(trit::parseCgroupV2CpuMax("max 100000\n"), 0);
  EXPECT_EQ(trit::parseCgroupV2CpuMax("200000 100000\n"), 2);
  // A fraction of a CPU still needs a thread; 1.5 CPUs take two.
  EXPECT_EQ(trit::parseCgroupV2CpuMax("50000 100000"), 1);
  EXPECT_EQ(trit::parseCgroupV2CpuMax("150000 100000\n"), 2);
  EXPECT_EQ(trit::parseCgroupV2CpuMax("400000 50000"), 8);
  // Not a quota: no limit.
  EXPECT_EQ(trit::parseCgroupV2CpuMax(""), 0);
  EXPECT_EQ(trit::parseCgroupV2CpuMax("100000"), 0);
  EXPECT_EQ(trit::parseCgroupV2CpuMax("abc 100000"), 0);
  EXPECT_EQ(trit::parseCgroupV2CpuMax("100000 0"), 0);
  EXPECT_EQ(trit::parseCgroupV2CpuMax("-5 100000"), 0);
  // Beyond what the runtime runs.
  EXPECT_EQ(trit::parseCgroupV2CpuMax("999999999999 1000"), 1024);
}

TEST(HostThreads, CgroupV1CpuQuota) {
  EXPECT_EQ(trit::parseCgroupV1CpuQuota("-1\n", "100000\n"), 0);
  EXPECT_EQ(trit::parseCgroupV1CpuQuota("300000\n", "100000\n"), 3);
  EXPECT_EQ(trit::parseCgroupV1CpuQuota("250000", "100000"), 3);
  EXPECT_EQ(trit::parseCgroupV1CpuQuota("1000", "100000"), 1);
  EXPECT_EQ(trit::parseCgroupV1CpuQuota("", "100000"), 0);
  EXPECT_EQ(trit::parseCgroupV1CpuQuota("300000", "x"), 0);
}

TEST(HostThreads, ProcSelfCgroup) {
  // cgroup v2 only.
  trit::CgroupPaths v2 = trit::parseProcSelfCgroup("0::/user.slice/a.scope\n");
  EXPECT_EQ(v2.v2, "/user.slice/a.scope");
  EXPECT_EQ(v2.v1Cpu, "");
  // A v1 machine (with the v2 hierarchy mounted as well): the cpu
  // controller's line, alone or joined with cpuacct.
  trit::CgroupPaths v1 = trit::parseProcSelfCgroup(
      "12:cpuset:/\n4:cpu,cpuacct:/docker/abc\n2:cpuacct:/x\n"
      "1:name=systemd:/docker/abc\n0::/\n");
  EXPECT_EQ(v1.v1Cpu, "/docker/abc");
  EXPECT_EQ(v1.v2, "/");
  EXPECT_EQ(trit::parseProcSelfCgroup("3:cpuacct,cpu:/a:b").v1Cpu, "/a:b");
  // cpuacct or cpuset alone is not the cpu controller.
  EXPECT_EQ(trit::parseProcSelfCgroup("2:cpuacct:/x\n3:cpuset:/y").v1Cpu, "");
  EXPECT_EQ(trit::parseProcSelfCgroup("garbage\n\n").v2, "");
}

// Two packages of two cores with two threads each, as /proc/cpuinfo lists
// them on x86 (siblings are numbered after all the first threads).
constexpr const char *kCpuinfo = R"(processor	: 0
vendor_id	: AuthenticAMD
physical id	: 0
siblings	: 4
core id		: 0
cpu cores	: 2

processor	: 1
physical id	: 0
core id		: 1

processor	: 2
physical id	: 1
core id		: 0

processor	: 3
physical id	: 1
core id		: 1

processor	: 4
physical id	: 0
core id		: 0

processor	: 5
physical id	: 0
core id		: 1

processor	: 6
physical id	: 1
core id		: 0

processor	: 7
physical id	: 1
core id		: 1
)";

TEST(HostThreads, Cpuinfo) {
  std::vector<CpuPlace> places = trit::parseCpuinfo(kCpuinfo);
  ASSERT_EQ(places.size(), 8u);
  EXPECT_EQ(places[2].cpu, 2);
  EXPECT_EQ(places[2].package, 1);
  EXPECT_EQ(places[2].core, 0);
  EXPECT_EQ(places[7].cpu, 7);
  EXPECT_EQ(places[7].core, 1);
  // aarch64 kernels give neither id: no places, so no cap.
  EXPECT_TRUE(trit::parseCpuinfo("processor\t: 0\nBogoMIPS\t: 50.00\n\n"
                                 "processor\t: 1\nBogoMIPS\t: 50.00\n")
                  .empty());
  EXPECT_TRUE(trit::parseCpuinfo("").empty());
}

TEST(HostThreads, PhysicalCores) {
  std::vector<CpuPlace> places = trit::parseCpuinfo(kCpuinfo);
  EXPECT_EQ(trit::countPhysicalCores(places, {}), 4);
  EXPECT_EQ(trit::countPhysicalCores(places, {0, 1, 2, 3, 4, 5, 6, 7}), 4);
  // Two SMT siblings of one core: one core.
  EXPECT_EQ(trit::countPhysicalCores(places, {0, 4}), 1);
  // The same core id in two packages: two cores.
  EXPECT_EQ(trit::countPhysicalCores(places, {0, 2}), 2);
  EXPECT_EQ(trit::countPhysicalCores(places, {0, 1, 4, 5}), 2);
  // A CPU without a place: unknown.
  EXPECT_EQ(trit::countPhysicalCores(places, {0, 9}), 0);
  EXPECT_EQ(trit::countPhysicalCores({}, {0, 1}), 0);
  EXPECT_EQ(trit::countPhysicalCores({}, {}), 0);
}

TEST(HostThreads, ChooseThreads) {
  // The smallest known limit.
  EXPECT_EQ(trit::chooseThreads(8, 0, 4).threads, 4);
  EXPECT_EQ(trit::chooseThreads(8, 2, 4).threads, 2);
  EXPECT_EQ(trit::chooseThreads(3, 0, 4).threads, 3);
  // Unknown cores do not cap.
  EXPECT_EQ(trit::chooseThreads(6, 0, 0).threads, 6);
  EXPECT_EQ(trit::chooseThreads(0, 0, 0).threads, 1);
  EXPECT_EQ(trit::chooseThreads(0, 5, 0).threads, 5);
  EXPECT_EQ(trit::chooseThreads(4096, 0, 0).threads, 1024);

  EXPECT_EQ(trit::chooseThreads(2, 0, 2).describe(),
            "2 CPUs allowed, no CPU quota, 2 physical cores");
  EXPECT_EQ(trit::chooseThreads(1, 3, 0).describe(),
            "1 CPU allowed, a CPU quota of 3, physical cores unknown");
}

TEST(HostThreads, ThisMachine) {
  const trit::HostThreads &host = trit::detectHostThreads();
  EXPECT_GE(host.threads, 1);
  EXPECT_LE(host.threads, 1024);
  EXPECT_EQ(trit::defaultThreadCount(), host.threads);
  if (host.allowedCpus > 0)
    EXPECT_LE(host.threads, host.allowedCpus);
}

} // namespace
