//===- Roofline.h - this machine's limits, measured -------------*- C++ -*-===//
//
// What trit-bench divides its figures by: the streaming read bandwidth from
// DRAM with 1 and N threads (generation reads every weight once per token),
// and the int8 multiply-accumulate peak per core with AVX-512 VNNI and with
// AVX2 (prompt processing is compute-bound).
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TOOLS_TRIT_BENCH_ROOFLINE_H
#define TRIT_TOOLS_TRIT_BENCH_ROOFLINE_H

#include <cstddef>

namespace trit::bench {

/// GB/s reading `bytes` (far larger than the caches) with `threads`
/// threads, best of `repeats`.
double measureReadBandwidth(size_t bytes, int threads, int repeats);

/// Int8 GMAC/s of one core: vpdpbusd on zmm (0 if the CPU lacks it), and
/// vpmaddubsw + vpmaddwd on ymm (0 if it lacks AVX2).
double measureVnniPeak();
double measureAvx2Peak();
/// The lookup-table tile's step (vpermb + vpdpbusd, tritc --prompt-lut) in
/// GMAC-equivalents per second on one core (three weights per looked-up
/// byte); 0 without AVX-512 VBMI.
double measureLutPeak();

} // namespace trit::bench

#endif // TRIT_TOOLS_TRIT_BENCH_ROOFLINE_H
