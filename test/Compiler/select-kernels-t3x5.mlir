// RUN: trit-opt %s --trit-select-kernels=packing=t3x5 --split-input-file --verify-diagnostics | FileCheck %s
// RUN: trit-opt %s --trit-select-kernels=packing=auto --split-input-file --verify-diagnostics | FileCheck %s --check-prefix=AUTO
// RUN: not trit-opt %s --trit-select-kernels=packing=i3_s --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=UNKNOWN

// packing=t3x5: every ternary weight takes the 1.67-bit T3X5 layout,
// whatever its source layout; rows of 64 (no whole 192-weight group) and
// 320 weights (one group and a 2-bit tail) are valid.
// CHECK-LABEL: module @znver4
// CHECK: trit.global @wq : tensor<256x320x!trit.ternary, #t3x5_>
// CHECK: trit.global @wk : tensor<128x64x!trit.ternary, #t3x5_>
// CHECK: trit.weight @wq : tensor<256x320x!trit.ternary, #t3x5_>
// CHECK: trit.fused_bitlinear {{.*}} kernel avx512vnni :
// UNKNOWN: error: unknown weight packing 'i3_s'; expected auto, i2_s or t3x5
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
