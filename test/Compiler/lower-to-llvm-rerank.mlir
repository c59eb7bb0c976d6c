// RUN: trit-opt %s --split-input-file --trit-plan-memory=max-tokens=4 --trit-lower-to-llvm=lm-head=rerank --verify-diagnostics | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-plan-memory=max-tokens=4 --trit-lower-to-llvm="lm-head=rerank rerank-candidates=16 rerank-margin=0" --verify-diagnostics | FileCheck %s --check-prefix=SIXTEEN
// RUN: not trit-opt %s --split-input-file --trit-plan-memory=max-tokens=4 --trit-lower-to-llvm="lm-head=rerank rerank-margin=-1" 2>&1 | FileCheck %s --check-prefix=BAD-MARGIN

// lm-head=rerank: the LM head estimates every logit from a ternary copy of
// the table (a third weight-table entry of the same tensor, packed I2_S
// like the module's ternary weights, here none), then recomputes the best
// 1024 rows from the f16 table, and every other row within 8 standard
// deviations of its estimate's error of them (operands: the copy, I2_S,
// the exact table, f16, vocab, candidates, margin).
// CHECK-LABEL: module attributes
// CHECK-SAME: trit.weights = [{layout = "f16", name = "table"}, {layout = "f32", name = "norm"}, {layout = "ternary_rows_i2_s", name = "table"}]
// CHECK: %[[TABLE:.*]] = llvm.call @trit_op_weight_{{[a-z0-9_]+}}(%{{.*}}, %{{.*}}) : (!llvm.ptr, i64) -> !llvm.ptr
// CHECK: llvm.call @trit_op_embedding_f16_
// CHECK: %[[C2:.*]] = llvm.mlir.constant(2 : i64)
// CHECK: %[[COPY:.*]] = llvm.call @trit_op_weight_{{[a-z0-9_]+}}(%{{.*}}, %[[C2]])
// CHECK: %[[I2S:.*]] = llvm.mlir.constant(0 : i32)
// CHECK: %[[F16:.*]] = llvm.mlir.constant(1 : i32)
// CHECK: %[[VOCAB:.*]] = llvm.mlir.constant(8 : i64)
// CHECK: %[[K:.*]] = llvm.mlir.constant(1024 : i64)
// CHECK: %[[MARGIN:.*]] = llvm.mlir.constant(8.000000e+00 : f32)
// CHECK: llvm.call @trit_op_lm_head_rerank_{{[a-z0-9_]+}}(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[COPY]], %[[I2S]], %[[TABLE]], %[[F16]], %[[VOCAB]], %[[K]], %[[MARGIN]],
// SIXTEEN-LABEL: module attributes
// SIXTEEN-NOT: rerank_rows
// SIXTEEN: llvm.mlir.constant(16 : i64)
// SIXTEEN-NEXT: llvm.mlir.constant(0.000000e+00 : f32)
// SIXTEEN-NEXT: llvm.call @trit_op_lm_head_rerank_
// BAD-MARGIN: rerank-margin is -1; expected 0 to 1000
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

// -----

// With T3X5 BitLinears the ternary copy is T3X5 too (t3x5 operand 1).
// CHECK-LABEL: module attributes
// CHECK-SAME: {layout = "ternary_rows_t3x5", name = "table"}
// CHECK: %[[T3X5:.*]] = llvm.mlir.constant(1 : i32)
// CHECK: llvm.call @trit_op_lm_head_rerank_{{[a-z0-9_]+}}(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[T3X5]],
// SIXTEEN-LABEL: module attributes
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vl,+avx512vnni,+f16c,+fma">} {
  trit.global @table : tensor<8x192xf16> = #trit.external<"m.gguf", "t">
  trit.global @w : tensor<192x192x!trit.ternary, #trit.packing<t3x5>> = #trit.external<"m.gguf", "w">
  trit.global @s : tensor<f32> = dense<0.5> : tensor<f32>
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> {
    %t = trit.weight @table : tensor<8x192xf16>
    %w = trit.weight @w : tensor<192x192x!trit.ternary, #trit.packing<t3x5>>
    %s = trit.weight @s : tensor<f32>
    %h = trit.embedding %t[%tokens] : tensor<8x192xf16>, tensor<?xi32> -> tensor<?x192xf32>
    %a = trit.fused_bitlinear %h weights(%w : tensor<192x192x!trit.ternary, #trit.packing<t3x5>>) scales(%s : tensor<f32>) kernel avx512vnni : tensor<?x192xf32> -> tensor<?x192xf32>
    %l = trit.lm_head %a, %t : tensor<?x192xf32>, tensor<8x192xf16> -> tensor<?x8xf32>
    return %l : tensor<?x8xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
}

// -----

// With T3X5 BitLinears in lanes the copy has rows in lanes too (operand 3).
// CHECK-LABEL: module attributes
// CHECK-SAME: {layout = "ternary_rows_t3x5_x64", name = "table"}
// CHECK: %[[LANES:.*]] = llvm.mlir.constant(3 : i32)
// CHECK: llvm.call @trit_op_lm_head_rerank_{{[a-z0-9_]+}}(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[LANES]],
// SIXTEEN-LABEL: module attributes
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vbmi,+avx512vl,+avx512vnni,+f16c,+fma">} {
  trit.global @table : tensor<8x192xf16> = #trit.external<"m.gguf", "t">
  trit.global @w : tensor<192x192x!trit.ternary, #trit.packing<t3x5, interleave = 64>> = #trit.external<"m.gguf", "w">
  trit.global @s : tensor<f32> = dense<0.5> : tensor<f32>
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> {
    %t = trit.weight @table : tensor<8x192xf16>
    %w = trit.weight @w : tensor<192x192x!trit.ternary, #trit.packing<t3x5, interleave = 64>>
    %s = trit.weight @s : tensor<f32>
    %h = trit.embedding %t[%tokens] : tensor<8x192xf16>, tensor<?xi32> -> tensor<?x192xf32>
    %a = trit.fused_bitlinear %h weights(%w : tensor<192x192x!trit.ternary, #trit.packing<t3x5, interleave = 64>>) scales(%s : tensor<f32>) kernel avx512vnni : tensor<?x192xf32> -> tensor<?x192xf32>
    %l = trit.lm_head %a, %t : tensor<?x192xf32>, tensor<8x192xf16> -> tensor<?x8xf32>
    return %l : tensor<?x8xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
}

// -----

// The I2_S copy needs rows of a multiple of 128 weights.
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2">} {
  trit.global @table : tensor<8x192xf16> = #trit.external<"m.gguf", "t">
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> {
    %t = trit.weight @table : tensor<8x192xf16>
    %h = trit.embedding %t[%tokens] : tensor<8x192xf16>, tensor<?xi32> -> tensor<?x192xf32>
    // expected-error @+1 {{has rows of 192 elements; lm-head=rerank needs a multiple of 128}}
    %l = trit.lm_head %h, %t : tensor<?x192xf32>, tensor<8x192xf16> -> tensor<?x8xf32>
    return %l : tensor<?x8xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
}
