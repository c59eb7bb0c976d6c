//===- DialectTest.cpp - C++ API of the trit dialect ----------------------===//
//
// What lit tests cannot see: the layout arithmetic the weight store relies
// on, the types built from C++, and verifier messages of IR built with
// OpBuilder (the way the frontends build it).
//
//===----------------------------------------------------------------------===//

#include "trit/InitTritDialects.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;
using namespace mlir::trit;

namespace {

class TritDialectTest : public ::testing::Test {
protected:
  TritDialectTest() {
    DialectRegistry registry;
    registerTritDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Runs `fn` and returns the diagnostics it emitted, one per line.
  template <typename Fn> std::string captureDiagnostics(Fn &&fn) {
    std::string messages;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      messages += diag.str() + "\n";
      return success();
    });
    fn();
    return messages;
  }

  RankedTensorType ternary(int64_t rows, int64_t cols, PackingKind kind) {
    return RankedTensorType::get({rows, cols}, TernaryType::get(&context),
                                 PackingAttr::get(&context, kind));
  }

  MLIRContext context;
};

TEST_F(TritDialectTest, PackedSizesMatchTheFileFormats) {
  // I2_S: 4 codes per byte (the trailing f32 scale is not part of the layout).
  auto i2s = PackingAttr::get(&context, PackingKind::I2_S);
  EXPECT_EQ(i2s.getBlock(), 128);
  EXPECT_EQ(i2s.getPackedSizeInBytes(2560, 2560), 2560 * 2560 / 4);
  EXPECT_DOUBLE_EQ(i2s.getBitsPerWeight(), 2.0);
  // TQ2_0: 66 bytes per 256 weights; TQ1_0: 54.
  auto tq2 = PackingAttr::get(&context, PackingKind::TQ2_0);
  EXPECT_EQ(tq2.getPackedSizeInBytes(640, 2560), 640 * 10 * 66);
  EXPECT_DOUBLE_EQ(tq2.getBitsPerWeight(), 2.0625);
  auto tq1 = PackingAttr::get(&context, PackingKind::TQ1_0);
  EXPECT_EQ(tq1.getPackedSizeInBytes(2560, 6912), 2560 * 27 * 54);
  EXPECT_DOUBLE_EQ(tq1.getBitsPerWeight(), 1.6875);
  // T3X5: 40 bytes per 192-weight group, 2 bits per weight of the tail; the
  // same sizes as the kernels' trit_t3x5_row_bytes.
  auto t3x5 = PackingAttr::get(&context, PackingKind::T3X5);
  EXPECT_EQ(t3x5.getBlock(), 64);
  EXPECT_EQ(t3x5.getPackedSizeInBytes(2560, 6912), 2560 * 36 * 40);
  EXPECT_EQ(t3x5.getPackedSizeInBytes(640, 2560), 640 * (13 * 40 + 16));
  EXPECT_EQ(t3x5.getPackedSizeInBytes(1, 128), 32);
  EXPECT_DOUBLE_EQ(t3x5.getBitsPerWeight() * 192 / 8, 40.0);
}

TEST_F(TritDialectTest, EncodingRejectsShapesItCannotPack) {
  auto i2s = PackingAttr::get(&context, PackingKind::I2_S);
  Type ternaryElement = TernaryType::get(&context);
  auto emitFn = [&] { return emitError(UnknownLoc::get(&context)); };
  function_ref<InFlightDiagnostic()> emit = emitFn;

  std::string messages = captureDiagnostics([&] {
    EXPECT_FALSE(
        RankedTensorType::getChecked(emit, {64, 100}, ternaryElement, i2s));
  });
  EXPECT_NE(messages.find("multiple of its block of 128, got 100 columns"),
            std::string::npos)
      << messages;

  messages = captureDiagnostics([&] {
    EXPECT_FALSE(RankedTensorType::getChecked(emit, {64, 128},
                                              Float32Type::get(&context), i2s));
  });
  EXPECT_NE(messages.find("layout of ternary tensors"), std::string::npos)
      << messages;

  auto interleaved = PackingAttr::getChecked(emit, &context, PackingKind::I2_S,
                                             int64_t(128), int64_t(4));
  ASSERT_TRUE(interleaved);
  messages = captureDiagnostics([&] {
    EXPECT_FALSE(RankedTensorType::getChecked(emit, {6, 128}, ternaryElement,
                                              interleaved));
  });
  EXPECT_NE(messages.find("interleaves 4 rows"), std::string::npos) << messages;
  EXPECT_TRUE(RankedTensorType::getChecked(emit, {8, 256}, ternaryElement,
                                           interleaved));

  messages = captureDiagnostics([&] {
    EXPECT_FALSE(PackingAttr::getChecked(emit, &context, PackingKind::TQ1_0,
                                         int64_t(128), int64_t(1)));
  });
  EXPECT_NE(messages.find("fixed blocks of 256"), std::string::npos)
      << messages;
}

