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

def TritSelectKernels : Pass<"trit-select-kernels", "mlir::ModuleOp"> {
  let summary = "Choose the microkernel and weight layout of every BitLinear "
                "for the target CPU";
  let description = [{
    Reads the module's `#trit.target` and picks the best microkernel family
    the CPU can run: on x86 `avx512vnni` (needs avx512vnni, avx512bw,
    avx512vl), else `avx2`; on aarch64 `neon_dotprod` (needs dotprod);
    otherwise the portable `generic` kernel (slower, never wrong). The
    choice is recorded as `kernel` on every `trit.bitlinear` and
    `trit.fused_bitlinear`, and every ternary `trit.global` takes the layout
    those kernels read, `#trit.packing<i2_s>`; the weight store packs the
    source bytes (TQ1_0, TQ2_0, Hugging Face packing...) into it.

    Errors, at the op concerned: no target on the module; a ternary weight
    whose rows are not a multiple of 128 weights; per-block weight scales or
    per-block activations, which the kernels do not apply; a forced kernel
    (`kernel=...`) that the target cannot run.

    Before (with `trit.target` = znver4):

    ```mlir
    trit.global @w : tensor<640x2560x!trit.ternary, #trit.packing<tq2_0>> = ...
    %y = trit.fused_bitlinear %h weights(%w : ...) scales(%s : tensor<f32>) : ...
    ```

    After:

    ```mlir
    trit.global @w : tensor<640x2560x!trit.ternary, #trit.packing<i2_s>> = ...
    %y = trit.fused_bitlinear %h weights(%w : ...) scales(%s : tensor<f32>)
        kernel avx512vnni : ...
    ```
  }];
  let options = [
    Option<"kernel", "kernel", "std::string", /*default=*/"\"auto\"",
           "auto (the best the target runs), or force generic, avx2, "
           "avx512vnni or neon_dotprod">
  ];
}

#endif // TRIT_COMPILER_PASSES_TD
