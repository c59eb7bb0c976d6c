// RUN: trit-opt %s --trit-select-kernels=packing=t3x5 --split-input-file --verify-diagnostics | FileCheck %s
// RUN: trit-opt %s --trit-select-kernels=packing=auto --split-input-file --verify-diagnostics | FileCheck %s --check-prefix=AUTO
// RUN: not trit-opt %s --trit-select-kernels=packing=t3x5x64 --split-input-file 2>&1 | FileCheck %s --check-prefix=LANES
// RUN: not trit-opt %s --trit-select-kernels=packing=i3_s --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=UNKNOWN

// packing=t3x5: every ternary weight takes the 1.67-bit T3X5 layout,
// whatever its source layout; rows of 64 (no whole 192-weight group) and
// 320 weights (one group and a 2-bit tail) are valid.
// CHECK-LABEL: module @znver4
// CHECK: trit.global @wq : tensor<256x320x!trit.ternary, #t3x5_>
// CHECK: trit.global @wk : tensor<128x64x!trit.ternary, #t3x5_>
// CHECK: trit.weight @wq : tensor<256x320x!trit.ternary, #t3x5_>
// CHECK: trit.fused_bitlinear {{.*}} kernel avx512vnni :
// UNKNOWN: for the --packing option: unknown value 'i3_s'; expected auto, i2_s, t3x5 or t3x5x64
module @znver4 attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vl,+avx512vnni,+f16c,+fma">} {
  trit.global @wq : tensor<256x320x!trit.ternary, #trit.packing<i2_s, block = 64>> = #trit.external<"m.gguf", "q">
  trit.global @wk : tensor<128x64x!trit.ternary> = #trit.external<"m", "k">
  func.func @f(%h: tensor<?x320xf32>, %s: tensor<f32>) -> tensor<?x256xf32> {
    %wq = trit.weight @wq : tensor<256x320x!trit.ternary, #trit.packing<i2_s, block = 64>>
    %q = trit.fused_bitlinear %h weights(%wq : tensor<256x320x!trit.ternary, #trit.packing<i2_s, block = 64>>) scales(%s : tensor<f32>) : tensor<?x320xf32> -> tensor<?x256xf32>
    return %q : tensor<?x256xf32>
  }
}

// -----

// Rows must hold a multiple of 64 weights.
module attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vl,+avx512vnni,+f16c,+fma">} {
  // expected-error @+1 {{'trit.global' op has rows of 96 weights; the t3x5 kernels need a multiple of 64}}
  trit.global @w : tensor<4x96x!trit.ternary> = #trit.external<"m", "w">
}

// -----

// packing=auto: T3X5 for the AVX-512 VNNI kernels (the first module), I2_S
// for the others.
// AUTO-LABEL: module @znver4
// AUTO: trit.global @wq : tensor<256x320x!trit.ternary, #t3x5_>
// AUTO-LABEL: module @haswell
// AUTO: trit.global @w : tensor<16x256x!trit.ternary, #i2_s>
module @haswell attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "haswell", "+avx,+avx2,+f16c,+fma">} {
  trit.global @w : tensor<16x256x!trit.ternary> = #trit.external<"m", "w">
}

// -----

// With AVX-512 VBMI, packing=auto gives the weights of a multiple of 64
// rows of at most 65536 weights the T3X5 layout with rows in lanes
// (interleave 64) and the others plain T3X5 (@wk: 96 rows; @wide: 65600
// columns, whose tables would not fit the stack budget); packing=t3x5x64
// forces rows in lanes, and is an error for the others (the first of them
// reported) and for targets without AVX-512 VBMI (the modules above).
// AUTO-LABEL: module @vbmi
// AUTO: trit.global @wq : tensor<256x320x!trit.ternary, #t3x5_x64_>
// AUTO: trit.global @wk : tensor<96x64x!trit.ternary, #t3x5_>
// AUTO: trit.global @wide : tensor<64x65600x!trit.ternary, #t3x5_>
// AUTO: trit.weight @wq : tensor<256x320x!trit.ternary, #t3x5_x64_>
// LANES: error: weight packing t3x5x64 needs AVX-512 VBMI, which the target znver4 lacks
// LANES: error: weight packing t3x5x64 needs the avx512vnni kernels; the target haswell runs the avx2 kernels
// LANES: error: 'trit.global' op has 96 rows of 64 weights; weight packing t3x5x64 needs a multiple of 64 rows of at most 65536
module @vbmi attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vbmi,+avx512vl,+avx512vnni,+f16c,+fma">} {
  trit.global @wq : tensor<256x320x!trit.ternary> = #trit.external<"m.gguf", "q">
  trit.global @wk : tensor<96x64x!trit.ternary> = #trit.external<"m", "k">
  trit.global @wide : tensor<64x65600x!trit.ternary> = #trit.external<"m", "wide">
  func.func @f(%h: tensor<?x320xf32>, %s: tensor<f32>) -> tensor<?x256xf32> {
    %wq = trit.weight @wq : tensor<256x320x!trit.ternary>
    %q = trit.fused_bitlinear %h weights(%wq : tensor<256x320x!trit.ternary>) scales(%s : tensor<f32>) : tensor<?x320xf32> -> tensor<?x256xf32>
    return %q : tensor<?x256xf32>
  }
}
