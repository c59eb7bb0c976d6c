//===- ModelImportTest.cpp - importing generated models -------------------===//
//
// Imports models written by tools/trit-gen-model.py and checks what the
// compiler relies on: every external global of the built module resolves to
// a weight of the same shape through the model (the weight store), and the
// ternary values of a GGUF file and a Hugging Face folder of one seed agree.
//
//===----------------------------------------------------------------------===//

#include "trit/Compiler/WeightLayouts.h"
#include "trit/Dialect/TritOps.h"
#include "trit/Frontends/ModelBuilder.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"

#include <gtest/gtest.h>

using namespace trit;

namespace {

/// Writes a generated model into a fresh temporary path.
std::string generate(llvm::ArrayRef<llvm::StringRef> args) {
  llvm::SmallString<128> dir;
  EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("trit-import", dir));
  std::string out = (dir + "/model").str();
  std::vector<llvm::StringRef> argv = {"/usr/bin/python3", TRIT_GEN_MODEL, out};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(argv[0], argv, std::nullopt, {}, 0, 0,
                                     &error);
  EXPECT_EQ(rc, 0) << error;
  return out;
}

TEST(ModelImport, EveryExternalGlobalResolvesToItsWeight) {
  std::string path = generate({"--format", "gguf", "--seed", "5"});
  auto model = importModel(path);
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  mlir::MLIRContext context;
  auto module = buildModule(context, **model);
  ASSERT_TRUE(mlir::succeeded(mlir::verify(*module)));
  int resolved = 0;
  module->walk([&](mlir::trit::GlobalOp global) {
    auto external = llvm::dyn_cast<mlir::trit::ExternalAttr>(global.getValue());
    if (!external)
      return;
    const Weight *w =
        (*model)->lookupExternal(external.getSource(), external.getKey());
    ASSERT_TRUE(w) << global.getSymName().str();
    EXPECT_EQ(w->name, global.getSymName());
    EXPECT_EQ(llvm::ArrayRef<int64_t>(w->shape),
              global.getTensorType().getShape());
    ++resolved;
  });
  EXPECT_EQ(resolved, int((*model)->weights.size()));
  EXPECT_FALSE((*model)->lookupExternal(path, "no.such.tensor"));
}

TEST(ModelImport, GGUFAndHuggingFaceFormsDecodeToTheSameTernaryValues) {
  std::string gguf = generate({"--format", "gguf", "--type", "tq1_0"});
  std::string hf = generate({"--format", "hf"});
  auto a = importModel(gguf);
  auto b = importModel(hf);
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  int compared = 0;
  for (const Weight &w : (*a)->weights) {
    if (!w.ternary)
      continue;
    const Weight *other = (*b)->lookup(w.name);
    ASSERT_TRUE(other);
    EXPECT_EQ(w.encoding, WeightEncoding::TQ1_0);
    EXPECT_EQ(other->encoding, WeightEncoding::HFPacked);
    auto x = decodeTernary(w), y = decodeTernary(*other);
    ASSERT_TRUE(x && y);
    EXPECT_EQ(*x, *y) << w.name;
    EXPECT_EQ(w.scale, other->scale) << w.name;
    ++compared;
  }
  EXPECT_EQ(compared, 14); // 2 layers x 7 linears
  EXPECT_EQ((*a)->tokenizer.tokens, (*b)->tokenizer.tokens);
  EXPECT_EQ((*a)->tokenizer.merges, (*b)->tokenizer.merges);
  EXPECT_EQ((*a)->tokenizer.eotId, (*b)->tokenizer.eotId);
}

TEST(ModelImport, EverySourcePacksToTheSameI2SBytes) {
  std::string reference = generate({"--format", "gguf", "--seed", "11"});
  auto i2s = importModel(reference);
  ASSERT_TRUE(bool(i2s)) << llvm::toString(i2s.takeError());
  std::vector<std::vector<llvm::StringRef>> sources = {
      {"--format", "gguf", "--seed", "11", "--type", "tq1_0"},
      {"--format", "gguf", "--seed", "11", "--type", "tq2_0"},
      {"--format", "gguf", "--seed", "11", "--type", "f16"},
      {"--format", "hf", "--seed", "11"}};
  for (const auto &args : sources) {
    auto model = importModel(generate(args));
    ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
    for (const Weight &w : (*i2s)->weights) {
      if (!w.ternary)
        continue;
      std::vector<uint8_t> refStorage, storage;
      auto expected = packWeight(w, WeightLayout::I2_S, refStorage);
      ASSERT_TRUE(bool(expected));
      // An I2_S source is used in place, not copied.
      EXPECT_TRUE(refStorage.empty());
      EXPECT_EQ(expected->data(), w.data.data());
      auto packed =
          packWeight(*(*model)->lookup(w.name), WeightLayout::I2_S, storage);
      ASSERT_TRUE(bool(packed)) << llvm::toString(packed.takeError());
      EXPECT_EQ(*packed, *expected) << w.name << " from " << args[1].str();
    }
  }
}

} // namespace
