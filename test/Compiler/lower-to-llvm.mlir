// RUN: trit-opt %s --split-input-file --trit-plan-memory=max-tokens=4 --trit-lower-to-llvm --verify-diagnostics | FileCheck %s

// A whole (one-layer, attention-free) model: embedding, a fused BitLinear
// with its norm, the final norm and the LM head. Weights become indices
// into the context's weight table, the inline scale a constant, each op a
// kernel call with constant shapes; the BitLinear's rows go to the runtime's
// parallel_for through a range function made for its kernel and shape.
// CHECK-LABEL: module attributes
// CHECK-SAME: trit.kernel_isas = ["generic", "avx512vnni"]
// CHECK-SAME: trit.memory_plan = {arena_size = {{[0-9]+}} : i64, max_context = 16 : i64, max_tokens = 4 : i64}
// CHECK-SAME: trit.weights = [{layout = "f16", name = "table"}, {layout = "f32", name = "norm"}, {layout = "i2_s", name = "wq"}]
// CHECK-NOT: trit.global
// CHECK-LABEL: llvm.func internal @trit.forward(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %[[TOKENS:.*]]: !llvm.ptr, %[[N:.*]]: i64, %[[START:.*]]: i64, %[[LOGITS:.*]]: !llvm.ptr, %[[ROWS:.*]]: i64)
// CHECK: %[[ARENA:.*]] = llvm.call @trit_op_arena_avx512vnni
// CHECK: %[[C0:.*]] = llvm.mlir.constant(0 : i64)
// CHECK: %[[TABLE:.*]] = llvm.call @trit_op_weight_avx512vnni(%{{.*}}, %[[C0]])
// CHECK: %[[SCALE:.*]] = llvm.mlir.constant(5.000000e-01 : f32)
// CHECK: %[[H:.*]] = llvm.getelementptr %[[ARENA]]
// CHECK: %[[DIM:.*]] = llvm.mlir.constant(256 : i64)
// CHECK: llvm.call @trit_op_embedding_f16_avx512vnni(%[[TABLE]], %[[TOKENS]], %[[N]], %[[DIM]], %[[H]])
// CHECK: llvm.call @trit_op_norm_quantize_avx512vnni(%{{[^,]+}}, %[[H]],
// CHECK: %[[RANGE:.*]] = llvm.mlir.addressof @trit.bitlinear.avx512vnni.128x256
// CHECK: llvm.call @trit_op_bitlinear_avx512vnni(%{{.*}}, %[[RANGE]], %{{.*}}, %[[SCALE]],
// CHECK: llvm.call @trit_op_rms_norm_avx512vnni
// The LM head runs for the caller's last logit_rows positions only: its
// input starts (n - rows) rows in.
// CHECK: %[[SKIP:.*]] = llvm.sub %[[N]], %[[ROWS]]
// CHECK: %[[BYTES:.*]] = llvm.mul %[[SKIP]], %{{.*}}
// CHECK: %[[LAST:.*]] = llvm.getelementptr %{{.*}}[%[[BYTES]]]
// CHECK: llvm.call @trit_op_lm_head_avx512vnni(%{{.*}}, %[[LAST]], %[[ROWS]], {{.*}}, %[[LOGITS]])
// CHECK: llvm.return
// CHECK-LABEL: llvm.func internal @trit.bitlinear.avx512vnni.128x256(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK: %[[COLS:.*]] = llvm.mlir.constant(256 : i64)
// CHECK: %[[ROWS:.*]] = llvm.mlir.constant(128 : i64)
// CHECK: llvm.call @trit_op_bitlinear_range_avx512vnni(%{{.*}}, %[[COLS]], %[[ROWS]],
// The entry points check their inputs (at most 4 tokens per prefill, 1 per
// decode; logit rows in [1, n]; context 16; vocabulary 8) and return the
// status.
// CHECK-LABEL: llvm.func @trit_prefill(
// CHECK-DAG: %[[MAXN:.*]] = llvm.mlir.constant(4 : i64)
// CHECK-DAG: %[[CTX:.*]] = llvm.mlir.constant(16 : i64)
// CHECK-DAG: %[[VOCAB:.*]] = llvm.mlir.constant(8 : i64)
// CHECK: %[[STATUS:.*]] = llvm.call @trit_op_check_inputs_avx512vnni(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[MAXN]], %[[CTX]], %[[VOCAB]])
// CHECK: llvm.cond_br
// CHECK: llvm.call @trit.forward
// CHECK-LABEL: llvm.func @trit_decode(
// CHECK: llvm.mlir.constant(1 : i64)
!cache = !trit.kv_cache<layers = 1, kv_heads = 2, head_dim = 64, element_type = f16>
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vl,+avx512vnni,+f16c,+fma">} {
  trit.global @table : tensor<8x256xf16> = #trit.external<"m.gguf", "token_embd.weight">
  trit.global @norm : tensor<256xf32> = #trit.external<"m.gguf", "norm">
  trit.global @wq : tensor<128x256x!trit.ternary, #trit.packing<i2_s>> = #trit.external<"m.gguf", "wq">
  trit.global @wq.scale : tensor<f32> = dense<0.5> : tensor<f32>
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index, %cache: !cache) -> (tensor<?x8xf32>, !cache) {
    %t = trit.weight @table : tensor<8x256xf16>
    %g = trit.weight @norm : tensor<256xf32>
    %w = trit.weight @wq : tensor<128x256x!trit.ternary, #trit.packing<i2_s>>
    %s = trit.weight @wq.scale : tensor<f32>
    %h = trit.embedding %t[%tokens] : tensor<8x256xf16>, tensor<?xi32> -> tensor<?x256xf32>
    %q = trit.fused_bitlinear %h norm(%g, eps 1.0e-05 : tensor<256xf32>) weights(%w : tensor<128x256x!trit.ternary, #trit.packing<i2_s>>) scales(%s : tensor<f32>) kernel avx512vnni : tensor<?x256xf32> -> tensor<?x128xf32>
    %y = trit.rms_norm %h, %g eps 1.0e-05 : tensor<?x256xf32>, tensor<256xf32>
    %l = trit.lm_head %y, %t : tensor<?x256xf32>, tensor<8x256xf16> -> tensor<?x8xf32>
    return %l, %cache : tensor<?x8xf32>, !cache
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index, %cache: !cache) -> (tensor<?x8xf32>, !cache) attributes {trit.entry_point = "prefill"} {
    %r:2 = call @forward(%tokens, %pos, %cache) : (tensor<?xi32>, index, !cache) -> (tensor<?x8xf32>, !cache)
    return %r#0, %r#1 : tensor<?x8xf32>, !cache
  }
  func.func @decode(%tokens: tensor<1xi32>, %pos: index, %cache: !cache) -> (tensor<?x8xf32>, !cache) attributes {trit.entry_point = "decode"} {
    %c = tensor.cast %tokens : tensor<1xi32> to tensor<?xi32>
    %r:2 = call @forward(%c, %pos, %cache) : (tensor<?xi32>, index, !cache) -> (tensor<?x8xf32>, !cache)
    return %r#0, %r#1 : tensor<?x8xf32>, !cache
  }
}

