// RUN: trit-opt %s --trit-select-kernels --split-input-file --verify-diagnostics

// expected-error @+1 {{has no trit.target attribute; tritc sets it from --target-cpu}}
module {
}

// -----

module attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2">} {
  // expected-error @+1 {{'trit.global' op has rows of 96 weights; the i2_s kernels need a multiple of 128}}
  trit.global @w : tensor<4x96x!trit.ternary> = #trit.external<"m", "w">
}

// -----

module attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2">} {
  func.func @f(%h: tensor<?x256xf32>, %w: tensor<8x256x!trit.ternary, #trit.packing<tq2_0>>, %s: tensor<8x1xf16>) -> tensor<?x8xf32> {
    // expected-error @+1 {{'trit.fused_bitlinear' op has per-block weight scales, which the I2_S kernels do not apply}}
    %y = trit.fused_bitlinear %h weights(%w : tensor<8x256x!trit.ternary, #trit.packing<tq2_0>>) scales(%s : tensor<8x1xf16>) : tensor<?x256xf32> -> tensor<?x8xf32>
    return %y : tensor<?x8xf32>
  }
}

// -----

module attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2">} {
  func.func @f(%qa: !trit.qact<?x256, block = 256>, %w: tensor<8x256x!trit.ternary, #trit.packing<tq2_0>>, %s: tensor<f32>) -> tensor<?x8xf32> {
    // expected-error @+1 {{'trit.bitlinear' op has per-block activations, which no kernel implements}}
    %y = trit.bitlinear %qa, %w, %s : !trit.qact<?x256, block = 256>, tensor<8x256x!trit.ternary, #trit.packing<tq2_0>>, tensor<f32> -> tensor<?x8xf32>
    return %y : tensor<?x8xf32>
  }
}
