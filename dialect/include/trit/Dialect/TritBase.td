//===- TritBase.td - trit dialect definition ----------------*- tablegen -*-===//
//
// The `trit` dialect: ternary (BitNet b1.58) language models with tensor
// value semantics.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DIALECT_TRITBASE_TD
#define TRIT_DIALECT_TRITBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def Trit_Dialect : Dialect {
  let name = "trit";
  let cppNamespace = "::mlir::trit";
  let summary = "Ternary (1.58-bit) language models: weights, quantized "
                "activations, BitLinear, norms, RoPE and attention";
  let description = [{
    The `trit` dialect describes the forward pass of ternary language models
    such as BitNet b1.58 2B4T in the model's own terms. Values are tensors
    (value semantics); weights are module-level symbols (`trit.global`)
    backed by external storage (the mapped model file) and referenced with
    `trit.weight`, so the IR of a 2B-parameter model stays a few hundred
    kilobytes.

    Ternary weights have the element type `!trit.ternary` and carry their
    packed layout as the tensor encoding (`#trit.packing<...>`). Activations
    that feed a BitLinear are quantized per row to int8 with a scale and a
    row sum (`!trit.qact`). The KV cache of all layers is one value of type
    `!trit.kv_cache` threaded through the layers.

    Numerics follow bitnet.cpp's I2_S CPU path: per-row absmax int8
    activations (scale 127/max), exact int32 dot products, and
    `(dot - rowsum) / act_scale * weight_scale` in f32.

    The dialect owns these discardable attributes, which carry the contract
    between the frontends, the passes, the lowering and the artifact writer;
    each is verified where it appears, and any other `trit.` attribute is an
    error:

    | attribute | on | value |
    |---|---|---|
    | `trit.target` | module | `#trit.target<triple, cpu, features>` |
    | `trit.model` | module | the model's hyperparameters (dictionary) |
    | `trit.entry_point` | function | its name: `"prefill"`, `"decode"` |
    | `trit.memory_plan` | model function, lowered module | `{arena_size, max_tokens, max_context}` |
    | `trit.buffers`, `trit.scratch` | planned op | arena offsets (`array<i64>`) |
    | `trit.weights` | lowered module | the weight table: a list of `{layout, name}` |
    | `trit.kernel_isas` | lowered module | the kernel families to link |
    | `trit.rope` | lowered module | `{head_dim, theta[, yarn_factor, yarn_original_context]}` |
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasCanonicalizer = 0;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
  private:
    void registerAttributes();
    void registerTypes();
  public:
    // The dialect's discardable attributes: what the frontends, the passes
    // and the lowering tell each other and the artifact writer. Each is
    // verified where it appears (verifyOperationAttribute); no other
    // `trit.` attribute is allowed.

    /// Module: the model's hyperparameters (a dictionary), from the frontend.
    static constexpr ::llvm::StringLiteral kModelAttrName = "trit.model";
    /// Function: the name of an entry point (`prefill`, `decode`).
    static constexpr ::llvm::StringLiteral kEntryPointAttrName =
        "trit.entry_point";
    /// Model function, then module: the memory plan (`arena_size`,
    /// `max_tokens`, `max_context`), from trit-plan-memory.
    static constexpr ::llvm::StringLiteral kMemoryPlanAttrName =
        "trit.memory_plan";
    /// Op: the arena offset of each result (-1: none), and of its scratch
    /// buffers, from trit-plan-memory.
    static constexpr ::llvm::StringLiteral kBuffersAttrName = "trit.buffers";
    static constexpr ::llvm::StringLiteral kScratchAttrName = "trit.scratch";
    /// Lowered module: the weight table in order, each entry a dictionary
    /// of `name` and `layout` (trit/layouts.h).
    static constexpr ::llvm::StringLiteral kWeightsAttrName = "trit.weights";
    /// Lowered module: the kernel families whose bitcode to link.
    static constexpr ::llvm::StringLiteral kKernelIsasAttrName =
        "trit.kernel_isas";
    /// Lowered module: the RoPE table the runtime provides (`head_dim`,
    /// `theta`, and with YaRN `yarn_factor`, `yarn_original_context`).
    static constexpr ::llvm::StringLiteral kRopeAttrName = "trit.rope";
  }];
}

class Trit_Op<string mnemonic, list<Trait> traits = []>
    : Op<Trit_Dialect, mnemonic, traits>;

class Trit_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Trit_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

class Trit_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Trit_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // TRIT_DIALECT_TRITBASE_TD
