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
    those kernels read: `#trit.packing<i2_s>` (2 bits per weight),
    `#trit.packing<t3x5>` (1.67 bits per weight: three weights in a 5-bit
    code, a sixth fewer bytes to stream per generated token, the same
    integer results) or `#trit.packing<t3x5, interleave = 64>` (the same
    codes with 64 rows in lanes, whose generation kernel looks up exact
    sums of the token's activations instead of decoding weights).
    `packing=auto`, the default, takes the rows in lanes for the weights of
    a multiple of 64 rows of at most 65536 weights (the generation kernel's
    tables, 11 bytes per column, live on the stack) when the kernels are
    `avx512vnni` and the target
    has AVX-512 VBMI, T3X5 for the other `avx512vnni` weights, which decode
    it at about DRAM speed, and I2_S for the other kernels, whose T3X5
    decoding costs more than the bytes save; `packing=i2_s`, `t3x5` or
    `t3x5x64` forces one. The weight store packs the
    source bytes (I2_S, TQ1_0, TQ2_0, Hugging Face packing...) into it.

    Errors, at the op concerned: no target on the module; a ternary weight
    whose rows are not a multiple of 128 weights (64 for t3x5); with
    `packing=t3x5x64`, a weight whose row count is not a multiple of 64 or
    whose rows are over 65536 weights, or a target or kernel family without
    AVX-512 VBMI; per-block weight scales or per-block activations, which
    the kernels do not apply; a forced kernel (`kernel=...`) that the
    target cannot run. Unknown option values are refused when the options
    are parsed (the enums of trit/Compiler/Options.h).

    Before (with `trit.target` = znver4):

    ```mlir
    trit.global @w : tensor<640x2560x!trit.ternary, #trit.packing<tq2_0>> = ...
    %y = trit.fused_bitlinear %h weights(%w : ...) scales(%s : tensor<f32>) : ...
    ```

    After:

    ```mlir
    trit.global @w : tensor<640x2560x!trit.ternary, #trit.packing<t3x5, interleave = 64>> = ...
    %y = trit.fused_bitlinear %h weights(%w : ...) scales(%s : tensor<f32>)
        kernel avx512vnni : ...
    ```
  }];
  let options = [
    Option<"kernel", "kernel", "::mlir::trit::KernelChoice",
           /*default=*/"::mlir::trit::KernelChoice::Auto",
           "Microkernel family">,
    Option<"packing", "packing", "::mlir::trit::WeightPacking",
           /*default=*/"::mlir::trit::WeightPacking::Auto",
           "Ternary weight layout">
  ];
}

def TritPlanMemory : Pass<"trit-plan-memory", "mlir::ModuleOp"> {
  let summary = "Give every activation a fixed place in one scratch arena";
  let description = [{
    The static memory plan: no allocation per token. For each function of
    the model (every `func.func` that is not an entry point), every tensor
    an op produces, and the scratch some ops need, gets a byte offset in a
    single arena. A tensor with a dynamic token dimension is sized for
    `max-tokens` rows; the runtime splits longer prompts. Offsets are
    assigned in op order by first fit over live ranges (a buffer is free
    once its last reader has run), 64-byte aligned; an op's results never
    share memory with its operands.

    Tensors returned by the function (the logits) are written straight into
    the caller's buffer and get no offset. The plan is recorded as
    attributes the lowering reads:

    - `trit.buffers` on each op: one offset per result, -1 for results that
      live elsewhere (the returned logits, the KV cache);
    - `trit.scratch` on ops that need scratch: the fused BitLinear (its
      normalized row, quantized activations and, when gated, the gate and up
      products), attention (a query row and the probabilities per head), the
      LM head (the activation rounded to f16);
    - `trit.memory_plan = {arena_size, max_tokens, max_context}` on the
      function. `max_context` comes from the module's `trit.model`
      `context_length` unless the `max-context` option is set.

    Before:

    ```mlir
    func.func private @forward(%tokens: tensor<?xi32>, ...) -> ... {
      %h = trit.embedding %table[%tokens] : ... -> tensor<?x2560xf32>
      %n = trit.rms_norm %h, %w eps 1.0e-05 : tensor<?x2560xf32>, ...
    ```

    After (`max-tokens=64`):

    ```mlir
    func.func private @forward(...) attributes {trit.memory_plan =
        {arena_size = 1310720 : i64, max_context = 4096 : i64,
         max_tokens = 64 : i64}} {
      %h = trit.embedding %table[%tokens] {trit.buffers = array<i64: 0>} ...
      %n = trit.rms_norm %h, %w eps 1.0e-05 {trit.buffers = array<i64: 655360>} ...
    ```
  }];
  let options = [
    Option<"maxTokens", "max-tokens", "int64_t",
           /*default=*/"::mlir::trit::kDefaultMaxTokens",
           "rows of a dynamic token dimension the arena holds">,
    Option<"maxContext", "max-context", "int64_t", /*default=*/"0",
           "context length for attention scratch (0: the model's)">
  ];
}

