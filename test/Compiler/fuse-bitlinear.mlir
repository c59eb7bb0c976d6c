// RUN: trit-opt %s --trit-fuse-bitlinear --split-input-file | FileCheck %s

!w_q = tensor<256x256x!trit.ternary, #trit.packing<i2_s>>
!w_kv = tensor<128x256x!trit.ternary, #trit.packing<i2_s>>

// q, k and v read one quantized, normalized input: one fused op, with the
// norm inside.
// CHECK-LABEL: func.func @qkv_with_norm
// CHECK-SAME: (%[[H:[^:]*]]: tensor<?x256xf32>, %[[G:[^:]*]]: tensor<256xf32>, %[[WQ:[^:]*]]: tensor<256x256x!trit.ternary, #i2_s>, %[[WK:[^:]*]]: tensor<128x256x!trit.ternary, #i2_s>, %[[WV:[^:]*]]: tensor<128x256x!trit.ternary, #i2_s>, %[[S:[^:]*]]: tensor<f32>)
// CHECK-NOT: trit.rms_norm
// CHECK-NOT: trit.quantize
// CHECK: %[[F:.*]]:3 = trit.fused_bitlinear %[[H]] norm(%[[G]], eps 1.000000e-05 : tensor<256xf32>) weights(%[[WQ]], %[[WK]], %[[WV]] : {{.*}}) scales(%[[S]], %[[S]], %[[S]] : tensor<f32>, tensor<f32>, tensor<f32>) : tensor<?x256xf32> -> tensor<?x256xf32>, tensor<?x128xf32>, tensor<?x128xf32>
// CHECK-NOT: trit.bitlinear
// CHECK: return %[[F]]#0, %[[F]]#1, %[[F]]#2
func.func @qkv_with_norm(%h: tensor<?x256xf32>, %g: tensor<256xf32>, %wq: !w_q, %wk: !w_kv, %wv: !w_kv, %s: tensor<f32>)
    -> (tensor<?x256xf32>, tensor<?x128xf32>, tensor<?x128xf32>) {
  %a = trit.rms_norm %h, %g eps 1.0e-5 : tensor<?x256xf32>, tensor<256xf32>
  %qa = trit.quantize %a : tensor<?x256xf32> -> !trit.qact<?x256>
  %q = trit.bitlinear %qa, %wq, %s : !trit.qact<?x256>, !w_q, tensor<f32> -> tensor<?x256xf32>
  %k = trit.bitlinear %qa, %wk, %s : !trit.qact<?x256>, !w_kv, tensor<f32> -> tensor<?x128xf32>
  %v = trit.bitlinear %qa, %wv, %s : !trit.qact<?x256>, !w_kv, tensor<f32> -> tensor<?x128xf32>
  return %q, %k, %v : tensor<?x256xf32>, tensor<?x128xf32>, tensor<?x128xf32>
}

// -----

