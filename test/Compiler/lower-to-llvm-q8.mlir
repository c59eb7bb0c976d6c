// RUN: trit-opt %s --trit-plan-memory=max-tokens=4 --trit-lower-to-llvm=lm-head=q8 | FileCheck %s
// RUN: not trit-opt %s --trit-plan-memory=max-tokens=4 --trit-lower-to-llvm=lm-head=q5 2>&1 | FileCheck %s --check-prefix=BAD

// lm-head=q8: the LM head reads an int8 copy of the table, a second
// weight-table entry of the same tensor in the q8_rows layout; the
// embedding still reads the f16 table.
// CHECK-LABEL: module attributes
// CHECK-SAME: trit.weights = [{layout = "f16", name = "table"}, {layout = "f32", name = "norm"}, {layout = "q8_rows", name = "table"}]
// CHECK: llvm.call @trit_op_embedding_f16_
// CHECK: %[[C2:.*]] = llvm.mlir.constant(2 : i64)
// CHECK: %[[Q8:.*]] = llvm.call @trit_op_weight_{{[a-z0-9_]+}}(%{{.*}}, %[[C2]])
// CHECK: llvm.call @trit_op_lm_head_q8_{{[a-z0-9_]+}}(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[Q8]],
// BAD: for the --lm-head option: unknown value 'q5'; expected auto, exact, q8, q4 or rerank
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2">} {
  trit.global @table : tensor<8x256xf16> = #trit.external<"m.gguf", "t">
  trit.global @norm : tensor<256xf32> = #trit.external<"m.gguf", "n">
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> {
    %t = trit.weight @table : tensor<8x256xf16>
    %g = trit.weight @norm : tensor<256xf32>
    %h = trit.embedding %t[%tokens] : tensor<8x256xf16>, tensor<?xi32> -> tensor<?x256xf32>
    %y = trit.rms_norm %h, %g eps 1.0e-05 : tensor<?x256xf32>, tensor<256xf32>
    %l = trit.lm_head %y, %t : tensor<?x256xf32>, tensor<8x256xf16> -> tensor<?x8xf32>
    return %l : tensor<?x8xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
}
