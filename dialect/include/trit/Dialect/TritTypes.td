//===- TritTypes.td - trit types ----------------------------*- tablegen -*-===//

#ifndef TRIT_DIALECT_TRITTYPES_TD
#define TRIT_DIALECT_TRITTYPES_TD

include "trit/Dialect/TritBase.td"
include "mlir/IR/BuiltinTypeInterfaces.td"

def Trit_TernaryType : Trit_Type<"Ternary", "ternary"> {
  let summary = "Ternary element type: one of -1, 0, +1";
  let description = [{
    The element type of ternary weight tensors. How elements are stored is
    the tensor's encoding (`#trit.packing`); a ternary tensor without an
    encoding has not been assigned a layout yet.

    Example:

    ```mlir
    tensor<640x2560x!trit.ternary, #trit.packing<i2_s>>
    ```
  }];
}

def Trit_QActType : Trit_Type<"QAct", "qact"> {
  let summary = "Quantized activations: int8 rows with a scale and a row sum";
  let description = [{
    A `rows x cols` matrix of activations quantized to int8 for BitLinear,
    together with one f32 scale and one i32 sum of the int8 codes per row,
    or per block of `block` columns when `block` is given. `rows` may be
    dynamic (the number of tokens); `cols` is static.

    With per-row quantization (bitnet.cpp's I8_S), for a row x:
    `scale = 127 / max(max_k |x_k|, 1e-5)`,
    `q_k = clamp(round_half_even(x_k * scale), -128, 127)`, `sum = sum_k q_k`.

    With blocks (llama.cpp's Q8_0 with `block = 32`, which the group-scaled
    ternary BitLinears of Ternary Bonsai read), for each block x:
    `d = max_k |x_k| / 127`, `q_k = round_half_away(x_k * (1 / d))` (0 when
    d is 0), and the scale is d rounded to f16 (ggml's generic
    quantize_row_q8_0).

    Example:

    ```mlir
    !trit.qact<?x2560>
    !trit.qact<?x4096, block = 32>
    ```
  }];
  let parameters = (ins
    ArrayRefParameter<"int64_t">:$shape,
    "int64_t":$block
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    TypeBuilder<(ins "int64_t":$rows, "int64_t":$cols), [{
      int64_t shape[] = {rows, cols};
      return $_get($_ctxt, ArrayRef<int64_t>(shape), int64_t(0));
    }]>
  ];
  let extraClassDeclaration = [{
    int64_t getRows() const { return getShape()[0]; }
    int64_t getCols() const { return getShape()[1]; }
    /// True when there is one scale per row (block == 0).
    bool isPerRow() const { return getBlock() == 0; }
  }];
}

def Trit_KVCacheType : Trit_Type<"KVCache", "kv_cache"> {
  let summary = "Key/value cache of every attention layer of a model";
  let description = [{
    The keys and values of all `layers` attention layers for positions
    `0 .. capacity-1`, `kv_heads` heads of `head_dim` elements each, stored
    as `element_type` (f16 as in llama.cpp's default, or f32/bf16). The
    capacity (context length) is chosen by the runtime when it creates an
    inference context, so it is not part of the type.

    Example:

    ```mlir
    !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128, element_type = f16>
    ```
  }];
  let parameters = (ins
    "int64_t":$layers,
    "int64_t":$kv_heads,
    "int64_t":$head_dim,
    "Type":$element_type
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Elements of one position of one layer, keys or values.
    int64_t getRowWidth() const { return getKvHeads() * getHeadDim(); }
  }];
}

#endif // TRIT_DIALECT_TRITTYPES_TD