// Without a norm in front, the fused op only quantizes.
!w = tensor<128x256x!trit.ternary, #trit.packing<i2_s>>
// CHECK-LABEL: func.func @no_norm
// CHECK: %[[X:.*]] = trit.add
// CHECK: trit.fused_bitlinear %[[X]] weights(
func.func @no_norm(%h: tensor<?x256xf32>, %w: !w, %s: tensor<f32>) -> tensor<?x128xf32> {
  %x = trit.add %h, %h : tensor<?x256xf32>
  %qa = trit.quantize %x : tensor<?x256xf32> -> !trit.qact<?x256>
  %y = trit.bitlinear %qa, %w, %s : !trit.qact<?x256>, !w, tensor<f32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// A norm with another user stays; the fused op takes its result.
!w = tensor<128x256x!trit.ternary, #trit.packing<i2_s>>
// CHECK-LABEL: func.func @norm_used_elsewhere
// CHECK: %[[A:.*]] = trit.rms_norm
// CHECK: %[[F:.*]] = trit.fused_bitlinear %[[A]] weights(
// CHECK: return %[[F]], %[[A]]
func.func @norm_used_elsewhere(%h: tensor<?x256xf32>, %g: tensor<256xf32>, %w: !w, %s: tensor<f32>) -> (tensor<?x128xf32>, tensor<?x256xf32>) {
  %a = trit.rms_norm %h, %g eps 1.0e-5 : tensor<?x256xf32>, tensor<256xf32>
  %qa = trit.quantize %a : tensor<?x256xf32> -> !trit.qact<?x256>
  %y = trit.bitlinear %qa, %w, %s : !trit.qact<?x256>, !w, tensor<f32> -> tensor<?x128xf32>
  return %y, %a : tensor<?x128xf32>, tensor<?x256xf32>
}

// -----

// Weights referenced between the BitLinears (as the importer writes them)
// move up to the fused op.
!w = tensor<128x256x!trit.ternary, #trit.packing<i2_s>>
trit.global @wa : !w = #trit.external<"m.gguf", "a">
trit.global @wb : !w = #trit.external<"m.gguf", "b">
// CHECK-LABEL: func.func @weights_defined_later
// CHECK: %[[WA:.*]] = trit.weight @wa
// CHECK: %[[WB:.*]] = trit.weight @wb
// CHECK: %[[F:.*]]:2 = trit.fused_bitlinear %{{.*}} weights(%[[WA]], %[[WB]] :
// CHECK: trit.add %[[F]]#0, %[[F]]#1
func.func @weights_defined_later(%h: tensor<?x256xf32>, %s: tensor<f32>) -> tensor<?x128xf32> {
  %qa = trit.quantize %h : tensor<?x256xf32> -> !trit.qact<?x256>
  %wa = trit.weight @wa : !w
  %a = trit.bitlinear %qa, %wa, %s : !trit.qact<?x256>, !w, tensor<f32> -> tensor<?x128xf32>
  %wb = trit.weight @wb : !w
  %b = trit.bitlinear %qa, %wb, %s : !trit.qact<?x256>, !w, tensor<f32> -> tensor<?x128xf32>
  %sum = trit.add %a, %b : tensor<?x128xf32>
  return %sum : tensor<?x128xf32>
}

// -----

// Negative: a weight computed after the first BitLinear cannot move up.
!w = tensor<128x256x!trit.ternary, #trit.packing<i2_s>>
// CHECK-LABEL: func.func @weight_computed_later
// CHECK: trit.quantize
// CHECK: trit.bitlinear
// CHECK: trit.bitlinear
// CHECK-NOT: trit.fused_bitlinear
func.func @weight_computed_later(%h: tensor<?x256xf32>, %w: !w, %s: tensor<f32>) -> (tensor<?x128xf32>, tensor<?x128xf32>) {
  %qa = trit.quantize %h : tensor<?x256xf32> -> !trit.qact<?x256>
  %a = trit.bitlinear %qa, %w, %s : !trit.qact<?x256>, !w, tensor<f32> -> tensor<?x128xf32>
  %s2 = trit.mul %s, %s : tensor<f32>
  %b = trit.bitlinear %qa, %w, %s2 : !trit.qact<?x256>, !w, tensor<f32> -> tensor<?x128xf32>
  return %a, %b : tensor<?x128xf32>, tensor<?x128xf32>
}

// -----

// Negative: the quantized activations have a user that is not a BitLinear.
!w = tensor<128x256x!trit.ternary, #trit.packing<i2_s>>
// CHECK-LABEL: func.func @other_user
// CHECK: trit.quantize
// CHECK: trit.bitlinear
// CHECK-NOT: trit.fused_bitlinear
func.func @other_user(%h: tensor<?x256xf32>, %w: !w, %s: tensor<f32>) -> (tensor<?x128xf32>, !trit.qact<?x256>) {
  %qa = trit.quantize %h : tensor<?x256xf32> -> !trit.qact<?x256>
  %y = trit.bitlinear %qa, %w, %s : !trit.qact<?x256>, !w, tensor<f32> -> tensor<?x128xf32>
  return %y, %qa : tensor<?x128xf32>, !trit.qact<?x256>
}

// -----

// Negative: per-block quantization of weights that are not group-scaled
// (TQ2_0's Q8_K blocks, which no kernel reads) stays unfused.
!w = tensor<128x256x!trit.ternary, #trit.packing<tq2_0>>
// CHECK-LABEL: func.func @per_block_quantization
// CHECK: trit.quantize
// CHECK: trit.bitlinear
// CHECK-NOT: trit.fused_bitlinear
func.func @per_block_quantization(%h: tensor<?x256xf32>, %w: !w, %s: tensor<f32>) -> tensor<?x128xf32> {
  %qa = trit.quantize %h : tensor<?x256xf32> -> !trit.qact<?x256, block = 256>
  %y = trit.bitlinear %qa, %w, %s : !trit.qact<?x256, block = 256>, !w, tensor<f32> -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// Q8_0 activations (group-scaled weights, Ternary Bonsai) fuse the same way;
// the fused op quantizes in their blocks.
// CHECK-LABEL: func.func @q8_0_blocks
// CHECK: trit.fused_bitlinear %{{.*}} norm(%{{.*}}, eps {{.*}} : tensor<256xf32>) weights(%{{.*}}, %{{.*}} : {{.*}}) scales(%{{.*}}, %{{.*}} : tensor<384x4xf16>, tensor<128x4xf16>) block 32 : tensor<?x256xf32> -> tensor<?x384xf32>, tensor<?x128xf32>
// CHECK-NOT: trit.quantize
func.func @q8_0_blocks(%h: tensor<?x256xf32>, %g: tensor<256xf32>,
    %wq: tensor<384x256x!trit.ternary, #trit.packing<q2_0>>, %sq: tensor<384x4xf16>,
    %wk: tensor<128x256x!trit.ternary, #trit.packing<q2_0>>, %sk: tensor<128x4xf16>) -> (tensor<?x384xf32>, tensor<?x128xf32>) {
  %a = trit.rms_norm %h, %g eps 1.0e-6 : tensor<?x256xf32>, tensor<256xf32>
  %qa = trit.quantize %a : tensor<?x256xf32> -> !trit.qact<?x256, block = 32>
  %q = trit.bitlinear %qa, %wq, %sq : !trit.qact<?x256, block = 32>, tensor<384x256x!trit.ternary, #trit.packing<q2_0>>, tensor<384x4xf16> -> tensor<?x384xf32>
  %k = trit.bitlinear %qa, %wk, %sk : !trit.qact<?x256, block = 32>, tensor<128x256x!trit.ternary, #trit.packing<q2_0>>, tensor<128x4xf16> -> tensor<?x128xf32>
  return %q, %k : tensor<?x384xf32>, tensor<?x128xf32>
}
