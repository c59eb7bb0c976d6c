//===- TritOps.td - trit operations -------------------------*- tablegen -*-===//

#ifndef TRIT_DIALECT_TRITOPS_TD
#define TRIT_DIALECT_TRITOPS_TD

include "trit/Dialect/TritBase.td"
include "trit/Dialect/TritAttrs.td"
include "trit/Dialect/TritTypes.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Trit_F32Matrix : TensorRankOf<[F32], [2]>;
def Trit_F32Vector : TensorRankOf<[F32], [1]>;
def Trit_FloatMatrix : TensorRankOf<[F16, BF16, F32], [2]>;
def Trit_TernaryMatrix : TensorRankOf<[Trit_TernaryType], [2]>;
def Trit_WeightScale : TensorOf<[F16, F32]>;
def Trit_TokenVector : TensorRankOf<[I32], [1]>;

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

def Trit_GlobalOp : Trit_Op<"global", [Symbol]> {
  let summary = "Declares a model weight stored outside the IR";
  let description = [{
    Declares a named, immutable model tensor. Its value is either external
    (`#trit.external`, resolved by the weight store against the mapped model
    file, the normal case) or, for small tensors such as the ones in tests,
    an inline elements attribute. Ternary weights are always external.

    Example:

    ```mlir
    trit.global @blk.0.attn_q.weight : tensor<2560x2560x!trit.ternary, #trit.packing<i2_s>>
        = #trit.external<"model.gguf", "blk.0.attn_q.weight">
    trit.global @blk.0.attn_q.scale : tensor<f32>
        = #trit.external<"model.gguf", "blk.0.attn_q.weight", scale>
    trit.global @output_norm.weight : tensor<4xf32> = dense<1.0> : tensor<4xf32>
    ```
  }];
  let arguments = (ins
    SymbolNameAttr:$sym_name,
    TypeAttrOf<AnyRankedTensor>:$type,
    AnyAttrOf<[Trit_ExternalAttr, ElementsAttr]>:$value
  );
  let assemblyFormat = "$sym_name `:` $type `=` $value attr-dict";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    RankedTensorType getTensorType() {
      return ::llvm::cast<RankedTensorType>(getType());
    }
  }];
}

