//===- Passes.td - passes on trit IR ------------------------*- tablegen -*-===//

#ifndef TRIT_COMPILER_PASSES_TD
#define TRIT_COMPILER_PASSES_TD

include "mlir/Pass/PassBase.td"

def TritFuseBitLinear : Pass<"trit-fuse-bitlinear"> {
  let summary = "Fuse RMSNorm, activation quantization and the BitLinears "
                "that share one quantized input";
  let description = [{
    For each `trit.quantize` whose users are all per-row `trit.bitlinear`s,
    creates one `trit.fused_bitlinear` that quantizes each row once and feeds
    every one of those BitLinears (q/k/v share one; gate/up share one). When
    the quantized value is a `trit.rms_norm` used only by that quantization,
    the norm moves into the fused op too, so the normalized row is never
    written to memory.

    Left alone: a quantization with a user that is not a BitLinear, one with
    per-block scales (`!trit.qact<..., block = 256>`), a norm with other
    users, and BitLinears whose weights are not available before the first
    of them.

    Before:

    ```mlir
    %a = trit.rms_norm %h, %g eps 1.0e-5 : tensor<?x2560xf32>, tensor<2560xf32>
    %qa = trit.quantize %a : tensor<?x2560xf32> -> !trit.qact<?x2560>
    %q = trit.bitlinear %qa, %wq, %sq : ... -> tensor<?x2560xf32>
    %k = trit.bitlinear %qa, %wk, %sk : ... -> tensor<?x640xf32>
    ```

    After:

    ```mlir
    %q, %k = trit.fused_bitlinear %h norm(%g, eps 1.0e-5 : tensor<2560xf32>)
        weights(%wq, %wk : ...) scales(%sq, %sk : tensor<f32>, tensor<f32>)
        : tensor<?x2560xf32> -> tensor<?x2560xf32>, tensor<?x640xf32>
    ```
  }];
}

def TritFuseGating : Pass<"trit-fuse-gating"> {
  let summary = "Fold the FFN gating into the fused gate/up BitLinear";
  let description = [{
    A `trit.gate` whose gate and up operands are the two results of one
    ungated `trit.fused_bitlinear` (and used nowhere else) becomes that
    op's epilogue: the fused op computes `act(gate) * up` as it produces the
    rows, and the two 6912-wide intermediate rows are never stored.

    Before:

    ```mlir
    %g, %u = trit.fused_bitlinear %h norm(...) weights(%wg, %wu : ...) scales(...)
        : tensor<?x2560xf32> -> tensor<?x6912xf32>, tensor<?x6912xf32>
    %m = trit.gate relu2 %g, %u : tensor<?x6912xf32>
    ```

    After:

    ```mlir
    %m = trit.fused_bitlinear %h norm(...) weights(%wg, %wu : ...) scales(...)
        gate relu2 : tensor<?x2560xf32> -> tensor<?x6912xf32>
    ```
  }];
}

#endif // TRIT_COMPILER_PASSES_TD
