// The kernel tables for the ISA chosen at load (runtime/cpu_features.h: SelectedIsa).
#pragma once

#include "kernels/activation.h"
#include "kernels/eltwise.h"
#include "kernels/optim.h"
#include "kernels/reduce.h"
#include "kernels/rnn.h"
#include "kernels/softmax.h"
#include "runtime/cpu_features.h"

namespace tg {

struct KernelTable {
  Isa isa;
  const EltwiseKernels* eltwise;
  const ReduceKernels* reduce;
  const ActivationKernels* activation;
  const SoftmaxKernels* softmax;
  const OptimKernels* optim;
  const RnnKernels* rnn;
};

// The table for one ISA (tests compare every supported ISA with the reference).
const KernelTable& KernelsFor(Isa isa);
// The table for SelectedIsa(), resolved once.
const KernelTable& Kernels();

}  // namespace tg
