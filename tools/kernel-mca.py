#!/usr/bin/env python3
"""Static throughput of the row-dot kernels per target CPU, from llvm-mca.

  kernel-mca.py [--markdown] [--only KERNEL_OR_CPU ...]

Compiles the kernel files of each family's directories in kernels/src with
their build flags, for each target CPU below, with -DTRIT_MCA_REGIONS: the
kernels' steady-state loop bodies are then marked as llvm-mca code regions
(kernels/src/gemv.h), named "<kernel>/<weights per pass>". llvm-mca
simulates 100 passes of each region on the CPU's scheduling model; cycles
per pass / weights per pass gives cycles per 1,000 weights (one core,
everything in L1: a compute bound, not a bandwidth one). This is evidence
for CPUs the project has no machine for (ARM), and a review check for
changes to a kernel's loop.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLANG = "clang-19"
MCA = "llvm-mca-19"

AVX512VNNI = ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512vnni"]

# (kernel family, its directories under kernels/src with their flags as in
# kernels/CMakeLists.txt, triple, target CPUs)
TARGETS = [
    ("avx2", [("x86/avx2", ["-mavx2", "-mfma", "-mf16c"])],
     "x86_64-unknown-linux-gnu", ["haswell", "znver3", "znver4"]),
    ("avx512vnni", [("x86/avx512vnni", AVX512VNNI),
                    ("x86/avx512vbmi", AVX512VNNI + ["-mavx512vbmi"])],
     "x86_64-unknown-linux-gnu", ["znver4", "znver5", "sapphirerapids"]),
    ("neon_dotprod", [("arm/neon_dotprod", ["-march=armv8.2-a+dotprod",
                                            "-mno-outline-atomics"])],
     "aarch64-unknown-linux-gnu", ["neoverse-n1", "neoverse-v2", "apple-m1"]),
]


def region_files(directory):
    """The kernel files of a directory that mark llvm-mca regions."""
    src = os.path.join(ROOT, "kernels", "src", directory)
    return [os.path.join(src, name) for name in sorted(os.listdir(src))
            if name.endswith(".c") and
            "TRIT_MCA_BEGIN" in open(os.path.join(src, name)).read()]


def assemble(source, flags, triple, cpu, workdir):
    """A kernel file as assembly for `cpu`, with the regions marked."""
    out = os.path.join(workdir, "%s-%s.s" % (
        os.path.relpath(source, ROOT).replace(os.sep, "-"), cpu))
    # x86: the instruction set's own features, scheduled for the CPU (so
    # the AVX2 file stays AVX2 on AVX-512 CPUs); AArch64: the CPU.
    tune = "-mcpu=" + cpu if triple.startswith("aarch64") else "-mtune=" + cpu
    cmd = [CLANG, "--target=" + triple, tune, "-O3",
           "-ffreestanding", "-fno-stack-protector", "-fno-math-errno",
           "-ffp-contract=off", "-DTRIT_MCA_REGIONS", "-S"] + flags + [
           "-I", os.path.join(ROOT, "kernels", "include"),
           "-I", os.path.join(ROOT, "kernels", "src"), source, "-o", out]
    subprocess.run(cmd, check=True)
    return out


def first_regions(path):
    """The assembly with only the first copy of each region's markers (a
    loop the compiler unrolled or versioned has several)."""
    seen, open_name, lines = set(), None, []
    for line in open(path):
        m = re.search(r"LLVM-MCA-(BEGIN|END) (\S+)", line)
        if m:
            kind, name = m.groups()
            if kind == "BEGIN":
                if name in seen or open_name:
                    continue
                seen.add(name)
                open_name = name
            else:
                if name != open_name:
                    continue
                open_name = None
        # llvm-mca takes the markers after '#' on every target (AArch64's
        # own comments start with '//').
        lines.append(line.replace("// LLVM-MCA-", "# LLVM-MCA-"))
    with open(path, "w") as f:
        f.writelines(lines)
    return seen


def simulate(asm, triple, cpu):
    """{region name: cycles per pass} from llvm-mca."""
    result = subprocess.run(
        [MCA, "-mtriple=" + triple, "-mcpu=" + cpu, "-iterations=100",
         "-skip-unsupported-instructions=any", asm],
        capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("llvm-mca failed for %s: %s" % (cpu, result.stderr[-2000:]))
    cycles, name = {}, None
    for line in result.stdout.splitlines():
        m = re.match(r"\[\d+\] Code Region - (\S+)", line)
        if m:
            name = m.group(1)
        m = re.match(r"Iterations:\s+(\d+)", line)
        if m:
            iterations = int(m.group(1))
        m = re.match(r"Total Cycles:\s+(\d+)", line)
        if m and name:
            cycles[name] = int(m.group(1)) / iterations
            name = None
    return cycles


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--markdown", action="store_true",
                    help="a table for docs/kernels.md")
    ap.add_argument("--only", nargs="*", default=[],
                    help="instruction sets or CPUs to include")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for isa, directories, triple, cpus in TARGETS:
            for cpu in cpus:
                if args.only and isa not in args.only and cpu not in args.only:
                    continue
                cycles_of = {}
                for directory, flags in directories:
                    for source in region_files(directory):
                        asm = assemble(source, flags, triple, cpu, workdir)
                        if not first_regions(asm):
                            sys.exit("no llvm-mca regions in %s" % asm)
                        cycles_of.update(simulate(asm, triple, cpu))
                if not cycles_of:
                    sys.exit("no llvm-mca regions for %s" % isa)
                for region, cycles in sorted(cycles_of.items()):
                    kernel, weights = region.rsplit("/", 1)
                    per1000 = cycles / int(weights) * 1000
                    rows.append((kernel + "_" + isa, cpu, cycles,
                                 int(weights), per1000))
    if args.markdown:
        print("| kernel | CPU | cycles per pass | weights per pass "
              "| cycles per 1,000 weights |")
        print("|---|---|--:|--:|--:|")
        for kernel, cpu, cycles, weights, per1000 in rows:
            print("| `%s` | %s | %.2f | %d | %.1f |" %
                  (kernel, cpu, cycles, weights, per1000))
    else:
        for kernel, cpu, cycles, weights, per1000 in rows:
            print("%-40s %-15s %8.2f cycles / %4d weights = %7.1f per 1000" %
                  (kernel, cpu, cycles, weights, per1000))


if __name__ == "__main__":
    main()
