// Every verifier rule of the embedding, norm, quantization, BitLinear and LM
// head ops, broken once.
// RUN: trit-opt %s -split-input-file -verify-diagnostics

func.func @f(%table: tensor<100x64xf16>, %tokens: tensor<?xi32>) {
  // expected-error @+1 {{'trit.embedding' op embedding width mismatch: the table has 64 but the result has 32}}
  %0 = trit.embedding %table[%tokens] : tensor<100x64xf16>, tensor<?xi32> -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%table: tensor<100x64xf16>, %tokens: tensor<3xi32>) {
  // expected-error @+1 {{'trit.embedding' op row count mismatch: tokens has 3 but the result has 4}}
  %0 = trit.embedding %table[%tokens] : tensor<100x64xf16>, tensor<3xi32> -> tensor<4x64xf32>
  return
}

// -----

func.func @f(%table: tensor<100x64xi8>, %tokens: tensor<3xi32>) {
  // expected-error @+1 {{'trit.embedding' op operand #0 must be 2D tensor of 16-bit float or bfloat16 type or 32-bit float values}}
  %0 = trit.embedding %table[%tokens] : tensor<100x64xi8>, tensor<3xi32> -> tensor<3x64xf32>
  return
}

// -----

func.func @f(%h: tensor<?x2560xf32>, %g: tensor<2048xf32>) {
  // expected-error @+1 {{'trit.rms_norm' op has a weight of 2048 elements, which does not divide the input's width of 2560}}
  %0 = trit.rms_norm %h, %g eps 1.0e-5 : tensor<?x2560xf32>, tensor<2048xf32>
  return
}

// -----

func.func @f(%h: tensor<?x2560xf32>, %g: tensor<2560xf32>) {
  // expected-error @+1 {{'trit.rms_norm' op eps must be positive, got 0}}
  %0 = trit.rms_norm %h, %g eps 0.0 : tensor<?x2560xf32>, tensor<2560xf32>
  return
}

// -----

func.func @f(%h: tensor<?x2560xf16>, %g: tensor<2560xf32>) {
  // expected-error @+1 {{'trit.rms_norm' op operand #0 must be 2D tensor of 32-bit float values}}
  %0 = trit.rms_norm %h, %g eps 1.0e-5 : tensor<?x2560xf16>, tensor<2560xf32>
  return
}

// -----

func.func @f(%h: tensor<?x2560xf32>) {
  // expected-error @+1 {{'trit.quantize' op column count mismatch: the input has 2560 but the result has 6912}}
  %0 = trit.quantize %h : tensor<?x2560xf32> -> !trit.qact<?x6912>
  return
}

// -----

func.func @f(%h: tensor<3x2560xf32>) {
  // expected-error @+1 {{'trit.quantize' op row count mismatch: the input has 3 but the result has 4}}
  %0 = trit.quantize %h : tensor<3x2560xf32> -> !trit.qact<4x2560>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x2560>, %w: tensor<640x6912x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.bitlinear' op reduction size (columns) mismatch: the input has 2560 but the weight has 6912}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x2560>, tensor<640x6912x!trit.ternary, #trit.packing<i2_s>>, tensor<f32> -> tensor<?x640xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x2560>, %w: tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.bitlinear' op output size (weight rows vs result columns) mismatch: the weight has 640 but the result has 2560}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x2560>, tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, tensor<f32> -> tensor<?x2560xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<2x2560>, %w: tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.bitlinear' op row count mismatch: the input has 2 but the result has 1}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<2x2560>, tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, tensor<f32> -> tensor<1x640xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x2560>, %w: tensor<640x2560xi8>, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.bitlinear' op operand #1 must be 2D tensor of Ternary element type: one of -1, 0, +1 values}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x2560>, tensor<640x2560xi8>, tensor<f32> -> tensor<?x640xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x2560>, %w: tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<f16>) {
  // expected-error @+1 {{'trit.bitlinear' op weight scale must be f32 when per tensor or per row, got 'f16'}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x2560>, tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, tensor<f16> -> tensor<?x640xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x2560>, %w: tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<2560xf32>) {
  // expected-error @+1 {{'trit.bitlinear' op weight scale has 2560 per-row values but the weight has 640 rows}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x2560>, tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, tensor<2560xf32> -> tensor<?x640xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x2560>, %w: tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<640x3xf16>) {
  // expected-error @+1 {{'trit.bitlinear' op weight scale has 3 block scales per row, which does not divide the 2560 weight columns}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x2560>, tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, tensor<640x3xf16> -> tensor<?x640xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x2560>, %w: tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<64x10xf16>) {
  // expected-error @+1 {{'trit.bitlinear' op weight scale has 64 rows of block scales but the weight has 640 rows}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x2560>, tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, tensor<64x10xf16> -> tensor<?x640xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x2560>, %w: tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<1x640x10xf32>) {
  // expected-error @+1 {{'trit.bitlinear' op weight scale must have rank 0 (per tensor), 1 (per row) or 2 (per block), got rank 3}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x2560>, tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, tensor<1x640x10xf32> -> tensor<?x640xf32>
  return
}