// -----

// The BitLinear kernels must have been chosen.
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2">} {
  trit.global @table : tensor<8x256xf32> = #trit.external<"m.gguf", "t">
  trit.global @wq : tensor<128x256x!trit.ternary, #trit.packing<i2_s>> = #trit.external<"m.gguf", "wq">
  trit.global @wq.scale : tensor<f32> = dense<0.5> : tensor<f32>
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x128xf32> {
    %t = trit.weight @table : tensor<8x256xf32>
    %s = trit.weight @wq.scale : tensor<f32>
    %w = trit.weight @wq : tensor<128x256x!trit.ternary, #trit.packing<i2_s>>
    %h = trit.embedding %t[%tokens] : tensor<8x256xf32>, tensor<?xi32> -> tensor<?x256xf32>
    // expected-error @+1 {{'trit.fused_bitlinear' op has no kernel; run trit-select-kernels first}}
    %q = trit.fused_bitlinear %h weights(%w : tensor<128x256x!trit.ternary, #trit.packing<i2_s>>) scales(%s : tensor<f32>) : tensor<?x256xf32> -> tensor<?x128xf32>
    return %q : tensor<?x128xf32>
  }
}

// -----

// The runtime provides one RoPE table: every rope must agree on it.
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2">} {
  trit.global @table : tensor<8x256xf32> = #trit.external<"m.gguf", "t">
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x256xf32> {
    %t = trit.weight @table : tensor<8x256xf32>
    %h = trit.embedding %t[%tokens] : tensor<8x256xf32>, tensor<?xi32> -> tensor<?x256xf32>
    %a = trit.rope neox %h at %pos head_dim 64 theta 1.0e+04 : tensor<?x256xf32>
    // expected-error @+1 {{'trit.rope' op uses head_dim 64 and theta 5.000000e+05, but the runtime provides one RoPE table and an earlier rope uses head_dim 64 and theta 1.000000e+04}}
    %b = trit.rope neox %a at %pos head_dim 64 theta 5.0e+05 : tensor<?x256xf32>
    return %b : tensor<?x256xf32>
  }
}

// -----

// Entry points must call the model function.
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2">} {
  trit.global @table : tensor<8x256xf32> = #trit.external<"m.gguf", "t">
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x256xf32> {
    %t = trit.weight @table : tensor<8x256xf32>
    %h = trit.embedding %t[%tokens] : tensor<8x256xf32>, tensor<?xi32> -> tensor<?x256xf32>
    return %h : tensor<?x256xf32>
  }
  // expected-error @+1 {{'func.func' op is an entry point that does not call the model function @forward}}
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x256xf32> attributes {trit.entry_point = "prefill"} {
    %c = arith.constant dense<0.0> : tensor<4x256xf32>
    %d = tensor.cast %c : tensor<4x256xf32> to tensor<?x256xf32>
    return %d : tensor<?x256xf32>
  }
}

// -----

// expected-error @+1 {{has no trit.target attribute; tritc sets it from --target-cpu}}
module attributes {trit.model = {context_length = 16 : i64}} {
}