def TritLowerToLLVM : Pass<"trit-lower-to-llvm", "mlir::ModuleOp"> {
  let summary = "Lower planned trit IR to the LLVM dialect as kernel calls";
  let description = [{
    Turns a module that went through `trit-select-kernels` and
    `trit-plan-memory` into LLVM dialect code that implements the runtime
    ABI of `kernels/include/trit/abi.h`:

    - the model function becomes `trit.forward(ctx, tokens, n, start,
      logits, logit_rows)`; the LM head that produces the returned logits
      runs only for the last `logit_rows` positions; each trit op becomes a
      call of the matching `trit_op_<name>_<isa>` kernel
      (kernels/include/trit/ops.def, against which every call is checked)
      with constant shapes and pointers into the arena, the weights or the
      KV cache; one conversion pattern per op, by family
      (compiler/lib/Conversion/LowerToLLVM/);
    - each BitLinear's output rows are split into ranges that the runtime's
      `parallel_for` runs; the range function is generated per kernel and
      shape (`trit.bitlinear.<isa>.<rows>x<cols>`), so once the kernel
      bitcode is inlined into it the loop bounds are constants;
    - every `trit.entry_point` function becomes an exported `trit_<name>`
      that checks its inputs (ABI version, token count against the memory
      plan, context capacity, token ids) and returns a status;
    - external weights become indices into the context's weight table,
      recorded in order as the module's `trit.weights`; inline scalar scales
      become constants. The kernel families to link are recorded as
      `trit.kernel_isas`, and the RoPE table parameters the runtime must
      provide as `trit.rope`.

    Ops other than the BitLinears use the best kernel family the target
    runs. With `norm-codegen=vector`, a standalone `trit.rms_norm` is
    instead generated as scf/arith/vector-dialect loops
    (`trit.rms_norm.vector.<cols>`), which the conversions that follow in
    the `trit-lower` pipeline take to LLVM; docs/design/lowering.md compares
    the two. With `lm-head=q8` the LM head reads an int8 copy of its table
    (one f32 scale per row, weight-table layout `q8_rows`) and quantizes
    its input to int8: half the bytes of an f16 head per generated token,
    at a perplexity cost documented in docs/performance.md. With
    `lm-head=q4` it reads a 4-bit copy (an f32 scale per 128-element block,
    layout `q4_blocks`): a quarter of the bytes. With `lm-head=rerank` it
    estimates every logit from a ternary copy (a scale per row, packed like
    the module's BitLinears: layout `ternary_rows_t3x5` or
    `ternary_rows_i2_s`, about a tenth of the bytes of f16), then recomputes
    the `rerank-candidates` highest from the exact table: the greedy token
    is the exact head's whenever it is among them. With `prompt-lut`, the
    T3X5 BitLinears of calls with 8 tokens or more (prompts) go through
    int8 lookup tables (`trit_op_bitlinear_t3x5_lut_range`, range functions
    `trit.bitlinear.<family>.t3x5lut.<rows>x<cols>`): about 1.7 times the
    exact tiles' speed, inexact (kernels/include/trit/kernels.h defines the
    arithmetic); it needs a target with AVX-512 VBMI and applies to the
    BitLinears with T3X5 weights in the AVX-512 VNNI family (at least one;
    the others stay exact). The pass fails, at the op, on anything the runtime ABI cannot
    express (e.g. a RoPE with another theta than the rest of the model).

    Before:

    ```mlir
    %h = trit.embedding %table[%tokens] {trit.buffers = array<i64: 0>}
        : tensor<512x256xf16>, tensor<?xi32> -> tensor<?x256xf32>
    ```

    After:

    ```mlir
    %c256 = llvm.mlir.constant(256 : i64) : i64
    %h = llvm.getelementptr %arena[0] : (!llvm.ptr) -> !llvm.ptr, i8
    llvm.call @trit_op_embedding_f16_avx512vnni(%table, %tokens, %n, %c256, %h)
        : (!llvm.ptr, !llvm.ptr, i64, i64, !llvm.ptr) -> ()
    ```
  }];
  let options = [
    Option<"normCodegen", "norm-codegen", "::mlir::trit::NormCodegen",
           /*default=*/"::mlir::trit::NormCodegen::Kernel",
           "How a standalone RMSNorm is lowered">,
    Option<"lmHead", "lm-head", "::mlir::trit::LMHead",
           /*default=*/"::mlir::trit::LMHead::Auto",
           "What the LM head reads">,
    Option<"rerankCandidates", "rerank-candidates", "int64_t",
           /*default=*/"::mlir::trit::kDefaultRerankCandidates",
           "Rows per token that lm-head=rerank recomputes from the exact "
           "table (1 to 8192)">,
    Option<"rerankMargin", "rerank-margin", "double",
           /*default=*/"::mlir::trit::kDefaultRerankMargin",
           "Standard deviations of a reranking head's estimate error within "
           "which a row is recomputed exactly (0: no check)">,
    Option<"promptLut", "prompt-lut", "bool", /*default=*/"false",
           "T3X5 BitLinears of prompts (8 tokens or more) through int8 "
           "lookup tables: faster, inexact (needs AVX-512 VBMI)">
  ];
  let dependentDialects = ["mlir::LLVM::LLVMDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::vector::VectorDialect"];
}

#endif // TRIT_COMPILER_PASSES_TD
