// RUN: trit-opt %s --trit-plan-memory=max-tokens=4 --trit-lower-to-llvm | FileCheck %s

// Group-scaled ternary (Ternary Bonsai): T2G weights enter the weight
// table without their block scales (which the layout holds); Q8_0
// activations, the t2g BitLinear range of the weight's block, the ternary
// embedding and LM head, and a per-head RMSNorm over rows of its width.
// CHECK-LABEL: module attributes
// CHECK-SAME: trit.weights = [{layout = "t2g64_x16", name = "table"}, {layout = "t2g128_x16", name = "wq"}, {layout = "f32", name = "qn"}]
// CHECK: llvm.call @trit_op_embedding_t2g_avx2(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, !llvm.ptr, i64, i64, i64, !llvm.ptr) -> ()
// CHECK: llvm.call @trit_op_norm_quantize_q8_0_avx2(
// CHECK: %[[RANGE:.*]] = llvm.mlir.addressof @trit.bitlinear.avx2.t2g128.384x256
// CHECK: llvm.call @trit_op_bitlinear_avx2(%{{.*}}, %[[RANGE]],
// The QK-norm: 4 heads of 96, so 4 rows per token of 96 columns.
// CHECK: %[[HEADS:.*]] = llvm.mlir.constant(4 : i64)
// CHECK: %[[ROWS:.*]] = llvm.mul %{{.*}}, %[[HEADS]]
// CHECK: %[[WIDTH:.*]] = llvm.mlir.constant(96 : i64)
// CHECK: llvm.call @trit_op_rms_norm_avx2(%{{.*}}, %{{.*}}, %{{.*}}, %[[ROWS]], %[[WIDTH]],
// CHECK: %[[HEAD:.*]] = llvm.mlir.addressof @trit.bitlinear.avx2.t2g64.500x256
// CHECK: llvm.call @trit_op_lm_head_t2g_avx2(%{{.*}}, %[[HEAD]],
// CHECK-LABEL: llvm.func internal @trit.bitlinear.avx2.t2g128.384x256(
// CHECK: llvm.call @trit_op_bitlinear_t2g128_range_avx2(
// CHECK-LABEL: llvm.func internal @trit.bitlinear.avx2.t2g64.500x256(
// CHECK: llvm.call @trit_op_bitlinear_t2g64_range_avx2(
!table = tensor<500x256x!trit.ternary, #trit.packing<t2g, block = 64, interleave = 16>>
!wq = tensor<384x256x!trit.ternary, #trit.packing<t2g, block = 128, interleave = 16>>
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver3", "+avx2,+f16c,+fma">} {
  trit.global @table : !table = #trit.external<"m.gguf", "t">
  trit.global @table.scale : tensor<500x4xf16> = #trit.external<"m.gguf", "t", scale>
  trit.global @wq : !wq = #trit.external<"m.gguf", "q">
  trit.global @wq.scale : tensor<384x2xf16> = #trit.external<"m.gguf", "q", scale>
  trit.global @qn : tensor<96xf32> = #trit.external<"m.gguf", "qn">
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x500xf32> {
    %t = trit.weight @table : !table
    %ts = trit.weight @table.scale : tensor<500x4xf16>
    %h = trit.embedding %t[%tokens] scales %ts : tensor<500x4xf16> : !table, tensor<?xi32> -> tensor<?x256xf32>
    %qa = trit.quantize %h : tensor<?x256xf32> -> !trit.qact<?x256, block = 32>
    %wq = trit.weight @wq : !wq
    %sq = trit.weight @wq.scale : tensor<384x2xf16>
    %q = trit.bitlinear %qa, %wq, %sq kernel avx2 : !trit.qact<?x256, block = 32>, !wq, tensor<384x2xf16> -> tensor<?x384xf32>
    %qn = trit.weight @qn : tensor<96xf32>
    %n = trit.rms_norm %q, %qn eps 1.0e-6 : tensor<?x384xf32>, tensor<96xf32>
    %l = trit.lm_head %h, %t scales %ts : tensor<500x4xf16> : tensor<?x256xf32>, !table -> tensor<?x500xf32>
    return %l : tensor<?x500xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x500xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x500xf32>
    return %r : tensor<?x500xf32>
  }
}
