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
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasCanonicalizer = 0;
  let extraClassDeclaration = [{
  private:
    void registerAttributes();
    void registerTypes();
  public:
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
