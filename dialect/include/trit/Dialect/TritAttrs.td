//===- TritAttrs.td - trit attributes and enums -------------*- tablegen -*-===//

#ifndef TRIT_DIALECT_TRITATTRS_TD
#define TRIT_DIALECT_TRITATTRS_TD

include "trit/Dialect/TritBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/TensorEncoding.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Trit_PackingKind : I32EnumAttr<"PackingKind",
    "packed layout of a ternary weight matrix", [
      I32EnumAttrCase<"I2_S", 0, "i2_s">,
      I32EnumAttrCase<"TQ2_0", 1, "tq2_0">,
      I32EnumAttrCase<"TQ1_0", 2, "tq1_0">,
      // 3 and 4 were tl1 and tl2, lookup-table layouts that no kernel read.
      I32EnumAttrCase<"T3X5", 5, "t3x5">,
      I32EnumAttrCase<"Q2_0", 6, "q2_0">,
      I32EnumAttrCase<"PTQ1_0", 7, "ptq1_0">,
      I32EnumAttrCase<"Q1_0", 8, "q1_0">,
      I32EnumAttrCase<"T2G", 9, "t2g">
    ]> {
  let cppNamespace = "::mlir::trit";
  let genSpecializedAttr = 0;
}

def Trit_WeightPart : I32EnumAttr<"WeightPart",
    "which part of an external tensor a global refers to", [
      I32EnumAttrCase<"Data", 0, "data">,
      I32EnumAttrCase<"Scale", 1, "scale">
    ]> {
  let cppNamespace = "::mlir::trit";
  let genSpecializedAttr = 0;
}

def Trit_RopeMode : I32EnumAttr<"RopeMode", "rotary embedding pairing", [
      I32EnumAttrCase<"NeoX", 0, "neox">,
      I32EnumAttrCase<"Interleaved", 1, "interleaved">
    ]> {
  let cppNamespace = "::mlir::trit";
}

def Trit_GateKind : I32EnumAttr<"GateKind", "gated FFN activation", [
      I32EnumAttrCase<"Relu2", 0, "relu2">,
      I32EnumAttrCase<"Silu", 1, "silu">
    ]> {
  let cppNamespace = "::mlir::trit";
}

def Trit_KernelKind : I32EnumAttr<"KernelKind",
    "microkernel family a BitLinear runs on", [
      I32EnumAttrCase<"Generic", 0, "generic">,
      I32EnumAttrCase<"AVX2", 1, "avx2">,
      I32EnumAttrCase<"AVX512VNNI", 2, "avx512vnni">,
      I32EnumAttrCase<"NEONDotprod", 3, "neon_dotprod">
    ]> {
  let cppNamespace = "::mlir::trit";
}

//===----------------------------------------------------------------------===//
// #trit.packing
//===----------------------------------------------------------------------===//

