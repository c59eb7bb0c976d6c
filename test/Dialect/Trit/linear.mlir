// Embedding, RMSNorm, quantization, BitLinear (plain and fused) and the LM head.
// RUN: trit-opt %s | trit-opt | FileCheck %s
// RUN: trit-opt %s --mlir-print-op-generic | trit-opt | FileCheck %s

!w_q = tensor<2560x2560x!trit.ternary, #trit.packing<i2_s>>
!w_kv = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
!w_ffn = tensor<6912x2560x!trit.ternary, #trit.packing<i2_s>>

// CHECK-LABEL: func.func @embedding
func.func @embedding(%table: tensor<128256x2560xf16>, %tokens: tensor<?xi32>) -> tensor<?x2560xf32> {
  // CHECK: trit.embedding %{{.*}}[%{{.*}}] : tensor<128256x2560xf16>, tensor<?xi32> -> tensor<?x2560xf32>
  %h = trit.embedding %table[%tokens] : tensor<128256x2560xf16>, tensor<?xi32> -> tensor<?x2560xf32>
  return %h : tensor<?x2560xf32>
}

// CHECK-LABEL: func.func @norm_quantize_bitlinear
func.func @norm_quantize_bitlinear(%h: tensor<?x2560xf32>, %g: tensor<2560xf32>, %wk: !w_kv, %sk: tensor<f32>) -> tensor<?x640xf32> {
  // CHECK: %[[A:.*]] = trit.rms_norm %{{.*}}, %{{.*}} eps 1.000000e-05 : tensor<?x2560xf32>, tensor<2560xf32>
  %a = trit.rms_norm %h, %g eps 1.0e-5 : tensor<?x2560xf32>, tensor<2560xf32>
  // CHECK: %[[Q:.*]] = trit.quantize %[[A]] : tensor<?x2560xf32> -> !trit.qact<?x2560>
  %qa = trit.quantize %a : tensor<?x2560xf32> -> !trit.qact<?x2560>
  // CHECK: trit.bitlinear %[[Q]], %{{.*}}, %{{.*}} : !trit.qact<?x2560>, tensor<640x2560x!trit.ternary, #i2_s>, tensor<f32> -> tensor<?x640xf32>
  %k = trit.bitlinear %qa, %wk, %sk : !trit.qact<?x2560>, !w_kv, tensor<f32> -> tensor<?x640xf32>
  return %k : tensor<?x640xf32>
}

// Static and dynamic sizes mix; scales may be per row or per block.
// CHECK-LABEL: func.func @scale_granularities
func.func @scale_granularities(%qa: !trit.qact<4x512, block = 256>,
    %w: tensor<8x512x!trit.ternary, #trit.packing<tq2_0>>,
    %per_row: tensor<8xf32>, %per_block: tensor<8x2xf16>) -> (tensor<?x8xf32>, tensor<4x8xf32>) {
  // CHECK: trit.bitlinear %{{.*}} : !trit.qact<4x512, block = 256>, tensor<8x512x!trit.ternary, #tq2_0_>, tensor<8xf32> -> tensor<?x8xf32>
  %0 = trit.bitlinear %qa, %w, %per_row : !trit.qact<4x512, block = 256>, tensor<8x512x!trit.ternary, #trit.packing<tq2_0>>, tensor<8xf32> -> tensor<?x8xf32>
  // CHECK: trit.bitlinear %{{.*}} : !trit.qact<4x512, block = 256>, tensor<8x512x!trit.ternary, #tq2_0_>, tensor<8x2xf16> -> tensor<4x8xf32>
  %1 = trit.bitlinear %qa, %w, %per_block : !trit.qact<4x512, block = 256>, tensor<8x512x!trit.ternary, #trit.packing<tq2_0>>, tensor<8x2xf16> -> tensor<4x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<4x8xf32>
}

// q, k and v share one normalized and quantized input.
// CHECK-LABEL: func.func @fused_qkv
func.func @fused_qkv(%h: tensor<?x2560xf32>, %g: tensor<2560xf32>, %wq: !w_q, %wk: !w_kv, %wv: !w_kv, %s: tensor<f32>)
    -> (tensor<?x2560xf32>, tensor<?x640xf32>, tensor<?x640xf32>) {
  // CHECK: %{{.*}}:3 = trit.fused_bitlinear %{{.*}} norm(%{{.*}}, eps 1.000000e-05 : tensor<2560xf32>)
  // CHECK-SAME: weights(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2560x2560x!trit.ternary, #i2_s>, tensor<640x2560x!trit.ternary, #i2_s>, tensor<640x2560x!trit.ternary, #i2_s>)
  // CHECK-SAME: scales(%{{.*}}, %{{.*}}, %{{.*}} : tensor<f32>, tensor<f32>, tensor<f32>)
  // CHECK-SAME: : tensor<?x2560xf32> -> tensor<?x2560xf32>, tensor<?x640xf32>, tensor<?x640xf32>
  %q, %k, %v = trit.fused_bitlinear %h norm(%g, eps 1.0e-5 : tensor<2560xf32>)
      weights(%wq, %wk, %wv : !w_q, !w_kv, !w_kv) scales(%s, %s, %s : tensor<f32>, tensor<f32>, tensor<f32>)
      : tensor<?x2560xf32> -> tensor<?x2560xf32>, tensor<?x640xf32>, tensor<?x640xf32>
  return %q, %k, %v : tensor<?x2560xf32>, tensor<?x640xf32>, tensor<?x640xf32>
}

