// Round trip of the trit types and attributes, in the custom and the generic
// form.
// RUN: trit-opt %s | trit-opt | FileCheck %s
// RUN: trit-opt %s --mlir-print-op-generic | trit-opt | FileCheck %s

// Layouts print with aliases named after the packing and its parameters (the
// printer appends `_` to a name that ends in a digit).
// CHECK-DAG: #i2_s = #trit.packing<i2_s>
// CHECK-DAG: #i2_s_b64_x4_ = #trit.packing<i2_s, block = 64, interleave = 4>
// CHECK-DAG: #tq2_0_ = #trit.packing<tq2_0>
// CHECK-DAG: #tq1_0_ = #trit.packing<tq1_0>
// CHECK-DAG: !kv_cache = !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
// CHECK-DAG: !kv_cache1 = !trit.kv_cache<layers = 2, kv_heads = 1, head_dim = 4, element_type = f32>

// CHECK-LABEL: func.func private @ternary_layouts
// CHECK-SAME: tensor<4x256x!trit.ternary>
// CHECK-SAME: tensor<640x2560x!trit.ternary, #i2_s>
// CHECK-SAME: tensor<8x128x!trit.ternary, #i2_s_b64_x4_>
// CHECK-SAME: tensor<2x512x!trit.ternary, #tq2_0_>
// CHECK-SAME: tensor<2x512x!trit.ternary, #tq1_0_>
func.func private @ternary_layouts(
    tensor<4x256x!trit.ternary>,
    tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>,
    tensor<8x128x!trit.ternary, #trit.packing<i2_s, block = 64, interleave = 4>>,
    tensor<2x512x!trit.ternary, #trit.packing<tq2_0>>,
    tensor<2x512x!trit.ternary, #trit.packing<tq1_0>>)

// Writing a layout's default parameters is the same as leaving them out.
// CHECK-LABEL: func.func private @default_parameters
// CHECK-SAME: tensor<4x256x!trit.ternary, #i2_s>
// CHECK-SAME: tensor<4x256x!trit.ternary, #tq2_0_>
func.func private @default_parameters(
    tensor<4x256x!trit.ternary, #trit.packing<i2_s, block = 128, interleave = 1>>,
    tensor<4x256x!trit.ternary, #trit.packing<tq2_0, block = 256>>)

// CHECK-LABEL: func.func private @quantized_activations
// CHECK-SAME: !trit.qact<?x2560>
// CHECK-SAME: !trit.qact<1x6912>
// CHECK-SAME: !trit.qact<?x512, block = 256>
func.func private @quantized_activations(
    !trit.qact<?x2560>, !trit.qact<1x6912>, !trit.qact<?x512, block = 256>)

// CHECK-LABEL: func.func private @kv_caches
// CHECK-SAME: !kv_cache, !kv_cache1
func.func private @kv_caches(
    !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>,
    !trit.kv_cache<layers = 2, kv_heads = 1, head_dim = 4, element_type = f32>)

// CHECK-LABEL: module @with_target
// CHECK-SAME: trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512f,+avx512vnni">
module @with_target attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "+avx2,+avx512f,+avx512vnni">} {
}
