// RUN: trit-opt %s --trit-plan-memory=max-tokens=4 --trit-lower-to-llvm=norm-codegen=vector | FileCheck %s

// norm-codegen=vector: the RMSNorm becomes a generated function of
// scf/arith/vector ops on 16 lanes instead of a kernel call.
// CHECK-LABEL: llvm.func internal @trit.forward(
// CHECK: llvm.call @trit.rms_norm.vector.256(
// CHECK-LABEL: llvm.func internal @trit.rms_norm.vector.256(
// CHECK: scf.for
// CHECK: llvm.load {{.*}} -> vector<16xf32>
// CHECK: arith.extf {{.*}} : vector<16xf32> to vector<16xf64>
// CHECK: vector.reduction <add>, {{.*}} : vector<16xf64> into f64
// CHECK: vector.broadcast
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2">} {
  trit.global @table : tensor<8x256xf32> = #trit.external<"m.gguf", "t">
  trit.global @norm : tensor<256xf32> = #trit.external<"m.gguf", "n">
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x256xf32> {
    %t = trit.weight @table : tensor<8x256xf32>
    %g = trit.weight @norm : tensor<256xf32>
    %h = trit.embedding %t[%tokens] : tensor<8x256xf32>, tensor<?xi32> -> tensor<?x256xf32>
    %y = trit.rms_norm %h, %g eps 1.0e-05 : tensor<?x256xf32>, tensor<256xf32>
    return %y : tensor<?x256xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x256xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x256xf32>
    return %r : tensor<?x256xf32>
  }
}