// -----

!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op has 2 weights but 1 scales}}
  %0:2 = trit.fused_bitlinear %h weights(%w, %w : !w, !w) scales(%s : tensor<f32>) : tensor<?x2560xf32> -> tensor<?x640xf32>, tensor<?x640xf32>
  return
}

// -----

!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op has 2 weights but 1 results}}
  %0 = trit.fused_bitlinear %h weights(%w, %w : !w, !w) scales(%s, %s : tensor<f32>, tensor<f32>) : tensor<?x2560xf32> -> tensor<?x640xf32>
  return
}

// -----

func.func @f(%h: tensor<?x2560xf32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op needs at least one weight}}
  "trit.fused_bitlinear"(%h) <{operandSegmentSizes = array<i32: 1, 0, 0, 0>}> : (tensor<?x2560xf32>) -> ()
  return
}

// -----

!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %g: tensor<2048xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op width mismatch: the input has 2560 but the norm weight has 2048}}
  %0 = trit.fused_bitlinear %h norm(%g, eps 1.0e-5 : tensor<2048xf32>) weights(%w : !w) scales(%s : tensor<f32>) : tensor<?x2560xf32> -> tensor<?x640xf32>
  return
}

// -----

!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %g: tensor<2560xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op eps must be positive, got -1}}
  %0 = trit.fused_bitlinear %h norm(%g, eps -1.0 : tensor<2560xf32>) weights(%w : !w) scales(%s : tensor<f32>) : tensor<?x2560xf32> -> tensor<?x640xf32>
  return
}

// -----

!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op a norm weight and eps go together}}
  %0 = trit.fused_bitlinear %h weights(%w : !w) scales(%s : tensor<f32>) {eps = 1.0e-5 : f64} : tensor<?x2560xf32> -> tensor<?x640xf32>
  return
}

// -----

!w = tensor<640x6912x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op reduction size (columns) mismatch: the input has 2560 but weight #0 has 6912}}
  %0 = trit.fused_bitlinear %h weights(%w : !w) scales(%s : tensor<f32>) : tensor<?x2560xf32> -> tensor<?x640xf32>
  return
}

// -----

!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %w: !w, %s: tensor<f32>, %s2: tensor<2560xf32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op scale #1 has 2560 per-row values but the weight has 640 rows}}
  %0:2 = trit.fused_bitlinear %h weights(%w, %w : !w, !w) scales(%s, %s2 : tensor<f32>, tensor<2560xf32>) : tensor<?x2560xf32> -> tensor<?x640xf32>, tensor<?x640xf32>
  return
}

// -----

!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op output size mismatch: weight #1 has 640 but result #1 has 2560}}
  %0:2 = trit.fused_bitlinear %h weights(%w, %w : !w, !w) scales(%s, %s : tensor<f32>, tensor<f32>) : tensor<?x2560xf32> -> tensor<?x640xf32>, tensor<?x2560xf32>
  return
}

// -----

!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<4x2560xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op row count mismatch: the input has 4 but result #0 has 5}}
  %0 = trit.fused_bitlinear %h weights(%w : !w) scales(%s : tensor<f32>) : tensor<4x2560xf32> -> tensor<5x640xf32>
  return
}

