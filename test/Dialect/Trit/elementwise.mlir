// Gating, residual adds and multiplies.
// RUN: trit-opt %s | trit-opt | FileCheck %s
// RUN: trit-opt %s --mlir-print-op-generic | trit-opt | FileCheck %s

// CHECK-LABEL: func.func @gates
func.func @gates(%g: tensor<?x6912xf32>, %u: tensor<?x6912xf32>) -> (tensor<?x6912xf32>, tensor<?x6912xf32>) {
  // CHECK: trit.gate relu2 %{{.*}}, %{{.*}} : tensor<?x6912xf32>
  %0 = trit.gate relu2 %g, %u : tensor<?x6912xf32>
  // CHECK: trit.gate silu %{{.*}}, %{{.*}} : tensor<?x6912xf32>
  %1 = trit.gate silu %g, %u : tensor<?x6912xf32>
  return %0, %1 : tensor<?x6912xf32>, tensor<?x6912xf32>
}

// CHECK-LABEL: func.func @residual
func.func @residual(%h: tensor<?x2560xf32>, %o: tensor<?x2560xf32>, %w: tensor<2560xf32>) -> (tensor<?x2560xf32>, tensor<2560xf32>) {
  // CHECK: trit.add %{{.*}}, %{{.*}} : tensor<?x2560xf32>
  %0 = trit.add %h, %o : tensor<?x2560xf32>
  // CHECK: trit.mul %{{.*}}, %{{.*}} : tensor<2560xf32>
  %1 = trit.mul %w, %w : tensor<2560xf32>
  return %0, %1 : tensor<?x2560xf32>, tensor<2560xf32>
}
