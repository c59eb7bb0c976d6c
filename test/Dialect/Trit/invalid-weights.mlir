// Every verifier rule of trit.global and trit.weight, broken once.
// RUN: trit-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{'trit.global' op ternary weights must be external (#trit.external), not inline}}
trit.global @w : tensor<1x128x!trit.ternary> = dense<0> : tensor<1x128xi8>

// -----

// expected-error @+1 {{'trit.global' op initial value of type 'tensor<3xf32>' does not match the declared type 'tensor<4xf32>'}}
trit.global @n : tensor<4xf32> = dense<1.0> : tensor<3xf32>

// -----

// expected-error @+1 {{'trit.global' op a scale must have a float element type, got 'i32'}}
trit.global @s : tensor<i32> = #trit.external<"m.gguf", "w", scale>

// -----

// expected-error @+1 {{'trit.global' op attribute 'value' failed to satisfy constraint}}
trit.global @n : tensor<4xf32> = "model.gguf"

// -----

func.func @f() -> tensor<4xf32> {
  // expected-error @+1 {{'trit.weight' op '@missing' does not name a trit.global}}
  %0 = trit.weight @missing : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func private @not_a_global() -> ()
func.func @f() -> tensor<4xf32> {
  // expected-error @+1 {{'trit.weight' op '@not_a_global' does not name a trit.global}}
  %0 = trit.weight @not_a_global : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

trit.global @w : tensor<640x2560x!trit.ternary, #trit.packing<i2_s>> = #trit.external<"m.gguf", "w">
func.func @f() -> tensor<640x2560x!trit.ternary, #trit.packing<tq2_0>> {
  // expected-error @+1 {{'trit.weight' op result type 'tensor<640x2560x!trit.ternary, #trit.packing<tq2_0>>' does not match the type 'tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>' of @w}}
  %0 = trit.weight @w : tensor<640x2560x!trit.ternary, #trit.packing<tq2_0>>
  return %0 : tensor<640x2560x!trit.ternary, #trit.packing<tq2_0>>
}
