// RUN: trit-opt %s --trit-fuse-gating --split-input-file | FileCheck %s

!w = tensor<512x256x!trit.ternary, #trit.packing<i2_s>>

// CHECK-LABEL: func.func @relu2
// CHECK-SAME: (%[[H:[^:]*]]: tensor<?x256xf32>, %[[G:[^:]*]]: tensor<256xf32>, %[[WG:[^:]*]]: tensor<512x256x!trit.ternary, #i2_s>, %[[WU:[^:]*]]: tensor<512x256x!trit.ternary, #i2_s>, %[[SG:[^:]*]]: tensor<f32>, %[[SU:[^:]*]]: tensor<f32>)
// CHECK: %[[M:.*]] = trit.fused_bitlinear %[[H]] norm(%[[G]], eps 1.000000e-05 : tensor<256xf32>) weights(%[[WG]], %[[WU]] : {{.*}}) scales(%[[SG]], %[[SU]] : tensor<f32>, tensor<f32>) gate relu2 : tensor<?x256xf32> -> tensor<?x512xf32>
// CHECK-NOT: trit.gate
// CHECK: return %[[M]]
func.func @relu2(%h: tensor<?x256xf32>, %g: tensor<256xf32>, %wg: !w, %wu: !w, %sg: tensor<f32>, %su: tensor<f32>) -> tensor<?x512xf32> {
  %gate, %up = trit.fused_bitlinear %h norm(%g, eps 1.0e-5 : tensor<256xf32>) weights(%wg, %wu : !w, !w) scales(%sg, %su : tensor<f32>, tensor<f32>)
      : tensor<?x256xf32> -> tensor<?x512xf32>, tensor<?x512xf32>
  %m = trit.gate relu2 %gate, %up : tensor<?x512xf32>
  return %m : tensor<?x512xf32>
}

// -----

// The fused op's second result is the gate: the weights are reordered.
!w = tensor<512x256x!trit.ternary, #trit.packing<i2_s>>
// CHECK-LABEL: func.func @swapped_silu
// CHECK-SAME: %[[WA:[^:]*]]: tensor<512x256x!trit.ternary, #i2_s>, %[[WB:[^:]*]]: tensor<512x256x!trit.ternary, #i2_s>, %[[SA:[^:]*]]: tensor<f32>, %[[SB:[^:]*]]: tensor<f32>)
// CHECK: trit.fused_bitlinear %{{.*}} weights(%[[WB]], %[[WA]] : {{.*}}) scales(%[[SB]], %[[SA]] : tensor<f32>, tensor<f32>) gate silu
func.func @swapped_silu(%h: tensor<?x256xf32>, %wa: !w, %wb: !w, %sa: tensor<f32>, %sb: tensor<f32>) -> tensor<?x512xf32> {
  %a, %b = trit.fused_bitlinear %h weights(%wa, %wb : !w, !w) scales(%sa, %sb : tensor<f32>, tensor<f32>)
      : tensor<?x256xf32> -> tensor<?x512xf32>, tensor<?x512xf32>
  %m = trit.gate silu %b, %a : tensor<?x512xf32>
  return %m : tensor<?x512xf32>
}

// -----

// Negative: the up product is also used elsewhere, so it must be stored.
!w = tensor<512x256x!trit.ternary, #trit.packing<i2_s>>
// CHECK-LABEL: func.func @product_used_elsewhere
// CHECK: trit.fused_bitlinear
// CHECK-NOT: gate relu2 :
// CHECK: trit.gate relu2
func.func @product_used_elsewhere(%h: tensor<?x256xf32>, %w: !w, %s: tensor<f32>) -> (tensor<?x512xf32>, tensor<?x512xf32>) {
  %gate, %up = trit.fused_bitlinear %h weights(%w, %w : !w, !w) scales(%s, %s : tensor<f32>, tensor<f32>)
      : tensor<?x256xf32> -> tensor<?x512xf32>, tensor<?x512xf32>
  %m = trit.gate relu2 %gate, %up : tensor<?x512xf32>
  return %m, %up : tensor<?x512xf32>, tensor<?x512xf32>
}

// -----

// Negative: gate and up come from different ops.
!w = tensor<512x256x!trit.ternary, #trit.packing<i2_s>>
// CHECK-LABEL: func.func @different_producers
// CHECK: trit.gate relu2
func.func @different_producers(%h: tensor<?x256xf32>, %w: !w, %s: tensor<f32>, %up: tensor<?x512xf32>) -> tensor<?x512xf32> {
  %gate = trit.fused_bitlinear %h weights(%w : !w) scales(%s : tensor<f32>) : tensor<?x256xf32> -> tensor<?x512xf32>
  %m = trit.gate relu2 %gate, %up : tensor<?x512xf32>
  return %m : tensor<?x512xf32>
}

// -----

// Negative: the same product as gate and up.
!w = tensor<512x256x!trit.ternary, #trit.packing<i2_s>>
// CHECK-LABEL: func.func @same_product_twice
// CHECK: trit.gate relu2
func.func @same_product_twice(%h: tensor<?x256xf32>, %w: !w, %s: tensor<f32>) -> tensor<?x512xf32> {
  %a, %b = trit.fused_bitlinear %h weights(%w, %w : !w, !w) scales(%s, %s : tensor<f32>, tensor<f32>)
      : tensor<?x256xf32> -> tensor<?x512xf32>, tensor<?x512xf32>
  %m = trit.gate relu2 %a, %a : tensor<?x512xf32>
  %n = trit.add %m, %b : tensor<?x512xf32>
  return %n : tensor<?x512xf32>
}