// Gate and up with the squared-ReLU epilogue give one result; no norm here.
// CHECK-LABEL: func.func @fused_gated_ffn
func.func @fused_gated_ffn(%f: tensor<?x2560xf32>, %wg: !w_ffn, %wu: !w_ffn, %s: tensor<f32>) -> tensor<?x6912xf32> {
  // CHECK: trit.fused_bitlinear %{{.*}} weights(%{{.*}}, %{{.*}} : tensor<6912x2560x!trit.ternary, #i2_s>, tensor<6912x2560x!trit.ternary, #i2_s>)
  // CHECK-SAME: scales(%{{.*}}, %{{.*}} : tensor<f32>, tensor<f32>) gate relu2 : tensor<?x2560xf32> -> tensor<?x6912xf32>
  %m = trit.fused_bitlinear %f weights(%wg, %wu : !w_ffn, !w_ffn) scales(%s, %s : tensor<f32>, tensor<f32>) gate relu2
      : tensor<?x2560xf32> -> tensor<?x6912xf32>
  return %m : tensor<?x6912xf32>
}

// CHECK-LABEL: func.func @fused_single_silu
func.func @fused_single_silu(%f: tensor<?x2560xf32>, %wg: !w_ffn, %s: tensor<f32>) -> tensor<?x6912xf32> {
  // CHECK: trit.fused_bitlinear {{.*}} gate silu
  %m = trit.fused_bitlinear %f weights(%wg, %wg : !w_ffn, !w_ffn) scales(%s, %s : tensor<f32>, tensor<f32>) gate silu
      : tensor<?x2560xf32> -> tensor<?x6912xf32>
  return %m : tensor<?x6912xf32>
}

// CHECK-LABEL: func.func @lm_head
func.func @lm_head(%y: tensor<?x2560xf32>, %table: tensor<128256x2560xf16>) -> tensor<?x128256xf32> {
  // CHECK: trit.lm_head %{{.*}}, %{{.*}} : tensor<?x2560xf32>, tensor<128256x2560xf16> -> tensor<?x128256xf32>
  %logits = trit.lm_head %y, %table : tensor<?x2560xf32>, tensor<128256x2560xf16> -> tensor<?x128256xf32>
  return %logits : tensor<?x128256xf32>
}

// Ternary Bonsai (qwen3): a ternary embedding and LM head with group
// scales, Q8_0 activations, group-scaled BitLinears, per-head RMSNorm.
// CHECK-LABEL: func.func @group_scaled
func.func @group_scaled(%tokens: tensor<?xi32>,
    %table: tensor<512x256x!trit.ternary, #trit.packing<q2_0>>, %ts: tensor<512x4xf16>,
    %wq: tensor<384x256x!trit.ternary, #trit.packing<q2_0, block = 128>>, %sq: tensor<384x2xf16>,
    %qn: tensor<96xf32>,
    %wt: tensor<40x256x!trit.ternary, #trit.packing<t2g, block = 64, interleave = 16>>, %st: tensor<40x4xf16>)
    -> (tensor<?x384xf32>, tensor<?x40xf32>, tensor<?x512xf32>) {
  // CHECK: trit.embedding %{{.*}}[%{{.*}}] scales %{{.*}} : tensor<512x4xf16> : tensor<512x256x!trit.ternary, #{{.*}}>, tensor<?xi32> -> tensor<?x256xf32>
  %h = trit.embedding %table[%tokens] scales %ts : tensor<512x4xf16> : tensor<512x256x!trit.ternary, #trit.packing<q2_0>>, tensor<?xi32> -> tensor<?x256xf32>
  // CHECK: trit.quantize %{{.*}} : tensor<?x256xf32> -> !trit.qact<?x256, block = 32>
  %qa = trit.quantize %h : tensor<?x256xf32> -> !trit.qact<?x256, block = 32>
  // CHECK: trit.bitlinear %{{.*}}, %{{.*}}, %{{.*}} : !trit.qact<?x256, block = 32>, tensor<384x256x!trit.ternary, #{{.*}}>, tensor<384x2xf16> -> tensor<?x384xf32>
  %q = trit.bitlinear %qa, %wq, %sq : !trit.qact<?x256, block = 32>, tensor<384x256x!trit.ternary, #trit.packing<q2_0, block = 128>>, tensor<384x2xf16> -> tensor<?x384xf32>
  // CHECK: trit.rms_norm %{{.*}}, %{{.*}} eps {{.*}} : tensor<?x384xf32>, tensor<96xf32>
  %qk = trit.rms_norm %q, %qn eps 1.0e-6 : tensor<?x384xf32>, tensor<96xf32>
  // A t2g weight of 40 rows: the layout pads the last 16.
  // CHECK: trit.bitlinear %{{.*}}, %{{.*}}, %{{.*}} : !trit.qact<?x256, block = 32>, tensor<40x256x!trit.ternary, #{{.*}}>, tensor<40x4xf16> -> tensor<?x40xf32>
  %t = trit.bitlinear %qa, %wt, %st : !trit.qact<?x256, block = 32>, tensor<40x256x!trit.ternary, #trit.packing<t2g, block = 64, interleave = 16>>, tensor<40x4xf16> -> tensor<?x40xf32>
  // CHECK: trit.lm_head %{{.*}}, %{{.*}} scales %{{.*}} : tensor<512x4xf16> : tensor<?x256xf32>, tensor<512x256x!trit.ternary, #{{.*}}> -> tensor<?x512xf32>
  %logits = trit.lm_head %h, %table scales %ts : tensor<512x4xf16> : tensor<?x256xf32>, tensor<512x256x!trit.ternary, #trit.packing<q2_0>> -> tensor<?x512xf32>
  return %qk, %t, %logits : tensor<?x384xf32>, tensor<?x40xf32>, tensor<?x512xf32>
}
