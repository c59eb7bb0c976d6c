//===- VectorCodegen.cpp - ops generated as vector-dialect code -----------===//

#include "trit/Compiler/VectorCodegen.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;

LLVM::LLVMFuncOp mlir::trit::getOrCreateVectorRMSNorm(OpBuilder &b,
                                                      ModuleOp module,
                                                      int64_t cols) {
  std::string name = "trit.rms_norm.vector." + std::to_string(cols);
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  MLIRContext *ctx = module.getContext();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  Location loc = b.getUnknownLoc();
  Type ptr = LLVM::LLVMPointerType::get(ctx), i64 = b.getI64Type(),
       f32 = b.getF32Type(), f64 = b.getF64Type();
  const int64_t lanes = kVectorRMSNormLanes;
  auto vf32 = VectorType::get({lanes}, f32);
  auto vf64 = VectorType::get({lanes}, f64);
  auto func = b.create<LLVM::LLVMFuncOp>(
      loc, name,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                  {ptr, ptr, f32, i64, ptr}),
      LLVM::Linkage::Internal);
  Block *entry = func.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  Value x = entry->getArgument(0), w = entry->getArgument(1),
        eps = entry->getArgument(2), n = entry->getArgument(3),
        out = entry->getArgument(4);
  auto i64c = [&](int64_t v) {
    return b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(v));
  };
  Value zero = i64c(0), one = i64c(1), step = i64c(lanes), width = i64c(cols);
  auto at = [&](OpBuilder &ob, Value base, Value index) {
    return ob.create<LLVM::GEPOp>(loc, ptr, f32, base, ValueRange{index});
  };
  b.create<scf::ForOp>(
      loc, zero, n, one, ValueRange{},
      [&](OpBuilder &rb, Location, Value t, ValueRange) {
        Value rowStart = rb.create<arith::MulIOp>(loc, t, width);
        Value row = at(rb, x, rowStart), outRow = at(rb, out, rowStart);
        // Sum of squares: f32 products, widened, 16 f64 partial sums.
        Value zeros = rb.create<arith::ConstantOp>(
            loc, DenseElementsAttr::get(vf64, rb.getF64FloatAttr(0.0)));
        auto sumLoop = rb.create<scf::ForOp>(
            loc, zero, width, step, ValueRange{zeros},
            [&](OpBuilder &lb, Location, Value k, ValueRange acc) {
              Value v = lb.create<LLVM::LoadOp>(loc, vf32, at(lb, row, k), 4);
              Value sq = lb.create<arith::MulFOp>(loc, v, v);
              Value wide = lb.create<arith::ExtFOp>(loc, vf64, sq);
              Value next = lb.create<arith::AddFOp>(loc, acc[0], wide);
              lb.create<scf::YieldOp>(loc, next);
            });
        Value sum = rb.create<vector::ReductionOp>(
            loc, vector::CombiningKind::ADD, sumLoop.getResult(0));
        Value mean64 = rb.create<arith::DivFOp>(
            loc, sum,
            rb.create<arith::ConstantOp>(loc, rb.getF64FloatAttr(cols)));
        Value mean = rb.create<arith::TruncFOp>(loc, f32, mean64);
        Value root = rb.create<LLVM::SqrtOp>(
            loc, rb.create<arith::AddFOp>(loc, mean, eps));
        Value scale = rb.create<arith::DivFOp>(
            loc, rb.create<arith::ConstantOp>(loc, rb.getF32FloatAttr(1.0f)),
            root);
        Value scales = rb.create<vector::BroadcastOp>(loc, vf32, scale);
        // out = (x * scale) * w, as ggml's rms_norm followed by the mul.
        rb.create<scf::ForOp>(
            loc, zero, width, step, ValueRange{},
            [&](OpBuilder &lb, Location, Value k, ValueRange) {
              Value v = lb.create<LLVM::LoadOp>(loc, vf32, at(lb, row, k), 4);
              Value g = lb.create<LLVM::LoadOp>(loc, vf32, at(lb, w, k), 4);
              Value y = lb.create<arith::MulFOp>(
                  loc, lb.create<arith::MulFOp>(loc, v, scales), g);
              lb.create<LLVM::StoreOp>(loc, y, at(lb, outRow, k), 4);
              lb.create<scf::YieldOp>(loc);
            });
        rb.create<scf::YieldOp>(loc);
      });
  b.create<LLVM::ReturnOp>(loc, ValueRange{});
  return func;
}
