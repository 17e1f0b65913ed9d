#include "kernels/kernel_table.h"

namespace tg {

const KernelTable& KernelsFor(Isa isa) {
  static const KernelTable ref{Isa::kRef, &kEltwiseRef, &kReduceRef, &kActivationRef,
                                &kSoftmaxRef, &kOptimRef, &kRnnRef};
#if defined(__x86_64__) || defined(_M_X64)
  static const KernelTable avx2{Isa::kAvx2, &kEltwiseAvx2, &kReduceAvx2, &kActivationAvx2,
                                 &kSoftmaxAvx2, &kOptimAvx2, &kRnnAvx2};
  static const KernelTable avx512{Isa::kAvx512, &kEltwiseAvx512, &kReduceAvx512,
                                   &kActivationAvx512, &kSoftmaxAvx512, &kOptimAvx512, &kRnnAvx512};
  if (isa == Isa::kAvx512 && IsaSupported(Isa::kAvx512)) return avx512;
  if (isa == Isa::kAvx2 && IsaSupported(Isa::kAvx2)) return avx2;
#endif
  (void)isa;
  return ref;
}

const KernelTable& Kernels() {
  static const KernelTable& table = KernelsFor(SelectedIsa());
  return table;
}

}  // namespace tg
