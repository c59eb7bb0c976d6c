// RUN: trit-opt %s --trit-select-kernels=packing=i2_s --split-input-file --verify-diagnostics | FileCheck %s
// RUN: not trit-opt %s --trit-select-kernels=kernel=avx2 --split-input-file 2>/dev/null | FileCheck %s --check-prefix=FORCED
// RUN: not trit-opt %s --trit-select-kernels=kernel=avx2 --split-input-file 2>&1 >/dev/null | FileCheck %s --check-prefix=FORCED-ERR
// A forced kernel the target cannot run is an error, never code it cannot run:
// FORCED-ERR: error: kernel avx2 needs avx2, fma, f16c on x86, which the target haswell (x86_64-unknown-linux-gnu) lacks
// FORCED-ERR: error: kernel avx2 needs avx2, fma, f16c on x86, which the target x86-64 (x86_64-unknown-linux-gnu) lacks
// FORCED-ERR: error: kernel avx2 needs avx2, fma, f16c on x86, which the target neoverse-n1 (aarch64-unknown-linux-gnu) lacks
// FORCED-ERR: error: kernel avx2 needs avx2, fma, f16c on x86, which the target cortex-a53 (aarch64-unknown-linux-gnu) lacks

// znver4 runs the AVX-512 VNNI kernels; with packing=i2_s every ternary
// weight takes the I2_S layout, whatever its source layout (here TQ2_0 and
// none). select-kernels-t3x5.mlir has the T3X5 layout and packing=auto.
// CHECK-LABEL: module @znver4
// CHECK: trit.global @wq : tensor<256x256x!trit.ternary, #i2_s>
// CHECK: trit.global @wk : tensor<128x256x!trit.ternary, #i2_s>
// CHECK: trit.global @norm : tensor<256xf32>
// CHECK: trit.weight @wq : tensor<256x256x!trit.ternary, #i2_s>
// CHECK: trit.fused_bitlinear {{.*}} kernel avx512vnni :
// CHECK: trit.bitlinear {{.*}} kernel avx512vnni :
// FORCED-LABEL: module @znver4
// FORCED: trit.fused_bitlinear {{.*}} kernel avx2 :
module @znver4 attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vl,+avx512vnni,+f16c,+fma">} {
  trit.global @wq : tensor<256x256x!trit.ternary, #trit.packing<tq2_0>> = #trit.external<"m.gguf", "q">
  trit.global @wk : tensor<128x256x!trit.ternary> = #trit.external<"m", "k">
  trit.global @norm : tensor<256xf32> = #trit.external<"m.gguf", "n">
  func.func @f(%h: tensor<?x256xf32>, %s: tensor<f32>) -> (tensor<?x256xf32>, tensor<?x128xf32>) {
    %wq = trit.weight @wq : tensor<256x256x!trit.ternary, #trit.packing<tq2_0>>
    %wk = trit.weight @wk : tensor<128x256x!trit.ternary>
    %q = trit.fused_bitlinear %h weights(%wq : tensor<256x256x!trit.ternary, #trit.packing<tq2_0>>) scales(%s : tensor<f32>) : tensor<?x256xf32> -> tensor<?x256xf32>
    %qa = trit.quantize %h : tensor<?x256xf32> -> !trit.qact<?x256>
    %k = trit.bitlinear %qa, %wk, %s : !trit.qact<?x256>, tensor<128x256x!trit.ternary>, tensor<f32> -> tensor<?x128xf32>
    return %q, %k : tensor<?x256xf32>, tensor<?x128xf32>
  }
}

// -----

// haswell: AVX2.
// CHECK-LABEL: module @haswell
// CHECK: kernel avx2 :
module @haswell attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "haswell", "+avx,+avx2,+f16c,+fma">} {
  func.func @f(%h: tensor<?x256xf32>, %w: tensor<128x256x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<f32>) -> tensor<?x128xf32> {
    %y = trit.fused_bitlinear %h weights(%w : tensor<128x256x!trit.ternary, #trit.packing<i2_s>>) scales(%s : tensor<f32>) : tensor<?x256xf32> -> tensor<?x128xf32>
    return %y : tensor<?x128xf32>
  }
}

// -----

// AVX2 without F16C (a user's --target-features=-f16c): the AVX2 kernels
// convert f16 with F16C, so the portable kernel is chosen.
// CHECK-LABEL: module @avx2_no_f16c
// CHECK: kernel generic :
module @avx2_no_f16c attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "haswell", "+avx,+avx2,+fma">} {
  func.func @f(%h: tensor<?x256xf32>, %w: tensor<128x256x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<f32>) -> tensor<?x128xf32> {
    %y = trit.fused_bitlinear %h weights(%w : tensor<128x256x!trit.ternary, #trit.packing<i2_s>>) scales(%s : tensor<f32>) : tensor<?x256xf32> -> tensor<?x128xf32>
    return %y : tensor<?x128xf32>
  }
}

// -----

// Baseline x86-64, and an aarch64 CPU without dotprod: the portable kernel,
// never code the CPU cannot run.
// CHECK-LABEL: module @baseline
// CHECK: kernel generic :
module @baseline attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "x86-64", "+sse2">} {
  func.func @f(%h: tensor<?x256xf32>, %w: tensor<128x256x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<f32>) -> tensor<?x128xf32> {
    %y = trit.fused_bitlinear %h weights(%w : tensor<128x256x!trit.ternary, #trit.packing<i2_s>>) scales(%s : tensor<f32>) : tensor<?x256xf32> -> tensor<?x128xf32>
    return %y : tensor<?x128xf32>
  }
}

// -----

// aarch64 with dotprod: the NEON kernels.
// CHECK-LABEL: module @arm
// CHECK: kernel neon_dotprod :
module @arm attributes {trit.target = #trit.target<"aarch64-unknown-linux-gnu", "neoverse-n1", "+dotprod,+neon">} {
  func.func @f(%h: tensor<?x256xf32>, %w: tensor<128x256x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<f32>) -> tensor<?x128xf32> {
    %y = trit.fused_bitlinear %h weights(%w : tensor<128x256x!trit.ternary, #trit.packing<i2_s>>) scales(%s : tensor<f32>) : tensor<?x256xf32> -> tensor<?x128xf32>
    return %y : tensor<?x128xf32>
  }
}

// -----

// CHECK-LABEL: module @cortex_a53
// CHECK: kernel generic :
module @cortex_a53 attributes {trit.target = #trit.target<"aarch64-unknown-linux-gnu", "cortex-a53", "+neon">} {
  func.func @f(%h: tensor<?x256xf32>, %w: tensor<128x256x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<f32>) -> tensor<?x128xf32> {
    %y = trit.fused_bitlinear %h weights(%w : tensor<128x256x!trit.ternary, #trit.packing<i2_s>>) scales(%s : tensor<f32>) : tensor<?x256xf32> -> tensor<?x128xf32>
    return %y : tensor<?x128xf32>
  }
}
