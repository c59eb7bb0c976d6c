// RUN: trit-opt %s --trit-plan-memory=max-tokens=4 --trit-lower-to-llvm | FileCheck %s

// A T3X5 weight is stored in the t3x5 layout and its BitLinear runs through
// a range function of its own that calls the T3X5 range kernel; an I2_S
// weight of the same shape keeps the I2_S one.
// CHECK-LABEL: module attributes
// CHECK-SAME: trit.weights = [{layout = "f16", name = "table"}, {layout = "t3x5", name = "wa"}, {layout = "i2_s", name = "wb"}]
// CHECK: %[[RANGE_A:.*]] = llvm.mlir.addressof @trit.bitlinear.avx512vnni.t3x5.320x320
// CHECK: llvm.call @trit_op_bitlinear_avx512vnni(%{{.*}}, %[[RANGE_A]],
// CHECK: %[[RANGE_B:.*]] = llvm.mlir.addressof @trit.bitlinear.avx512vnni.320x320
// CHECK: llvm.call @trit_op_bitlinear_avx512vnni(%{{.*}}, %[[RANGE_B]],
// CHECK-LABEL: llvm.func internal @trit.bitlinear.avx512vnni.t3x5.320x320(
// CHECK: %[[COLS:.*]] = llvm.mlir.constant(320 : i64)
// CHECK: %[[ROWS:.*]] = llvm.mlir.constant(320 : i64)
// CHECK: llvm.call @trit_op_bitlinear_t3x5_range_avx512vnni(%{{.*}}, %[[COLS]], %[[ROWS]],
// CHECK-LABEL: llvm.func internal @trit.bitlinear.avx512vnni.320x320(
// CHECK: llvm.call @trit_op_bitlinear_range_avx512vnni(
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vl,+avx512vnni,+f16c,+fma">} {
  trit.global @table : tensor<8x320xf16> = #trit.external<"m.gguf", "t">
  trit.global @wa : tensor<320x320x!trit.ternary, #trit.packing<t3x5>> = #trit.external<"m.gguf", "wa">
  trit.global @wb : tensor<320x320x!trit.ternary, #trit.packing<i2_s, block = 64>> = #trit.external<"m.gguf", "wb">
  trit.global @s : tensor<f32> = dense<0.5> : tensor<f32>
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> {
    %t = trit.weight @table : tensor<8x320xf16>
    %wa = trit.weight @wa : tensor<320x320x!trit.ternary, #trit.packing<t3x5>>
    %wb = trit.weight @wb : tensor<320x320x!trit.ternary, #trit.packing<i2_s, block = 64>>
    %s = trit.weight @s : tensor<f32>
    %h = trit.embedding %t[%tokens] : tensor<8x320xf16>, tensor<?xi32> -> tensor<?x320xf32>
    %a = trit.fused_bitlinear %h weights(%wa : tensor<320x320x!trit.ternary, #trit.packing<t3x5>>) scales(%s : tensor<f32>) kernel avx512vnni : tensor<?x320xf32> -> tensor<?x320xf32>
    %b = trit.fused_bitlinear %a weights(%wb : tensor<320x320x!trit.ternary, #trit.packing<i2_s, block = 64>>) scales(%s : tensor<f32>) kernel avx512vnni : tensor<?x320xf32> -> tensor<?x320xf32>
    %l = trit.lm_head %b, %t : tensor<?x320xf32>, tensor<8x320xf16> -> tensor<?x8xf32>
    return %l : tensor<?x8xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
}