// -----

// A fused op's two or three weights share one parallel range over their
// rows end to end (one wait for the threads per op): q/k/v fill the three
// slots, the gated pair two and a null third.
// CHECK-LABEL: module attributes
// CHECK: %[[Q:.*]] = llvm.mlir.addressof @trit.bitlinear.avx512vnni.256x256
// CHECK: %[[K:.*]] = llvm.mlir.addressof @trit.bitlinear.avx512vnni.128x256
// CHECK: %[[V:.*]] = llvm.mlir.addressof @trit.bitlinear.avx512vnni.128x256
// CHECK: llvm.call @trit_op_bitlinear_fused_avx512vnni(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[Q]], {{.*}}, %[[K]], {{.*}}, %[[V]],
// CHECK: %[[GATE:.*]] = llvm.mlir.addressof @trit.bitlinear.avx512vnni.512x256
// CHECK: %[[UP:.*]] = llvm.mlir.addressof @trit.bitlinear.avx512vnni.512x256
// CHECK: %[[NONE:.*]] = llvm.mlir.zero : !llvm.ptr
// CHECK: llvm.call @trit_op_bitlinear_fused_avx512vnni(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[GATE]], {{.*}}, %[[UP]], {{.*}}, %[[NONE]],
// CHECK: llvm.call @trit_op_gate_avx512vnni
// CHECK-NOT: llvm.call @trit_op_bitlinear_avx512vnni(
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512bw,+avx512f,+avx512vl,+avx512vnni,+f16c,+fma">} {
  trit.global @table : tensor<8x256xf16> = #trit.external<"m.gguf", "token_embd.weight">
  trit.global @wq : tensor<256x256x!trit.ternary, #trit.packing<i2_s>> = #trit.external<"m.gguf", "wq">
  trit.global @wk : tensor<128x256x!trit.ternary, #trit.packing<i2_s>> = #trit.external<"m.gguf", "wk">
  trit.global @wg : tensor<512x256x!trit.ternary, #trit.packing<i2_s>> = #trit.external<"m.gguf", "wg">
  trit.global @s : tensor<f32> = dense<0.5> : tensor<f32>
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> {
    %t = trit.weight @table : tensor<8x256xf16>
    %wq = trit.weight @wq : tensor<256x256x!trit.ternary, #trit.packing<i2_s>>
    %wk = trit.weight @wk : tensor<128x256x!trit.ternary, #trit.packing<i2_s>>
    %wg = trit.weight @wg : tensor<512x256x!trit.ternary, #trit.packing<i2_s>>
    %s = trit.weight @s : tensor<f32>
    %h = trit.embedding %t[%tokens] : tensor<8x256xf16>, tensor<?xi32> -> tensor<?x256xf32>
    %qkv:3 = trit.fused_bitlinear %h weights(%wq, %wk, %wk : tensor<256x256x!trit.ternary, #trit.packing<i2_s>>, tensor<128x256x!trit.ternary, #trit.packing<i2_s>>, tensor<128x256x!trit.ternary, #trit.packing<i2_s>>) scales(%s, %s, %s : tensor<f32>, tensor<f32>, tensor<f32>) kernel avx512vnni : tensor<?x256xf32> -> tensor<?x256xf32>, tensor<?x128xf32>, tensor<?x128xf32>
    %f = trit.fused_bitlinear %qkv#0 weights(%wg, %wg : tensor<512x256x!trit.ternary, #trit.packing<i2_s>>, tensor<512x256x!trit.ternary, #trit.packing<i2_s>>) scales(%s, %s : tensor<f32>, tensor<f32>) gate relu2 kernel avx512vnni : tensor<?x256xf32> -> tensor<?x512xf32>
    %l = trit.lm_head %qkv#0, %t : tensor<?x256xf32>, tensor<8x256xf16> -> tensor<?x8xf32>
    return %l : tensor<?x8xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x8xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x8xf32>
    return %r : tensor<?x8xf32>
  }
}

// -----

// An op no pattern lowers is an error, not left in trit.forward.
module attributes {trit.model = {context_length = 16 : i64}, trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2">} {
  trit.global @table : tensor<8x256xf32> = #trit.external<"m.gguf", "t">
  func.func private @forward(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x256xf32> {
    %t = trit.weight @table : tensor<8x256xf32>
    %h = trit.embedding %t[%tokens] : tensor<8x256xf32>, tensor<?xi32> -> tensor<?x256xf32>
    %c1 = arith.constant 1 : index
    // expected-error @+1 {{failed to legalize operation 'arith.addi'}}
    %next = arith.addi %pos, %c1 : index
    %a = trit.rope neox %h at %next head_dim 64 theta 1.0e+04 : tensor<?x256xf32>
    return %a : tensor<?x256xf32>
  }
  func.func @prefill(%tokens: tensor<?xi32>, %pos: index) -> tensor<?x256xf32> attributes {trit.entry_point = "prefill"} {
    %r = call @forward(%tokens, %pos) : (tensor<?xi32>, index) -> tensor<?x256xf32>
    return %r : tensor<?x256xf32>
  }
}
