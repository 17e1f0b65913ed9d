// What a per-ISA kernel file includes before its region (isa_target.h says why headers must
// come first): the kernel tables' declarations and the SIMD prelude. simd/isa_unit.inc is the
// body it then includes inside the region.
#pragma once

#include <cstring>

#include "kernels/activation.h"
#include "kernels/eltwise.h"
#include "kernels/gemm/gemm_blocking.h"
#include "kernels/gemm/microkernel.h"
#include "kernels/isa_target.h"
#include "kernels/optim.h"
#include "kernels/reduce.h"
#include "kernels/rnn.h"
#include "kernels/simd/prelude.h"
#include "kernels/softmax.h"
