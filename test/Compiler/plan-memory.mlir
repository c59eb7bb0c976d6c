// RUN: trit-opt %s --trit-plan-memory=max-tokens=4 --split-input-file --verify-diagnostics | FileCheck %s

// A chain: each buffer is 4 rows x 256 f32 = 4096 bytes. The embedding's
// buffer is read by the norm and by the add, so the add's result cannot
// take either place: an op's results never overlap its operands. The
// returned tensor is written into the caller's buffer (-1).
// CHECK-LABEL: func.func private @chain
// CHECK-SAME: trit.memory_plan = {arena_size = 12288 : i64, max_context = 16 : i64, max_tokens = 4 : i64}
// CHECK: trit.embedding {{.*}} {trit.buffers = array<i64: 0>}
// CHECK: trit.rms_norm {{.*}} {trit.buffers = array<i64: 4096>}
// CHECK: trit.add {{.*}} {trit.buffers = array<i64: 8192>}
// CHECK: trit.mul {{.*}} {trit.buffers = array<i64: -1>}
module attributes {trit.model = {context_length = 16 : i64}} {
  trit.global @table : tensor<8x256xf16> = #trit.external<"m", "t">
  trit.global @w : tensor<256xf32> = #trit.external<"m", "w">
  func.func private @chain(%tokens: tensor<?xi32>) -> tensor<?x256xf32> {
    %t = trit.weight @table : tensor<8x256xf16>
    %w = trit.weight @w : tensor<256xf32>
    %h = trit.embedding %t[%tokens] : tensor<8x256xf16>, tensor<?xi32> -> tensor<?x256xf32>
    %n = trit.rms_norm %h, %w eps 1.0e-05 : tensor<?x256xf32>, tensor<256xf32>
    %a = trit.add %h, %n : tensor<?x256xf32>
    %m = trit.mul %a, %a : tensor<?x256xf32>
    return %m : tensor<?x256xf32>
  }
}

// -----

// Freed buffers are reused: %n2 takes the place of %n0, whose last reader
// (%n1) has run.
// CHECK-LABEL: func.func private @reuse
// CHECK-SAME: arena_size = 8192
// CHECK: trit.rms_norm {{.*}} {trit.buffers = array<i64: 0>}
// CHECK: trit.rms_norm {{.*}} {trit.buffers = array<i64: 4096>}
// CHECK: trit.rms_norm {{.*}} {trit.buffers = array<i64: 0>}
module attributes {trit.model = {context_length = 16 : i64}} {
  trit.global @w : tensor<256xf32> = #trit.external<"m", "w">
  func.func private @reuse(%x: tensor<?x256xf32>) -> tensor<?x256xf32> {
    %w = trit.weight @w : tensor<256xf32>
    %n0 = trit.rms_norm %x, %w eps 1.0e-05 : tensor<?x256xf32>, tensor<256xf32>
    %n1 = trit.rms_norm %n0, %w eps 1.0e-05 : tensor<?x256xf32>, tensor<256xf32>
    %n2 = trit.rms_norm %n1, %w eps 1.0e-05 : tensor<?x256xf32>, tensor<256xf32>
    %n3 = trit.rms_norm %n2, %w eps 1.0e-05 : tensor<?x256xf32>, tensor<256xf32>
    return %n3 : tensor<?x256xf32>
  }
}

// -----

// Scratch: a gated fused BitLinear needs a normalized row (256 x 4 bytes),
// the quantized input (4 x 256 codes + 4 scales + 4 sums, each part
// 64-byte aligned: 1152 bytes) and the gate and up products (4 x 512 x 4
// bytes each). Static row counts are used as they are.
// CHECK-LABEL: func.func private @scratch
// CHECK: trit.fused_bitlinear {{.*}} {trit.buffers = array<i64: -1>, trit.scratch = array<i64: 0, 1024, 2176, 10368>}
// The attention's scratch is free again once it ran; its result takes the
// first place after it.
// CHECK: trit.attention {{.*}} {trit.buffers = array<i64: 20480>, trit.scratch = array<i64: 0>}
module attributes {trit.model = {context_length = 16 : i64}} {
  func.func private @scratch(%h: tensor<?x256xf32>, %g: tensor<256xf32>, %wg: tensor<512x256x!trit.ternary>, %wu: tensor<512x256x!trit.ternary>, %s: tensor<f32>, %q: tensor<4x256xf32>, %cache: !trit.kv_cache<layers = 1, kv_heads = 2, head_dim = 64, element_type = f16>, %pos: index) -> (tensor<?x512xf32>, tensor<4x256xf32>) {
    %m = trit.fused_bitlinear %h norm(%g, eps 1.0e-05 : tensor<256xf32>) weights(%wg, %wu : tensor<512x256x!trit.ternary>, tensor<512x256x!trit.ternary>) scales(%s, %s : tensor<f32>, tensor<f32>) gate relu2 : tensor<?x256xf32> -> tensor<?x512xf32>
    // 4 heads x 16 queries x (16 positions + 64 query floats) x 4 bytes =
    // 20480 bytes (a prompt's queries are taken 16 at a time).
    %o = trit.attention %q, %cache[0] at %pos heads 4 : tensor<4x256xf32>, !trit.kv_cache<layers = 1, kv_heads = 2, head_dim = 64, element_type = f16>
    %r = trit.add %o, %o : tensor<4x256xf32>
    return %m, %r : tensor<?x512xf32>, tensor<4x256xf32>
  }
}

// -----

// Entry points are not planned: they only call the model function.
// CHECK-LABEL: func.func @prefill
// CHECK-NOT: trit.memory_plan
module attributes {trit.model = {context_length = 16 : i64}} {
  func.func @prefill(%x: tensor<?x256xf32>) -> tensor<?x256xf32> attributes {trit.entry_point = "prefill"} {
    return %x : tensor<?x256xf32>
  }
}

// -----

// expected-error @+1 {{has no trit.model context_length; set the pass's max-context option}}
module {
  func.func private @f(%x: tensor<?x256xf32>) -> tensor<?x256xf32> {
    return %x : tensor<?x256xf32>
  }
}