def Trit_PackingAttr : Trit_Attr<"Packing", "packing",
    [DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "Packed layout of a ternary weight matrix (tensor encoding)";
  let description = [{
    The encoding of a `tensor<N x K x !trit.ternary>` weight (N outputs, K
    inputs, row-major) that says how its codes are packed in memory:

    | kind    | bits/weight | block (along K)  | source                         |
    |---------|-------------|------------------|--------------------------------|
    | `i2_s`  | 2           | 128 (any multiple of 4) | bitnet.cpp I2_S: 4 codes per byte, MSB first, byte j of a block holds elements j, j+B/4, j+B/2, j+3B/4 |
    | `tq2_0` | 2.0625      | 256              | llama.cpp TQ2_0: 64 code bytes + f16 scale per block |
    | `tq1_0` | 1.6875      | 256              | llama.cpp TQ1_0: base-3, 5 trits per byte + f16 scale |
    | `t3x5`  | 1.67-1.75   | 64               | bitnet.cpp's TL2 idea in Trit's own byte layout: 192-weight groups of 64 five-bit codes (4-bit index of a triple + sign bit), 40 bytes each, stored in pairs that share their index bytes; the row's last K mod 192 weights in I2_S (kernels/include/trit/kernels.h) |
    | `q2_0`  | 2 + 16/B    | 64 or 128        | Ternary Bonsai's Q2_0 (B = 64, GGUF id 42) and PQ2_0 (B = 128, id 142 or the legacy id 42): per block an f16 scale, then 2-bit codes LSB first |
    | `ptq1_0`| 1.75        | 128              | PrismML's PTQ1_0 (id 143): base-3, 24 + 2 bytes of trits, then the f16 scale |
    | `q1_0`  | 1.125       | 128              | llama.cpp's binary Q1_0 (id 41): f16 scale, then 128 sign bits |
    | `t2g`   | 2 + 16/B    | 64 or 128        | Trit's kernel layout of the three above: 2-bit codes with 16 rows in lanes and the blocks' f16 scales (interleave 16; rows padded to 16; kernels/include/trit/kernels.h) |

    `interleave` is the number of consecutive rows whose blocks are stored
    together (1 = plain row-major); target-specific kernels choose it.
    `t3x5` takes 1 or 64: with 64, the same codes with 64 rows in lanes for
    the AVX-512 VBMI kernels (12-column quads whose triples are columns
    12Q + t, + 4, + 8; per 64-row superblock the rows' sign sums, then 80
    bytes per pair of quads and 16 rows; rows padded to 24 weights;
    kernels/include/trit/kernels.h). Blocks
    never straddle rows: K must be a multiple of `block`, and N a multiple of
    `interleave` (but for `t2g`, which pads its last 16 rows). The
    group-scaled kinds (`q2_0`, `ptq1_0`, `q1_0`, `t2g`) scale each block by
    its own f16 value: their BitLinears take a `tensor<N x K/B x f16>`
    weight scale.

    Example:

    ```mlir
    tensor<2560x2560x!trit.ternary, #trit.packing<i2_s>>
    tensor<6912x2560x!trit.ternary, #trit.packing<i2_s, block = 64, interleave = 4>>
    tensor<2560x6912x!trit.ternary, #trit.packing<tq1_0>>
    tensor<2560x2560x!trit.ternary, #trit.packing<t3x5>>
    tensor<2560x2560x!trit.ternary, #trit.packing<t3x5, interleave = 64>>
    tensor<4096x4096x!trit.ternary, #trit.packing<q2_0>>
    tensor<4096x4096x!trit.ternary, #trit.packing<t2g, block = 128, interleave = 16>>
    ```
  }];
  let parameters = (ins
    EnumParameter<Trit_PackingKind>:$kind,
    "int64_t":$block,
    "int64_t":$interleave
  );
  let builders = [
    AttrBuilder<(ins "PackingKind":$kind), [{
      return $_get($_ctxt, kind, getDefaultBlock(kind), 1);
    }]>
  ];
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The block size of `kind` when none is written.
    static int64_t getDefaultBlock(PackingKind kind);
    /// Storage cost in bits per weight, packing metadata included.
    double getBitsPerWeight() const;
    /// Bytes occupied by an N x K matrix in this layout (block scales
    /// included; per-tensor scales are stored separately).
    int64_t getPackedSizeInBytes(int64_t rows, int64_t cols) const;
  }];
}

//===----------------------------------------------------------------------===//
// #trit.external
//===----------------------------------------------------------------------===//

def Trit_ExternalAttr : Trit_Attr<"External", "external"> {
  let summary = "Tensor data stored outside the IR, in a model file";
  let description = [{
    Names the storage of a `trit.global`: the model file (`source`, as given
    to the importer), the tensor's name in that file (`key`), and the part of
    it (`data`, the default, or the per-tensor `scale` that some formats
    store with the data, like the trailing f32 of an I2_S tensor). The weight
    store resolves it against the memory-mapped file; the bytes never enter
    the IR.

    Example:

    ```mlir
    #trit.external<"model.gguf", "blk.0.attn_q.weight">
    #trit.external<"model.gguf", "blk.0.attn_q.weight", scale>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"model file">:$source,
    StringRefParameter<"tensor name in the file">:$key,
    "WeightPart":$part
  );
  let hasCustomAssemblyFormat = 1;
}

//===----------------------------------------------------------------------===//
// #trit.target
//===----------------------------------------------------------------------===//

def Trit_TargetAttr : Trit_Attr<"Target", "target"> {
  let summary = "The CPU a module is compiled for";
  let description = [{
    The target triple, the concrete CPU name (never `host`: tritc resolves
    it when it compiles) and the complete feature list, as LLVM spells them.
    It sits on the module as `trit.target`; every pass that depends on the
    target reads it from there, so lit tests set it in their input.

    Example:

    ```mlir
    module attributes {trit.target = #trit.target<"x86_64-unknown-linux-gnu",
        "znver4", "+avx2,+avx512bw,+avx512f,+avx512vnni,+fma">} {}
    ```
  }];
  let parameters = (ins
    StringRefParameter<"target triple">:$triple,
    StringRefParameter<"CPU name">:$cpu,
    StringRefParameter<"comma-separated +feature/-feature list">:$features
  );
  let assemblyFormat = "`<` $triple `,` $cpu `,` $features `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The module attribute name.
    static constexpr ::llvm::StringLiteral getAttrName() {
      return ::llvm::StringLiteral("trit.target");
    }
    /// True when `feature` (without sign) is enabled.
    bool hasFeature(::llvm::StringRef feature) const;
    /// The target of the module enclosing `op`, or null.
    static TargetAttr lookup(::mlir::Operation *op);
  }];
}

#endif // TRIT_DIALECT_TRITATTRS_TD