TEST_F(TritDialectTest, QActAndKVCacheTypes) {
  auto qact = QActType::get(&context, ShapedType::kDynamic, 2560);
  EXPECT_TRUE(ShapedType::isDynamic(qact.getRows()));
  EXPECT_EQ(qact.getCols(), 2560);
  EXPECT_TRUE(qact.isPerRow());

  auto emitFn = [&] { return emitError(UnknownLoc::get(&context)); };
  function_ref<InFlightDiagnostic()> emit = emitFn;
  int64_t shape[] = {4, 100};
  std::string messages = captureDiagnostics([&] {
    EXPECT_FALSE(QActType::getChecked(emit, &context, ArrayRef<int64_t>(shape),
                                      int64_t(256)));
  });
  EXPECT_NE(messages.find("block 256 does not divide the column count 100"),
            std::string::npos)
      << messages;

  // The parser cannot write a negative size; C++ can.
  int64_t negativeRows[] = {-2, 64};
  messages = captureDiagnostics([&] {
    EXPECT_FALSE(QActType::getChecked(
        emit, &context, ArrayRef<int64_t>(negativeRows), int64_t(0)));
  });
  EXPECT_NE(messages.find("row count must not be negative"), std::string::npos)
      << messages;

  auto cache =
      KVCacheType::get(&context, 30, 5, 128, Float16Type::get(&context));
  EXPECT_EQ(cache.getRowWidth(), 640);
  messages = captureDiagnostics([&] {
    EXPECT_FALSE(KVCacheType::getChecked(emit, &context, int64_t(30),
                                         int64_t(5), int64_t(128),
                                         Type(IntegerType::get(&context, 8))));
  });
  EXPECT_NE(messages.find("must be f16, bf16 or f32"), std::string::npos)
      << messages;
}

TEST_F(TritDialectTest, BuiltBitLinearVerifiesAndReportsMismatches) {
  OpBuilder builder(&context);
  Location loc = builder.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  builder.setInsertionPointToEnd(module->getBody());

  RankedTensorType weightType = ternary(640, 2560, PackingKind::I2_S);
  auto scaleType = RankedTensorType::get({}, builder.getF32Type());
  builder.create<GlobalOp>(
      loc, "k.weight", weightType,
      ExternalAttr::get(&context, "m.gguf", "k.weight", WeightPart::Data));
  builder.create<GlobalOp>(
      loc, "k.scale", scaleType,
      ExternalAttr::get(&context, "m.gguf", "k.weight", WeightPart::Scale));

  int64_t dyn = ShapedType::kDynamic;
  auto inputType = RankedTensorType::get({dyn, 2560}, builder.getF32Type());
  auto resultType = RankedTensorType::get({dyn, 640}, builder.getF32Type());
  auto func = builder.create<func::FuncOp>(
      loc, "project", builder.getFunctionType({inputType}, {resultType}));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  Value weight = builder.create<WeightOp>(loc, weightType, "k.weight");
  Value scale = builder.create<WeightOp>(loc, scaleType, "k.scale");
  Value quantized = builder.create<QuantizeOp>(
      loc, QActType::get(&context, dyn, 2560), body->getArgument(0));
  auto bitlinear =
      builder.create<BitLinearOp>(loc, resultType, quantized, weight, scale,
                                  KernelKindAttr());
  builder.create<func::ReturnOp>(loc, bitlinear.getResult());
  EXPECT_TRUE(succeeded(verify(*module)));

  // A result as wide as the input instead of the weight's 640 rows.
  bitlinear.getResult().setType(inputType);
  std::string messages =
      captureDiagnostics([&] { EXPECT_TRUE(failed(verify(*module))); });
  EXPECT_NE(messages.find("output size (weight rows vs result columns) "
                          "mismatch: the weight has 640 but the result has "
                          "2560"),
            std::string::npos)
      << messages;
}

TEST_F(TritDialectTest, ParsedAttentionDefaultsToInverseSqrtHeadDim) {
  const char *source = R"mlir(
    func.func @attend(%q: tensor<?x2560xf32>, %pos: index,
        %cache: !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128,
                               element_type = f16>) -> tensor<?x2560xf32> {
      %o = trit.attention %q, %cache[29] at %pos heads 20
          : tensor<?x2560xf32>,
            !trit.kv_cache<layers = 30, kv_heads = 5, head_dim = 128,
                           element_type = f16>
      return %o : tensor<?x2560xf32>
    })mlir";
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(source, ParserConfig(&context));
  ASSERT_TRUE(module);
  AttentionOp attention;
  module->walk([&](AttentionOp op) { attention = op; });
  ASSERT_TRUE(attention);
  EXPECT_DOUBLE_EQ(attention.getEffectiveScale(), 1.0 / std::sqrt(128.0));
  EXPECT_EQ(attention.getLayer(), 29);
}

} // namespace