// -----

!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op with gate relu2 takes two weights (gate, up), got 3}}
  %0 = trit.fused_bitlinear %h weights(%w, %w, %w : !w, !w, !w) scales(%s, %s, %s : tensor<f32>, tensor<f32>, tensor<f32>) gate relu2 : tensor<?x2560xf32> -> tensor<?x640xf32>
  return
}

// -----

!w = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op with a gate has one result, got 2}}
  %0:2 = trit.fused_bitlinear %h weights(%w, %w : !w, !w) scales(%s, %s : tensor<f32>, tensor<f32>) gate silu : tensor<?x2560xf32> -> tensor<?x640xf32>, tensor<?x640xf32>
  return
}

// -----

!wg = tensor<6912x2560x!trit.ternary, #trit.packing<i2_s>>
!wu = tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %wg: !wg, %wu: !wu, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op output size mismatch: the gate weight has 6912 but the up weight has 640}}
  %0 = trit.fused_bitlinear %h weights(%wg, %wu : !wg, !wu) scales(%s, %s : tensor<f32>, tensor<f32>) gate relu2 : tensor<?x2560xf32> -> tensor<?x6912xf32>
  return
}

// -----

!w = tensor<6912x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<?x2560xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op output size mismatch: the gate weight has 6912 but the result has 2560}}
  %0 = trit.fused_bitlinear %h weights(%w, %w : !w, !w) scales(%s, %s : tensor<f32>, tensor<f32>) gate relu2 : tensor<?x2560xf32> -> tensor<?x2560xf32>
  return
}

// -----

func.func @f(%y: tensor<?x2560xf32>, %table: tensor<1000x2048xf16>) {
  // expected-error @+1 {{'trit.lm_head' op width mismatch: the input has 2560 but the table has 2048}}
  %0 = trit.lm_head %y, %table : tensor<?x2560xf32>, tensor<1000x2048xf16> -> tensor<?x1000xf32>
  return
}

// -----

func.func @f(%y: tensor<?x2560xf32>, %table: tensor<1000x2560xf16>) {
  // expected-error @+1 {{'trit.lm_head' op column count mismatch: the table (vocabulary) has 1000 but the result has 999}}
  %0 = trit.lm_head %y, %table : tensor<?x2560xf32>, tensor<1000x2560xf16> -> tensor<?x999xf32>
  return
}

// -----

func.func @f(%y: tensor<2x2560xf32>, %table: tensor<1000x2560xf16>) {
  // expected-error @+1 {{'trit.lm_head' op row count mismatch: the input has 2 but the result has 1}}
  %0 = trit.lm_head %y, %table : tensor<2x2560xf32>, tensor<1000x2560xf16> -> tensor<1x1000xf32>
  return
}

// -----

!w = tensor<6912x2560x!trit.ternary, #trit.packing<i2_s>>
func.func @f(%h: tensor<3x2560xf32>, %w: !w, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op row count mismatch: the input has 3 but the result has 4}}
  %0 = trit.fused_bitlinear %h weights(%w, %w : !w, !w) scales(%s, %s : tensor<f32>, tensor<f32>) gate relu2 : tensor<3x2560xf32> -> tensor<4x6912xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x2560>, %w: tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<*xf32>) {
  // expected-error @+1 {{'trit.bitlinear' op weight scale must be a ranked tensor}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x2560>, tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>, tensor<*xf32> -> tensor<?x640xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x512, block = 256>, %w: tensor<8x512x!trit.ternary, #trit.packing<tq2_0>>, %s: tensor<8x4xf16>) {
  // expected-error @+1 {{'trit.bitlinear' op weight scale has 4 block scales per row but the weight's packing has 2 blocks of 256 per row}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x512, block = 256>, tensor<8x512x!trit.ternary, #trit.packing<tq2_0>>, tensor<8x4xf16> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x512, block = 512>, %w: tensor<8x512x!trit.ternary, #trit.packing<tq2_0>>, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.bitlinear' op input is quantized in blocks of 512 but the weight's packing has blocks of 256}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x512, block = 512>, tensor<8x512x!trit.ternary, #trit.packing<tq2_0>>, tensor<f32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%qa: !trit.qact<?x512, block = 256>, %w: tensor<8x512x!trit.ternary>, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.bitlinear' op input is quantized in blocks of 256 but the weight's packing has no blocks}}
  %0 = trit.bitlinear %qa, %w, %s : !trit.qact<?x512, block = 256>, tensor<8x512x!trit.ternary>, tensor<f32> -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%h: tensor<?x?xf32>) {
  // expected-error @+1 {{'trit.quantize' op needs a static column count in the input}}
  %0 = trit.quantize %h : tensor<?x?xf32> -> !trit.qact<?x256>
  return
}

