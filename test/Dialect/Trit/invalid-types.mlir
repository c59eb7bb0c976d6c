// Every rule of the trit types and attributes, broken once.
// RUN: trit-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unknown ternary packing 'i3_s'; expected i2_s, tq2_0, tq1_0, t3x5, q2_0, ptq1_0, q1_0 or t2g}}
func.func private @f(tensor<4x128x!trit.ternary, #trit.packing<i3_s>>)

// -----

// expected-error @+1 {{unknown #trit.packing parameter 'rows'; expected 'block' or 'interleave'}}
func.func private @f(tensor<4x128x!trit.ternary, #trit.packing<i2_s, rows = 4>>)

// -----

// expected-error @+1 {{packing block must be positive, got 0}}
func.func private @f(tensor<4x128x!trit.ternary, #trit.packing<i2_s, block = 0>>)

// -----

// expected-error @+1 {{packing interleave must be positive, got -2}}
func.func private @f(tensor<4x128x!trit.ternary, #trit.packing<i2_s, interleave = -2>>)

// -----

// expected-error @+1 {{i2_s packs 4 weights per byte: block must be a multiple of 4, got 126}}
func.func private @f(tensor<4x126x!trit.ternary, #trit.packing<i2_s, block = 126>>)

// -----

// expected-error @+1 {{tq2_0 has fixed blocks of 256 weights, got 128}}
func.func private @f(tensor<4x128x!trit.ternary, #trit.packing<tq2_0, block = 128>>)

// -----

// expected-error @+1 {{#trit.packing<i2_s> needs the column count to be a multiple of its block of 128, got 2500 columns}}
func.func private @f(tensor<640x2500x!trit.ternary, #trit.packing<i2_s>>)

// -----

// expected-error @+1 {{#trit.packing<tq1_0> needs the column count to be a multiple of its block of 256, got 640 columns}}
func.func private @f(tensor<4x640x!trit.ternary, #trit.packing<tq1_0>>)

// -----

// expected-error @+1 {{#trit.packing interleaves 4 rows, but the row count 6 is not a multiple of it}}
func.func private @f(tensor<6x128x!trit.ternary, #trit.packing<i2_s, interleave = 4>>)

// -----

// expected-error @+1 {{#trit.packing is the layout of ternary tensors, but the element type is 'i8'}}
func.func private @f(tensor<4x128xi8, #trit.packing<i2_s>>)

// -----

// expected-error @+1 {{#trit.packing needs a rank-2 (rows x cols) tensor, got rank 1}}
func.func private @f(tensor<128x!trit.ternary, #trit.packing<i2_s>>)

// -----

// expected-error @+1 {{#trit.packing needs a static shape}}
func.func private @f(tensor<?x128x!trit.ternary, #trit.packing<i2_s>>)

// -----

// expected-error @+1 {{!trit.qact must be rows x cols, got rank 1}}
func.func private @f(!trit.qact<2560>)

// -----

// expected-error @+1 {{!trit.qact needs a static, positive column count}}
func.func private @f(!trit.qact<4x?>)

// -----

// expected-error @+1 {{!trit.qact block 256 does not divide the column count 2000}}
func.func private @f(!trit.qact<?x2000, block = 256>)

// -----

// expected-error @+1 {{!trit.qact block must be positive, got 0}}
func.func private @f(!trit.qact<?x2560, block = 0>)

// -----

// expected-error @+1 {{!trit.kv_cache needs positive layers, kv_heads and head_dim, got 30, 0, 128}}
func.func private @f(!trit.kv_cache<layers = 30, kv_heads = 0, head_dim = 128, element_type = f16>)

// -----

// expected-error @+1 {{!trit.kv_cache element type must be f16, bf16 or f32, got 'i8'}}
func.func private @f(!trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = i8>)

// -----

// expected-error @+1 {{unknown tensor part 'bias'; expected 'data' or 'scale'}}
trit.global @w : tensor<4xf32> = #trit.external<"m.gguf", "w", bias>

// -----

// expected-error @+1 {{#trit.target names a concrete CPU; 'host' is resolved before the attribute is made}}
module attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "host", "+avx2">} {}

// -----

// expected-error @+1 {{#trit.target feature 'avx2' must start with '+' or '-'}}
module attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu", "znver4", "avx2">} {}

// -----

// expected-error @+1 {{#trit.target needs a triple and a CPU name}}
module attributes {trit.target = #trit.target<"", "znver4", "+avx2">} {}

// -----

// expected-error @+1 {{t2g keeps 16 rows in lanes: interleave must be 16, got 1}}
func.func private @f(tensor<16x128x!trit.ternary, #trit.packing<t2g>>)

// -----

// expected-error @+1 {{q2_0 scales blocks of 64 or 128 weights, got 32}}
func.func private @f(tensor<16x128x!trit.ternary, #trit.packing<q2_0, block = 32>>)

// -----

// expected-error @+1 {{ptq1_0 has fixed blocks of 128 weights, got 64}}
func.func private @f(tensor<16x128x!trit.ternary, #trit.packing<ptq1_0, block = 64>>)
