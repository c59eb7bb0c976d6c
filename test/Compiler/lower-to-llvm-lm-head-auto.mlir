// RUN: trit-opt %s --split-input-file --trit-plan-memory=max-tokens=4 --trit-lower-to-llvm --verify-diagnostics | FileCheck %s

// lm-head=auto (the default) reads a small float table as it is stored:
// reading 8 rows costs less than any copy.
// CHECK-LABEL: module attributes
// CHECK-SAME: trit.weights = [{layout = "f16", name = "table"}]
// CHECK-NOT: lm_head_rerank
// CHECK: llvm.call @trit_op_lm_head_{{avx2|generic}}
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver3", "+avx2,+f16c,+fma">} {
  trit.global @table : tensor<8x256xf16> = #trit.external<"m.gguf", "t">
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> {
    %t = trit.weight @table : tensor<8x256xf16>
    %h = trit.embedding %t[%tokens] : tensor<8x256xf16>, tensor<?xi32> -> tensor<?x256xf32>
    %l = trit.lm_head %h, %t : tensor<?x256xf32>, tensor<8x256xf16> -> tensor<?x8xf32>
    return %l : tensor<?x8xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
}

// -----

// A table of 16384 rows or more gets the checked reranking head: a ternary
// copy (here I2_S, as there are no BitLinears), margin 8.
// CHECK-LABEL: module attributes
// CHECK-SAME: trit.weights = [{layout = "f16", name = "table"}, {layout = "ternary_rows_i2_s", name = "table"}]
// CHECK: llvm.mlir.constant(8.000000e+00 : f32)
// CHECK-NEXT: llvm.call @trit_op_lm_head_rerank_
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver3", "+avx2,+f16c,+fma">} {
  trit.global @table : tensor<16384x256xf16> = #trit.external<"m.gguf", "t">
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x16384xf32> {
    %t = trit.weight @table : tensor<16384x256xf16>
    %h = trit.embedding %t[%tokens] : tensor<16384x256xf16>, tensor<?xi32> -> tensor<?x256xf32>
    %l = trit.lm_head %h, %t : tensor<?x256xf32>, tensor<16384x256xf16> -> tensor<?x16384xf32>
    return %l : tensor<?x16384xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x16384xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x16384xf32>
    return %r : tensor<?x16384xf32>
  }
}

// -----

// Rows the copy's packing cannot take (I2_S: a multiple of 128) keep the
// exact head, however large the table.
// CHECK-LABEL: module attributes
// CHECK-SAME: trit.weights = [{layout = "f16", name = "table"}]
// CHECK-NOT: lm_head_rerank
// CHECK: llvm.call @trit_op_lm_head_{{avx2|generic}}
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver3", "+avx2,+f16c,+fma">} {
  trit.global @table : tensor<16384x192xf16> = #trit.external<"m.gguf", "t">
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x16384xf32> {
    %t = trit.weight @table : tensor<16384x192xf16>
    %h = trit.embedding %t[%tokens] : tensor<16384x192xf16>, tensor<?xi32> -> tensor<?x192xf32>
    %l = trit.lm_head %h, %t : tensor<?x192xf32>, tensor<16384x192xf16> -> tensor<?x16384xf32>
    return %l : tensor<?x16384xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x16384xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x16384xf32>
    return %r : tensor<?x16384xf32>
  }
}
