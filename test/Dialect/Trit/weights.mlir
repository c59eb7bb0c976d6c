// trit.global and trit.weight: weights are symbols, their bytes stay outside.
// RUN: trit-opt %s | trit-opt | FileCheck %s
// RUN: trit-opt %s --mlir-print-op-generic | trit-opt | FileCheck %s

// CHECK: trit.global @blk.0.attn_q.weight : tensor<2560x2560x!trit.ternary, #i2_s> = #trit.external<"model.gguf", "blk.0.attn_q.weight">
trit.global @blk.0.attn_q.weight : tensor<2560x2560x!trit.ternary, #trit.packing<i2_s>>
    = #trit.external<"model.gguf", "blk.0.attn_q.weight">
// The part defaults to `data` and is printed only when it is not.
// CHECK: trit.global @blk.0.attn_q.scale : tensor<f32> = #trit.external<"model.gguf", "blk.0.attn_q.weight", scale>
trit.global @blk.0.attn_q.scale : tensor<f32>
    = #trit.external<"model.gguf", "blk.0.attn_q.weight", scale>
// CHECK: trit.global @blk.0.attn_norm.weight : tensor<2560xf32> = #trit.external<"model-00001-of-00002.safetensors", "model.layers.0.input_layernorm.weight">
trit.global @blk.0.attn_norm.weight : tensor<2560xf32>
    = #trit.external<"model-00001-of-00002.safetensors", "model.layers.0.input_layernorm.weight", data>
// Small non-ternary tensors may be inline.
// CHECK: trit.global @tiny_norm : tensor<4xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]> : tensor<4xf32>
trit.global @tiny_norm : tensor<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>

// CHECK-LABEL: func.func @reference_weights
func.func @reference_weights() -> (tensor<2560x2560x!trit.ternary, #trit.packing<i2_s>>, tensor<f32>, tensor<4xf32>) {
  // CHECK: %[[W:.*]] = trit.weight @blk.0.attn_q.weight : tensor<2560x2560x!trit.ternary, #i2_s>
  %w = trit.weight @blk.0.attn_q.weight : tensor<2560x2560x!trit.ternary, #trit.packing<i2_s>>
  // CHECK: %[[S:.*]] = trit.weight @blk.0.attn_q.scale : tensor<f32>
  %s = trit.weight @blk.0.attn_q.scale : tensor<f32>
  // CHECK: %[[N:.*]] = trit.weight @tiny_norm : tensor<4xf32>
  %n = trit.weight @tiny_norm : tensor<4xf32>
  // CHECK: return %[[W]], %[[S]], %[[N]]
  return %w, %s, %n : tensor<2560x2560x!trit.ternary, #trit.packing<i2_s>>, tensor<f32>, tensor<4xf32>
}
