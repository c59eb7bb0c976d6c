/*===- ops.c - the model operations in portable C -------------------------===*
 *
 * ops_template.h for the generic family: no hooks, no vector extensions (f16
 * conversions by exact bit manipulation, gemv.h).
 *===----------------------------------------------------------------------===*/

#define TRIT_ISA generic
#include "ops_template.h"