// -----

func.func @f(%t: tensor<512x256x!trit.ternary, #trit.packing<q2_0>>, %tok: tensor<?xi32>) {
  // expected-error @+1 {{'trit.embedding' op has a ternary table but no block scales}}
  %0 = trit.embedding %t[%tok] : tensor<512x256x!trit.ternary, #trit.packing<q2_0>>, tensor<?xi32> -> tensor<?x256xf32>
  return
}

// -----

func.func @f(%t: tensor<512x256x!trit.ternary, #trit.packing<i2_s>>, %tok: tensor<?xi32>, %s: tensor<512x2xf16>) {
  // expected-error @+1 {{'trit.embedding' op has a ternary table without a group-scaled packing (q2_0, ptq1_0, q1_0 or t2g)}}
  %0 = trit.embedding %t[%tok] scales %s : tensor<512x2xf16> : tensor<512x256x!trit.ternary, #trit.packing<i2_s>>, tensor<?xi32> -> tensor<?x256xf32>
  return
}

// -----

func.func @f(%y: tensor<?x256xf32>, %t: tensor<512x256x!trit.ternary, #trit.packing<q2_0>>, %s: tensor<512x2xf16>) {
  // expected-error @+1 {{'trit.lm_head' op table scale has 2 block scales per row but the weight's packing has 4 blocks of 64 per row}}
  %0 = trit.lm_head %y, %t scales %s : tensor<512x2xf16> : tensor<?x256xf32>, tensor<512x256x!trit.ternary, #trit.packing<q2_0>> -> tensor<?x512xf32>
  return
}

// -----

func.func @f(%y: tensor<?x256xf32>, %t: tensor<512x256xf16>, %s: tensor<512x4xf16>) {
  // expected-error @+1 {{'trit.lm_head' op has scales, but its table is not ternary}}
  %0 = trit.lm_head %y, %t scales %s : tensor<512x4xf16> : tensor<?x256xf32>, tensor<512x256xf16> -> tensor<?x512xf32>
  return
}

// -----

func.func @f(%q: tensor<?x384xf32>, %w: tensor<100xf32>) {
  // expected-error @+1 {{'trit.rms_norm' op has a weight of 100 elements, which does not divide the input's width of 384}}
  %0 = trit.rms_norm %q, %w eps 1.0e-6 : tensor<?x384xf32>, tensor<100xf32>
  return
}

// -----

func.func @f(%h: tensor<?x256xf32>, %w: tensor<40x256x!trit.ternary, #trit.packing<q2_0>>, %s: tensor<40x4xf16>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op weight #0 is group-scaled, which needs activations in blocks that tile its blocks of 64}}
  %0 = trit.fused_bitlinear %h weights(%w : tensor<40x256x!trit.ternary, #trit.packing<q2_0>>) scales(%s : tensor<40x4xf16>) : tensor<?x256xf32> -> tensor<?x40xf32>
  return
}

// -----

func.func @f(%h: tensor<?x256xf32>, %w: tensor<40x256x!trit.ternary, #trit.packing<i2_s>>, %s: tensor<f32>) {
  // expected-error @+1 {{'trit.fused_bitlinear' op weight #0 is not group-scaled, which needs activations quantized per row (no block)}}
  %0 = trit.fused_bitlinear %h weights(%w : tensor<40x256x!trit.ternary, #trit.packing<i2_s>>) scales(%s : tensor<f32>) block 32 : tensor<?x256xf32> -> tensor<?x40xf32>
  return
}
