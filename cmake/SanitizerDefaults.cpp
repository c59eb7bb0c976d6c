//===- SanitizerDefaults.cpp - runtime options of sanitized Trit builds ---===//
//
// Linked into every executable of a TRIT_ENABLE_SANITIZERS build.
//
// Debian's libLLVM/libMLIR are not instrumented, but the inline parts of
// llvm::BumpPtrAllocator compiled into Trit's instrumented code poison and
// unpoison allocator slabs by hand. The uninstrumented library then writes to
// memory that instrumented code poisoned, and ASan reports a false
// use-after-poison. Turning off manual poisoning keeps every other check.
//
//===----------------------------------------------------------------------===//

extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0:detect_leaks=1";
}

extern "C" const char *__ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}
