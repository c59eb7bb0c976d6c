/*===- families.h - the kernel families, listed once ---------------*- C -*-===*
 *
 * Each family defines the kernels trit/kernels.h declares per family and
 * every operation of trit/ops.def, named <name>_<family>; its code is one
 * directory of kernels/src (docs/development.md, "Adding a kernel ISA").
 * TRIT_KERNEL_FAMILIES(X, args...) applies X(family, args...) to each, so
 * a new family is one more line here for every declaration list.
 *===----------------------------------------------------------------------===*/

#ifndef TRIT_FAMILIES_H
#define TRIT_FAMILIES_H

#define TRIT_KERNEL_FAMILIES(X, ...)                                           \
  X(generic, __VA_ARGS__)                                                      \
  X(avx2, __VA_ARGS__)                                                         \
  X(avx512vnni, __VA_ARGS__)                                                   \
  X(neon_dotprod, __VA_ARGS__)

#endif /* TRIT_FAMILIES_H */