def Trit_WeightOp : Trit_Op<"weight",
    [Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "References a model weight by symbol";
  let description = [{
    Yields the tensor declared by the `trit.global` named `name`. The result
    type must be the global's type: shape, element type and layout are
    visible at every use.

    Example:

    ```mlir
    %wq = trit.weight @blk.0.attn_q.weight
        : tensor<2560x2560x!trit.ternary, #trit.packing<i2_s>>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Embedding, norms, quantization
//===----------------------------------------------------------------------===//

def Trit_EmbeddingOp : Trit_Op<"embedding", [Pure]> {
  let summary = "Looks up token embeddings";
  let description = [{
    Row `i` of the result is row `tokens[i]` of `table` converted to f32.
    A ternary table with a group-scaled packing (Ternary Bonsai) takes its
    block scales as `scales` (`tensor<V x K/B x f16>`): element k of a row
    is `t_k * scale[k / B]`, exact in f32. Token ids outside `[0, vocab)`
    are undefined behaviour here; the runtime rejects them before they
    reach compiled code.

    Example:

    ```mlir
    %h = trit.embedding %table[%tokens]
        : tensor<128256x2560xf16>, tensor<?xi32> -> tensor<?x2560xf32>
    %h = trit.embedding %table[%tokens] scales %s : tensor<151936x64xf16>
        : tensor<151936x4096x!trit.ternary, #trit.packing<q2_0>>,
          tensor<?xi32> -> tensor<?x4096xf32>
    ```
  }];
  let arguments = (ins AnyTypeOf<[Trit_FloatMatrix, Trit_TernaryMatrix]>:$table,
                       Trit_TokenVector:$tokens,
                       Optional<Trit_WeightScale>:$scales);
  let results = (outs Trit_F32Matrix:$result);
  let assemblyFormat = [{
    $table `[` $tokens `]` (`scales` $scales^ `:` type($scales))? attr-dict
    `:` type($table) `,` type($tokens) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Trit_RMSNormOp : Trit_Op<"rms_norm",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMS normalization of each row, times a per-column weight";
  let description = [{
    For each row x of width K:
    `y_k = x_k * (1 / sqrt(mean(x^2) + eps)) * weight_k`, with the sum of
    squares accumulated in double and everything else in f32 (ggml's
    `rms_norm` followed by a separate multiply). `eps` is rounded to f32.
    A weight narrower than the row normalizes each slice of its width on
    its own: Qwen3's per-head RMSNorm of q and k (QK-norm).

    Example:

    ```mlir
    %a = trit.rms_norm %h, %g eps 1.000000e-05
        : tensor<?x2560xf32>, tensor<2560xf32>
    %qn = trit.rms_norm %q, %qnorm eps 1.000000e-06
        : tensor<?x4096xf32>, tensor<128xf32>
    ```
  }];
  let arguments = (ins Trit_F32Matrix:$input, Trit_F32Vector:$weight,
                       F64Attr:$eps);
  let results = (outs Trit_F32Matrix:$result);
  let assemblyFormat = [{
    $input `,` $weight `eps` $eps attr-dict `:` type($input) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def Trit_QuantizeOp : Trit_Op<"quantize", [Pure]> {
  let summary = "Quantizes activation rows to int8 with a scale and row sum";
  let description = [{
    Quantizes every row (or every block of a row, per the result type) to
    int8 as described at `!trit.qact`. Several BitLinears that read the same
    activations share one `trit.quantize` (CSE merges duplicates: the op is
    pure).

    Example:

    ```mlir
    %qa = trit.quantize %a : tensor<?x2560xf32> -> !trit.qact<?x2560>
    ```
  }];
  let arguments = (ins Trit_F32Matrix:$input);
  let results = (outs Trit_QActType:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// BitLinear
//===----------------------------------------------------------------------===//

def Trit_BitLinearOp : Trit_Op<"bitlinear", [Pure]> {
  let summary = "Ternary matrix times quantized activations";
  let description = [{
    `result[m, n] = (sum_k q[m, k] * w[n, k]) / act_scale[m] * weight_scale`
    with an exact integer dot product and the two scales applied in f32
    once per output, left to right. `weight` is N x K ternary; `input` holds
    M x K quantized activations. `weight_scale` multiplies the ternary
    values; it is a scalar (`tensor<f32>`, per tensor as in BitNet), one per
    output row (`tensor<Nxf32>`), or one per block of each row
    (`tensor<N x K/B x f16|f32>`, as in TQ1_0/TQ2_0). `kernel`, set by
    `--trit-select-kernels`, names the microkernel family that runs it.

    Group-scaled weights (Ternary Bonsai: `q2_0`, `ptq1_0`, `q1_0`, `t2g`
    packings with f16 block scales of B = 64 or 128 weights) read
    activations in Q8_0 blocks of 32 and compute what ggml's generic
    `ggml_vec_dot_q2_0_q8_0` does: for each weight block b, in order,
    `sumf += scale[n, b] * sumi_b` with
    `sumi_b = sum over its activation blocks j, in order, of d[m, j] * isum_j`
    and `isum_j` the exact integer dot of block j; every product and sum is
    rounded to f32 (no fused multiply-add).

    Example:

    ```mlir
    %k = trit.bitlinear %qa, %wk, %sk
        : !trit.qact<?x2560>, tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>,
          tensor<f32> -> tensor<?x640xf32>
    ```
  }];
  let arguments = (ins Trit_QActType:$input, Trit_TernaryMatrix:$weight,
                       Trit_WeightScale:$weight_scale,
                       OptionalAttr<Trit_KernelKind>:$kernel);
  let results = (outs Trit_F32Matrix:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $weight_scale (`kernel` $kernel^)? attr-dict `:`
    qualified(type($input)) `,` type($weight) `,` type($weight_scale) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def Trit_FusedBitLinearOp : Trit_Op<"fused_bitlinear",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "RMSNorm, activation quantization and BitLinears sharing one "
                "quantized input, with an optional gating epilogue";
  let description = [{
    The fused form the compiler creates: optionally RMS-normalize `input`
    (`norm(weight, eps ...)`), quantize each row once, and multiply it by
    every ternary matrix in `weights` (with the matching `scales`). Without
    `gate`, there is one result per weight. With `gate relu2` or `gate silu`
    there are exactly two weights (gate, up) of the same height and a single
    result `act(x W_gate^T) * (x W_up^T)`.

    Numerically identical to the unfused `trit.rms_norm`, `trit.quantize`,
    `trit.bitlinear` (and `trit.gate`) sequence. `block` quantizes in Q8_0
    blocks of that many columns instead of rows (`!trit.qact` with a
    block), as the group-scaled weights of Ternary Bonsai need. `kernel`,
    set by `--trit-select-kernels`, names the microkernel family that runs
    it.

    Example (q, k and v of one layer):

    ```mlir
    %q, %k, %v = trit.fused_bitlinear %h norm(%g, eps 1.000000e-05 : tensor<2560xf32>)
        weights(%wq, %wk, %wv : tensor<2560x2560x!trit.ternary, #trit.packing<i2_s>>,
                tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>,
                tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>)
        scales(%sq, %sk, %sv : tensor<f32>, tensor<f32>, tensor<f32>)
        : tensor<?x2560xf32> -> tensor<?x2560xf32>, tensor<?x640xf32>, tensor<?x640xf32>
    ```

    Example (the gated FFN up-projection):

    ```mlir
    %m = trit.fused_bitlinear %h norm(%g, eps 1.000000e-05 : tensor<2560xf32>)
        weights(%wg, %wu : tensor<6912x2560x!trit.ternary, #trit.packing<i2_s>>,
                tensor<6912x2560x!trit.ternary, #trit.packing<i2_s>>)
        scales(%sg, %su : tensor<f32>, tensor<f32>) gate relu2
        : tensor<?x2560xf32> -> tensor<?x6912xf32>
    ```
  }];
  let arguments = (ins
    Trit_F32Matrix:$input,
    Optional<Trit_F32Vector>:$norm_weight,
    Variadic<Trit_TernaryMatrix>:$weights,
    Variadic<Trit_WeightScale>:$scales,
    OptionalAttr<F64Attr>:$eps,
    OptionalAttr<Trit_GateKind>:$gate,
    OptionalAttr<Trit_KernelKind>:$kernel,
    OptionalAttr<I64Attr>:$block
  );
  let results = (outs Variadic<Trit_F32Matrix>:$results);
  let assemblyFormat = [{
    $input (`norm` `(` $norm_weight^ `,` `eps` $eps `:` type($norm_weight) `)`)?
    `weights` `(` $weights `:` type($weights) `)`
    `scales` `(` $scales `:` type($scales) `)`
    (`block` $block^)? (`gate` $gate^)? (`kernel` $kernel^)? attr-dict `:`
    type($input) `->` type($results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

def Trit_RopeOp : Trit_Op<"rope", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding of every head of each row";
  let description = [{
    Row `i` holds the heads of the token at position `start + i`; each
    `head_dim`-wide head is rotated with frequencies
    `theta^(-2j/head_dim)`, j = 0 .. head_dim/2-1. `neox` pairs element j
    with element j + head_dim/2 (Hugging Face `rotate_half`, llama.cpp's
    NEOX mode, used by BitNet); `interleaved` pairs elements 2j and 2j+1
    (llama.cpp's NORM mode, used by llama-architecture models).

    `yarn_factor` and `yarn_original_context` (both or neither) extend the
    context with YaRN as llama.cpp does for `rope.scaling.type = yarn`
    (freq_scale 1/factor, ext_factor 1, beta_fast 32, beta_slow 1, the
    magnitude scale 1 + 0.1 ln(factor) times llama.cpp's attn_factor); the
    runtime's RoPE tables apply it at every position.

    Example:

    ```mlir
    %qr = trit.rope neox %q at %pos head_dim 128 theta 5.000000e+05
        : tensor<?x2560xf32>
    %kr = trit.rope neox %k at %pos head_dim 128 theta 1.000000e+06
        {yarn_factor = 4.000000e+00 : f64, yarn_original_context = 32768 : i64}
        : tensor<?x1024xf32>
    ```
  }];
  let arguments = (ins Trit_RopeMode:$mode, Trit_F32Matrix:$input,
                       Index:$start, I64Attr:$head_dim, F64Attr:$theta,
                       OptionalAttr<F64Attr>:$yarn_factor,
                       OptionalAttr<I64Attr>:$yarn_original_context);
  let results = (outs Trit_F32Matrix:$result);
  let assemblyFormat = [{
    $mode $input `at` $start `head_dim` $head_dim `theta` $theta attr-dict
    `:` type($input)
  }];
  let hasVerifier = 1;
}

def Trit_KVStoreOp : Trit_Op<"kv_store",
    [Pure, AllTypesMatch<["cache", "result"]>]> {
  let summary = "Writes keys and values of a run of tokens into the KV cache";
  let description = [{
    Returns `cache` with the keys and values of layer `layer` at positions
    `start .. start + rows - 1` replaced by the rows of `keys` and `values`
    (converted to the cache's element type). Each row holds `kv_heads`
    heads of `head_dim` elements. Bufferization makes the update in place.

    Example:

    ```mlir
    %c1 = trit.kv_store %k, %v into %c0[0] at %pos
        : tensor<?x640xf32>, tensor<?x640xf32>
        -> !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
    ```
  }];
  let arguments = (ins Trit_F32Matrix:$keys, Trit_F32Matrix:$values,
                       Trit_KVCacheType:$cache, I64Attr:$layer, Index:$start);
  let results = (outs Trit_KVCacheType:$result);
  let assemblyFormat = [{
    $keys `,` $values `into` $cache `[` $layer `]` `at` $start attr-dict
    `:` type($keys) `,` type($values) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Trit_AttentionOp : Trit_Op<"attention",
    [Pure, AllTypesMatch<["query", "result"]>]> {
  let summary = "Causal grouped-query attention over the KV cache";
  let description = [{
    Row `i` of `query` is the token at position `p = start + i`; each of its
    `num_heads` heads attends to the keys and values of layer `layer` at
    positions `0 .. p` (which must already be in the cache), with
    `softmax(q k^T * scale) v` in f32. Query head `h` reads KV head
    `h / (num_heads / kv_heads)`. `scale` defaults to `1/sqrt(head_dim)`.

    Example:

    ```mlir
    %o = trit.attention %qr, %c1[0] at %pos heads 20
        : tensor<?x2560xf32>,
          !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
    ```
  }];
  let arguments = (ins Trit_F32Matrix:$query, Trit_KVCacheType:$cache,
                       I64Attr:$layer, Index:$start, I64Attr:$num_heads,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs Trit_F32Matrix:$result);
  let assemblyFormat = [{
    $query `,` $cache `[` $layer `]` `at` $start `heads` $num_heads
    (`scale` $scale^)? attr-dict `:` type($query) `,` qualified(type($cache))
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The softmax scale: `scale` if given, else 1/sqrt(head_dim).
    double getEffectiveScale();
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Trit_GateOp : Trit_Op<"gate", [Pure, SameOperandsAndResultType]> {
  let summary = "Gated activation: act(gate) * up";
  let description = [{
    `relu2`: `max(gate, 0)^2 * up` (BitNet b1.58 2B4T).
    `silu`: `gate / (1 + exp(-gate)) * up` (1bitLLM BitNet, Llama).

    Example:

    ```mlir
    %m = trit.gate relu2 %g, %u : tensor<?x6912xf32>
    ```
  }];
  let arguments = (ins Trit_GateKind:$kind, Trit_F32Matrix:$gate,
                       Trit_F32Matrix:$up);
  let results = (outs Trit_F32Matrix:$result);
  let assemblyFormat = "$kind $gate `,` $up attr-dict `:` type($result)";
}

class Trit_ElementwiseBinaryOp<string mnemonic, string what>
    : Trit_Op<mnemonic, [Pure, Commutative, SameOperandsAndResultType]> {
  let summary = "Elementwise " # what # " of two f32 tensors";
  let arguments = (ins TensorOf<[F32]>:$lhs, TensorOf<[F32]>:$rhs);
  let results = (outs TensorOf<[F32]>:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
  let hasFolder = 1;
}

def Trit_AddOp : Trit_ElementwiseBinaryOp<"add", "sum"> {
  let description = [{
    Used for the residual connections. Folds `x + 0` to `x`.

    Example:

    ```mlir
    %h1 = trit.add %h, %o : tensor<?x2560xf32>
    ```
  }];
}

def Trit_MulOp : Trit_ElementwiseBinaryOp<"mul", "product"> {
  let description = [{
    Folds `x * 1` to `x`.

    Example:

    ```mlir
    %y = trit.mul %x, %w : tensor<?x2560xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// Output
//===----------------------------------------------------------------------===//

def Trit_LMHeadOp : Trit_Op<"lm_head", [Pure]> {
  let summary = "Logits: the final hidden rows times the output matrix";
  let description = [{
    `logits[m, v] = sum_k x[m, k] * table[v, k]`, accumulated in f32. With
    an f16 table (the tied token embedding of BitNet 2B4T) each activation
    row is first rounded to f16, as ggml does for an F16 weight. A ternary
    table with group scales (Ternary Bonsai's head or tied embedding) is a
    BitLinear: each row quantized to Q8_0 blocks of 32, then the
    group-scaled dot of `trit.bitlinear`.

    Example:

    ```mlir
    %logits = trit.lm_head %y, %table
        : tensor<?x2560xf32>, tensor<128256x2560xf16> -> tensor<?x128256xf32>
    %logits = trit.lm_head %y, %table scales %s : tensor<151936x32xf16>
        : tensor<?x4096xf32>,
          tensor<151936x4096x!trit.ternary, #trit.packing<q2_0, block = 128>>
          -> tensor<?x151936xf32>
    ```
  }];
  let arguments = (ins Trit_F32Matrix:$input,
                       AnyTypeOf<[Trit_FloatMatrix, Trit_TernaryMatrix]>:$table,
                       Optional<Trit_WeightScale>:$scales);
  let results = (outs Trit_F32Matrix:$result);
  let assemblyFormat = [{
    $input `,` $table (`scales` $scales^ `:` type($scales))? attr-dict `:`
    type($input) `,` type($table) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // TRIT_DIALECT_TRITOPS_TD
