/*===- ops.c - the model operations for NEON dotprod ----------------------===*
 *
 * ops_template.h for the neon_dotprod family (AArch64: f16 conversions are
 * instructions). No hooks: the template's C vectorizes.
 *===----------------------------------------------------------------------===*/

#define TRIT_ISA neon_dotprod
#include "ops_template.h"
