// RUN: trit-opt %s --trit-select-kernels --split-input-file --verify-diagnostics | FileCheck %s
// RUN: trit-opt %s --trit-select-kernels=packing=i2_s --split-input-file --verify-diagnostics | FileCheck %s

// Group-scaled weights (Ternary Bonsai's q2_0 of 64 or 128, ptq1_0, q1_0)
// take T2G with their block on every target, whatever --packing says: the
// layout keeps their f16 block scales. A table read by trit.embedding and
// trit.lm_head takes it too.
// CHECK: #[[G128:[a-z0-9_]+]] = #trit.packing<t2g, block = 128, interleave = 16>
// CHECK: #[[G64:[a-z0-9_]+]] = #trit.packing<t2g, interleave = 16>
// CHECK-LABEL: module @znver3
// CHECK: trit.global @wq : tensor<384x256x!trit.ternary, #[[G128]]>
// CHECK: trit.global @wk : tensor<40x256x!trit.ternary, #[[G64]]>
// CHECK: trit.global @wp : tensor<40x256x!trit.ternary, #[[G128]]>
// CHECK: trit.global @table : tensor<500x256x!trit.ternary, #[[G64]]>
// CHECK: trit.bitlinear {{.*}} kernel avx2 :
// CHECK: trit.bitlinear {{.*}} kernel avx2 :
// CHECK: trit.bitlinear {{.*}} kernel avx2 :
module @znver3 attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver3", "+avx2,+f16c,+fma">} {
  trit.global @wq : tensor<384x256x!trit.ternary, #trit.packing<q2_0, block = 128>> = #trit.external<"m.gguf", "q">
  trit.global @wq.scale : tensor<384x2xf16> = #trit.external<"m.gguf", "q", scale>
  trit.global @wk : tensor<40x256x!trit.ternary, #trit.packing<q2_0>> = #trit.external<"m.gguf", "k">
  trit.global @wk.scale : tensor<40x4xf16> = #trit.external<"m.gguf", "k", scale>
  trit.global @wp : tensor<40x256x!trit.ternary, #trit.packing<ptq1_0>> = #trit.external<"m.gguf", "p">
  trit.global @wp.scale : tensor<40x2xf16> = #trit.external<"m.gguf", "p", scale>
  trit.global @table : tensor<500x256x!trit.ternary, #trit.packing<q2_0>> = #trit.external<"m.gguf", "t">
  trit.global @table.scale : tensor<500x4xf16> = #trit.external<"m.gguf", "t", scale>
  func.func @f(%tokens: tensor<?xi32>) -> (tensor<?x384xf32>, tensor<?x40xf32>, tensor<?x40xf32>, tensor<?x500xf32>) {
    %t = trit.weight @table : tensor<500x256x!trit.ternary, #trit.packing<q2_0>>
    %ts = trit.weight @table.scale : tensor<500x4xf16>
    %h = trit.embedding %t[%tokens] scales %ts : tensor<500x4xf16> : tensor<500x256x!trit.ternary, #trit.packing<q2_0>>, tensor<?xi32> -> tensor<?x256xf32>
    %qa = trit.quantize %h : tensor<?x256xf32> -> !trit.qact<?x256, block = 32>
    %wq = trit.weight @wq : tensor<384x256x!trit.ternary, #trit.packing<q2_0, block = 128>>
    %sq = trit.weight @wq.scale : tensor<384x2xf16>
    %q = trit.bitlinear %qa, %wq, %sq : !trit.qact<?x256, block = 32>, tensor<384x256x!trit.ternary, #trit.packing<q2_0, block = 128>>, tensor<384x2xf16> -> tensor<?x384xf32>
    %wk = trit.weight @wk : tensor<40x256x!trit.ternary, #trit.packing<q2_0>>
    %sk = trit.weight @wk.scale : tensor<40x4xf16>
    %k = trit.bitlinear %qa, %wk, %sk : !trit.qact<?x256, block = 32>, tensor<40x256x!trit.ternary, #trit.packing<q2_0>>, tensor<40x4xf16> -> tensor<?x40xf32>
    %wp = trit.weight @wp : tensor<40x256x!trit.ternary, #trit.packing<ptq1_0>>
    %sp = trit.weight @wp.scale : tensor<40x2xf16>
    %p = trit.bitlinear %qa, %wp, %sp : !trit.qact<?x256, block = 32>, tensor<40x256x!trit.ternary, #trit.packing<ptq1_0>>, tensor<40x2xf16> -> tensor<?x40xf32>
    %l = trit.lm_head %h, %t scales %ts : tensor<500x4xf16> : tensor<?x256xf32>, tensor<500x256x!trit.ternary, #trit.packing<q2_0>> -> tensor<?x500xf32>
    return %q, %k, %p, %l : tensor<?x384xf32>, tensor<?x40xf32>, tensor<?x40xf32>, tensor<?x500xf32>
  }
}

// -----

// The group-scaled kernels read Q8_0 blocks of 32, not rows.
module attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver3", "+avx2,+f16c,+fma">} {
  trit.global @w : tensor<40x256x!trit.ternary, #trit.packing<q2_0>> = #trit.external<"m.gguf", "k">
  trit.global @w.scale : tensor<40x4xf16> = #trit.external<"m.gguf", "k", scale>
  func.func @f(%h: tensor<?x256xf32>) -> tensor<?x40xf32> {
    %qa = trit.quantize %h : tensor<?x256xf32> -> !trit.qact<?x256>
    %w = trit.weight @w : tensor<40x256x!trit.ternary, #trit.packing<q2_0>>
    %s = trit.weight @w.scale : tensor<40x4xf16>
    // expected-error @+1 {{'trit.bitlinear' op has a group-scaled weight, whose kernels read activations in Q8_0 blocks of 32}}
    %k = trit.bitlinear %qa, %w, %s : !trit.qact<?x256>, tensor<40x256x!trit.ternary, #trit.packing<q2_0>>, tensor<40x4xf16> -> tensor<?x40xf32>
    return %k : tensor<?x40xf32>
  }
}
