//===- ModelInternal.h - helpers shared by the importers --------*- C++ -*-===//

#ifndef TRIT_FRONTENDS_LIB_MODELINTERNAL_H
#define TRIT_FRONTENDS_LIB_MODELINTERNAL_H

#include "trit/Frontends/Model.h"

namespace trit {

namespace gguf {
class File;
} // namespace gguf

/// Fills `model` from a parsed GGUF file whose bytes the caller keeps alive
/// (importGGUF maps the file; the GGUF fuzzer imports from memory).
llvm::Error importGGUFFile(const gguf::File &file, Model &model);

float decodeHalf(uint16_t bits);
float decodeBFloat16(uint16_t bits);
/// Scale of a float ternary weight: absmean for masters, max|w| otherwise.
float computeFloatTernaryScale(const Weight &weight);

/// Bytes of one block of a group-scaled ternary encoding (Q2_0: 18 for 64
/// weights; PQ2_0: 34, PTQ1_0: 28, Q1_0: 18 for 128); 0 for the others.
uint64_t getGroupBlockBytes(WeightEncoding encoding);
/// Weights per block of a group-scaled ternary encoding; 0 for the others.
int64_t getEncodingGroupSize(WeightEncoding encoding);

/// The per-layer linears of every architecture, by canonical suffix.
inline bool isTernaryLinear(llvm::StringRef canonicalName) {
  for (llvm::StringRef suffix :
       {".attn_q.weight", ".attn_k.weight", ".attn_v.weight",
        ".attn_output.weight", ".ffn_gate.weight", ".ffn_up.weight",
        ".ffn_down.weight"})
    if (canonicalName.starts_with("blk.") && canonicalName.ends_with(suffix))
      return true;
  return false;
}

} // namespace trit

#endif // TRIT_FRONTENDS_LIB_MODELINTERNAL_H
