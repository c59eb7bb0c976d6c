// RoPE, KV cache stores and causal grouped-query attention.
// RUN: trit-opt %s | trit-opt | FileCheck %s
// RUN: trit-opt %s --mlir-print-op-generic | trit-opt | FileCheck %s

!cache = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>

// CHECK-LABEL: func.func @rope_modes
func.func @rope_modes(%q: tensor<?x2560xf32>, %pos: index) -> (tensor<?x2560xf32>, tensor<?x2560xf32>) {
  // CHECK: trit.rope neox %{{.*}} at %{{.*}} head_dim 128 theta 5.000000e+05 : tensor<?x2560xf32>
  %0 = trit.rope neox %q at %pos head_dim 128 theta 500000.0 : tensor<?x2560xf32>
  // CHECK: trit.rope interleaved %{{.*}} at %{{.*}} head_dim 64 theta 1.000000e+04 : tensor<?x2560xf32>
  %1 = trit.rope interleaved %q at %pos head_dim 64 theta 10000.0 : tensor<?x2560xf32>
  return %0, %1 : tensor<?x2560xf32>, tensor<?x2560xf32>
}

// The cache value is threaded: store this layer's keys and values, then
// attend over positions 0 .. pos + row.
// CHECK-LABEL: func.func @store_and_attend
// CHECK-SAME: (%[[Q:.*]]: tensor<?x2560xf32>, %[[K:.*]]: tensor<?x640xf32>, %[[V:.*]]: tensor<?x640xf32>, %[[POS:.*]]: index, %[[C0:.*]]: !kv_cache)
func.func @store_and_attend(%q: tensor<?x2560xf32>, %k: tensor<?x640xf32>, %v: tensor<?x640xf32>, %pos: index, %c0: !cache)
    -> (tensor<?x2560xf32>, tensor<?x2560xf32>, !cache) {
  // CHECK: %[[C1:.*]] = trit.kv_store %[[K]], %[[V]] into %[[C0]][7] at %[[POS]] : tensor<?x640xf32>, tensor<?x640xf32> -> !kv_cache
  %c1 = trit.kv_store %k, %v into %c0[7] at %pos : tensor<?x640xf32>, tensor<?x640xf32> -> !cache
  // CHECK: trit.attention %[[Q]], %[[C1]][7] at %[[POS]] heads 20 : tensor<?x2560xf32>, !kv_cache
  %o = trit.attention %q, %c1[7] at %pos heads 20 : tensor<?x2560xf32>, !cache
  // CHECK: trit.attention %[[Q]], %[[C1]][7] at %[[POS]] heads 20 scale 1.250000e-01 : tensor<?x2560xf32>, !kv_cache
  %o2 = trit.attention %q, %c1[7] at %pos heads 20 scale 0.125 : tensor<?x2560xf32>, !cache
  return %o, %o2, %c1 : tensor<?x2560xf32>, tensor<?x2560xf32>, !cache
}

// Decode: one row, static.
// CHECK-LABEL: func.func @decode_step
func.func @decode_step(%q: tensor<1x2560xf32>, %k: tensor<1x640xf32>, %pos: index, %c0: !cache) -> tensor<1x2560xf32> {
  // CHECK: trit.kv_store {{.*}} : tensor<1x640xf32>, tensor<1x640xf32> -> !kv_cache
  %c1 = trit.kv_store %k, %k into %c0[29] at %pos : tensor<1x640xf32>, tensor<1x640xf32> -> !cache
  // CHECK: trit.attention {{.*}} : tensor<1x2560xf32>, !kv_cache
  %o = trit.attention %q, %c1[29] at %pos heads 20 : tensor<1x2560xf32>, !cache
  return %o : tensor<1x2560xf32>
}
