// Folds and canonicalization patterns of the trit dialect.
// RUN: trit-opt %s -canonicalize -split-input-file | FileCheck %s
// RUN: trit-opt %s -cse -split-input-file | FileCheck %s --check-prefix=CSE

// CHECK-LABEL: func.func @add_zero
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: trit.add
// CHECK: return %[[X]], %[[X]]
func.func @add_zero(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %0 = trit.add %x, %zero : tensor<4xf32>
  // Commutative: the constant moves to the right and folds the same way.
  %1 = trit.add %zero, %x : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @add_nonzero_stays
// CHECK: trit.add
func.func @add_nonzero_stays(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant dense<1.0> : tensor<4xf32>
  %0 = trit.add %x, %c : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @mul_one
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: trit.mul
// CHECK: return %[[X]]
func.func @mul_one(%x: tensor<4xf32>) -> tensor<4xf32> {
  %one = arith.constant dense<1.0> : tensor<4xf32>
  %0 = trit.mul %one, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @mul_zero_stays
// CHECK: trit.mul
func.func @mul_zero_stays(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %0 = trit.mul %x, %zero : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Unused BitLinears of a fused op are dropped; the shared input stays.
!w_q = tensor<2560x2560x!trit.ternary, #trit.packing<i2_s>>
!w_kv = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
// CHECK-LABEL: func.func @drop_unused_projection
// CHECK-SAME: %[[WQ:[^:]*]]: tensor<2560x2560x!trit.ternary, #i2_s>, %[[WK:[^:]*]]: tensor<640x2560x!trit.ternary, #i2_s>, %[[WV:[^:]*]]: tensor<640x2560x!trit.ternary, #i2_s>, %[[SQ:[^:]*]]: tensor<f32>, %[[SK:[^:]*]]: tensor<f32>, %[[SV:[^:]*]]: tensor<f32>
// CHECK: %[[R:.*]]:2 = trit.fused_bitlinear %{{.*}} norm(%{{.*}}, eps 1.000000e-05 : tensor<2560xf32>) weights(%[[WQ]], %[[WV]] : {{.*}}) scales(%[[SQ]], %[[SV]] : tensor<f32>, tensor<f32>) : tensor<?x2560xf32> -> tensor<?x2560xf32>, tensor<?x640xf32>
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @drop_unused_projection(%h: tensor<?x2560xf32>, %g: tensor<2560xf32>, %wq: !w_q, %wk: !w_kv, %wv: !w_kv,
    %sq: tensor<f32>, %sk: tensor<f32>, %sv: tensor<f32>) -> (tensor<?x2560xf32>, tensor<?x640xf32>) {
  %q, %k, %v = trit.fused_bitlinear %h norm(%g, eps 1.0e-5 : tensor<2560xf32>)
      weights(%wq, %wk, %wv : !w_q, !w_kv, !w_kv) scales(%sq, %sk, %sv : tensor<f32>, tensor<f32>, tensor<f32>)
      : tensor<?x2560xf32> -> tensor<?x2560xf32>, tensor<?x640xf32>, tensor<?x640xf32>
  return %q, %v : tensor<?x2560xf32>, tensor<?x640xf32>
}

// -----

// A gated op combines both weights into its one result: nothing to drop.
!w = tensor<6912x2560x!trit.ternary, #trit.packing<i2_s>>
// CHECK-LABEL: func.func @gated_kept
// CHECK: trit.fused_bitlinear {{.*}} weights(%{{.*}}, %{{.*}} : {{.*}}) {{.*}} gate relu2
func.func @gated_kept(%f: tensor<?x2560xf32>, %wg: !w, %wu: !w, %s: tensor<f32>) -> tensor<?x6912xf32> {
  %m = trit.fused_bitlinear %f weights(%wg, %wu : !w, !w) scales(%s, %s : tensor<f32>, tensor<f32>) gate relu2
      : tensor<?x2560xf32> -> tensor<?x6912xf32>
  return %m : tensor<?x6912xf32>
}

// -----

// A fused op with no used result is pure and disappears.
!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
// CHECK-LABEL: func.func @all_unused
// CHECK-NOT: trit.fused_bitlinear
func.func @all_unused(%h: tensor<?x2560xf32>, %w: !w, %s: tensor<f32>) {
  %0 = trit.fused_bitlinear %h weights(%w : !w) scales(%s : tensor<f32>) : tensor<?x2560xf32> -> tensor<?x640xf32>
  return
}

// -----

// Quantizing the same activations twice is one quantization (the ops are
// pure, so CSE merges them, and then the identical BitLinears); different
// inputs stay apart.
!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
// CSE-LABEL: func.func @quantize_once
// CSE-SAME: (%[[A:[^:]*]]: tensor<?x2560xf32>, %[[B:[^:]*]]: tensor<?x2560xf32>
// CSE: %[[QA:.*]] = trit.quantize %[[A]]
// CSE-NOT: trit.quantize %[[A]]
// CSE: %[[QB:.*]] = trit.quantize %[[B]]
// CSE: %[[YA:.*]] = trit.bitlinear %[[QA]]
// CSE-NOT: trit.bitlinear %[[QA]]
// CSE: %[[YB:.*]] = trit.bitlinear %[[QB]]
// CSE: return %[[YA]], %[[YA]], %[[YB]]
func.func @quantize_once(%a: tensor<?x2560xf32>, %b: tensor<?x2560xf32>, %w: !w, %s: tensor<f32>)
    -> (tensor<?x640xf32>, tensor<?x640xf32>, tensor<?x640xf32>) {
  %qa0 = trit.quantize %a : tensor<?x2560xf32> -> !trit.qact<?x2560>
  %qa1 = trit.quantize %a : tensor<?x2560xf32> -> !trit.qact<?x2560>
  %qb = trit.quantize %b : tensor<?x2560xf32> -> !trit.qact<?x2560>
  %0 = trit.bitlinear %qa0, %w, %s : !trit.qact<?x2560>, !w, tensor<f32> -> tensor<?x640xf32>
  %1 = trit.bitlinear %qa1, %w, %s : !trit.qact<?x2560>, !w, tensor<f32> -> tensor<?x640xf32>
  %2 = trit.bitlinear %qb, %w, %s : !trit.qact<?x2560>, !w, tensor<f32> -> tensor<?x640xf32>
  return %0, %1, %2 : tensor<?x640xf32>, tensor<?x640xf32>, tensor<?x640xf32>
}
