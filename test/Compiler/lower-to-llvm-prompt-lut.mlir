// RUN: trit-opt %s --split-input-file --trit-plan-memory=max-tokens=4 --trit-lower-to-llvm=prompt-lut --verify-diagnostics | FileCheck %s

// With prompt-lut, a T3X5 BitLinear's range function calls the lookup-table
// range kernel (which takes the exact tiles itself for calls of fewer than
// 8 tokens); its name says so. An I2_S BitLinear of the same module keeps
// the exact range kernel. The module records nothing more: the artifact
// records the compile options (tritc), not the lowering.
// CHECK-LABEL: module attributes
// CHECK-NOT: trit.prompt_lut
// CHECK: %[[RANGE:.*]] = llvm.mlir.addressof @trit.bitlinear.avx512vnni.t3x5lut.320x320
// CHECK: llvm.call @trit_op_bitlinear_avx512vnni(%{{.*}}, %[[RANGE]],
// CHECK: %[[EXACT:.*]] = llvm.mlir.addressof @trit.bitlinear.avx512vnni.320x320
// CHECK: llvm.call @trit_op_bitlinear_avx512vnni(%{{.*}}, %[[EXACT]],
// CHECK-LABEL: llvm.func internal @trit.bitlinear.avx512vnni.t3x5lut.320x320(
// CHECK: %[[COLS:.*]] = llvm.mlir.constant(320 : i64)
// CHECK: %[[ROWS:.*]] = llvm.mlir.constant(320 : i64)
// CHECK: llvm.call @trit_op_bitlinear_t3x5_lut_range_avx512vnni(%{{.*}}, %[[COLS]], %[[ROWS]],
// CHECK-LABEL: llvm.func internal @trit.bitlinear.avx512vnni.320x320(
// CHECK: llvm.call @trit_op_bitlinear_range_avx512vnni(
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vbmi,+avx512vl,+avx512vnni,+f16c,+fma">} {
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

// -----

// T3X5 with rows in lanes has its own lookup-table range kernel.
// CHECK-LABEL: module attributes
// CHECK: llvm.mlir.addressof @trit.bitlinear.avx512vnni.t3x5x64lut.320x320
// CHECK-LABEL: llvm.func internal @trit.bitlinear.avx512vnni.t3x5x64lut.320x320(
// CHECK: llvm.call @trit_op_bitlinear_t3x5x64_lut_range_avx512vnni(
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vbmi,+avx512vl,+avx512vnni,+f16c,+fma">} {
  trit.global @table : tensor<8x320xf16> = #trit.external<"m.gguf", "t">
  trit.global @wa : tensor<320x320x!trit.ternary, #trit.packing<t3x5, interleave = 64>> = #trit.external<"m.gguf", "wa">
  trit.global @s : tensor<f32> = dense<0.5> : tensor<f32>
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> {
    %t = trit.weight @table : tensor<8x320xf16>
    %wa = trit.weight @wa : tensor<320x320x!trit.ternary, #trit.packing<t3x5, interleave = 64>>
    %s = trit.weight @s : tensor<f32>
    %h = trit.embedding %t[%tokens] : tensor<8x320xf16>, tensor<?xi32> -> tensor<?x320xf32>
    %a = trit.fused_bitlinear %h weights(%wa : tensor<320x320x!trit.ternary, #trit.packing<t3x5, interleave = 64>>) scales(%s : tensor<f32>) kernel avx512vnni : tensor<?x320xf32> -> tensor<?x320xf32>
    %l = trit.lm_head %a, %t : tensor<?x320xf32>, tensor<8x320xf16> -> tensor<?x8xf32>
    return %l : tensor<?x8xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
}

// -----

// A target without AVX-512 VBMI cannot look the tables up.
// expected-error @+1 {{prompt-lut needs AVX-512 VBMI, which target CPU 'cascadelake' lacks}}
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "cascadelake", "+avx2,+avx512bw,+avx512f,+avx512vl,+avx512vnni,+f16c,+fma">} {
  trit.global @table : tensor<8x320xf16> = #trit.external<"m.gguf", "t">
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> attributes {trit.entry_point = "prefill"} {
    %t = trit.weight @table : tensor<8x320xf16>
    %h = trit.embedding %t[%tokens] : tensor<8x320xf16>, tensor<?xi32> -> tensor<?x320xf32>
    %l = trit.lm_head %h, %t : tensor<?x320xf32>, tensor<8x320xf16> -> tensor<?x8xf32>
    return %l : tensor<?x8xf32>
  }
}

// -----

// The tables are built for T3X5 weights only: a module without any is an
// error (one with some takes the others through the exact kernels).
// expected-error @+1 {{prompt-lut has no BitLinear to take: it needs T3X5 weights and the avx512vnni kernel family}}
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vbmi,+avx512vl,+avx512vnni,+f16c,+fma">} {
  trit.global @table : tensor<8x320xf16> = #trit.external<"m.gguf", "t">
  trit.global @wb : tensor<320x320x!trit.ternary, #trit.packing<i2_s, block = 64>> = #trit.external<"m.gguf", "wb">
  trit.global @s : tensor<f32> = dense<0.5> : tensor<f32>
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> attributes {trit.entry_point = "prefill"} {
    %t = trit.weight @table : tensor<8x320xf16>
    %wb = trit.weight @wb : tensor<320x320x!trit.ternary, #trit.packing<i2_s, block = 64>>
    %s = trit.weight @s : tensor<f32>
    %h = trit.embedding %t[%tokens] : tensor<8x320xf16>, tensor<?xi32> -> tensor<?x320xf32>
    %b = trit.fused_bitlinear %h weights(%wb : tensor<320x320x!trit.ternary, #trit.packing<i2_s, block = 64>>) scales(%s : tensor<f32>) kernel avx512vnni : tensor<?x320xf32> -> tensor<?x320xf32>
    %l = trit.lm_head %b, %t : tensor<?x320xf32>, tensor<8x320xf16> -> tensor<?x8xf32>
    return %l : tensor<?x8xf32>
  }
}
