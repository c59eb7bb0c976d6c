/*===- ops.c - the model operations for AVX2 ------------------------------===*
 *
 * ops_template.h for the avx2 family (AVX2, FMA, F16C: f16 conversions are
 * instructions; -ffp-contract=off keeps the FMA out of the arithmetic). No
 * hooks: the template's C vectorizes.
 *===----------------------------------------------------------------------===*/

#define TRIT_ISA avx2
#include "ops_template.h"
