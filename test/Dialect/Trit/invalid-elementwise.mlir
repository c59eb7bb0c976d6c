// Every verifier rule of trit.gate, trit.add and trit.mul, broken once.
// RUN: trit-opt %s -split-input-file -verify-diagnostics

func.func @f(%g: tensor<?x6912xf32>, %u: tensor<?x2560xf32>) {
  // expected-error @+1 {{'trit.gate' op requires the same type for all operands and results}}
  %0 = "trit.gate"(%g, %u) <{kind = 0 : i32}> : (tensor<?x6912xf32>, tensor<?x2560xf32>) -> tensor<?x6912xf32>
  return
}

// -----

func.func @f(%g: tensor<?x6912xf32>) {
  // expected-error @+1 {{custom op 'trit.gate' expected string or keyword containing one of the following enum values for attribute 'kind' [relu2, silu]}}
  %0 = trit.gate gelu %g, %g : tensor<?x6912xf32>
  return
}

// -----

func.func @f(%a: tensor<?x2560xf32>, %b: tensor<?x640xf32>) {
  // expected-error @+1 {{'trit.add' op requires the same type for all operands and results}}
  %0 = "trit.add"(%a, %b) : (tensor<?x2560xf32>, tensor<?x640xf32>) -> tensor<?x2560xf32>
  return
}

// -----

func.func @f(%a: tensor<4xi32>) {
  // expected-error @+1 {{'trit.mul' op operand #0 must be tensor of 32-bit float values}}
  %0 = trit.mul %a, %a : tensor<4xi32>
  return
}
