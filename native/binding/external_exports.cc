// callExternal(op, arg, tensors): runs another addon's native operation (runtime/external_op.h)
// on the tensors' memory, at this point of the stream. The MPI addon's collectives and DDP's
// gradient buckets reach tensor memory this way, in eager and deferred mode alike.
#include <napi.h>

#include <string>
#include <vector>

#include "binding/convert.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"
#include "ops/launch.h"
#include "runtime/external_op.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

constexpr size_t kErrorSize = 512;

const TgExternalOp* ExternalOpArg(Info info, size_t i) {
  if (info.Length() <= i || !info[i].IsExternal()) Fail(StatusCode::kArgument, "callExternal: op must be an external operation");
  const auto* op = static_cast<const TgExternalOp*>(info[i].As<Napi::External<void>>().Data());
  if (op == nullptr || op->abi != TG_EXTERNAL_OP_ABI || op->run == nullptr) {
    Fail(StatusCode::kArgument, "callExternal: the external operation was built for another version of tensorgrad "
         "(rebuild the MPI addon: npx tensorgrad build-mpi)");
  }
  return op;
}

Napi::Value CallExternal(Info info) {
  const TgExternalOp* op = ExternalOpArg(info, 0);
  const int64_t arg = GetInt(info, 1, "arg");
  const std::vector<Tensor> tensors = TensorListArg(info, 2, "tensors");
  std::vector<TgExternalTensor> views;
  views.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (!t.is_contiguous()) Fail(StatusCode::kArgument, "callExternal: tensor ", i, " is not contiguous");
    views.push_back({t.bytes(), t.numel(), t.dtype() == DType::kFloat32 ? kTgExternalFloat32 : kTgExternalInt32});
  }
  const TgExternalRun run = op->run;
  void* context = op->context;
  Launch([=] {
    char error[kErrorSize] = {0};
    if (run(context, arg, views.data(), static_cast<int64_t>(views.size()), error, kErrorSize) != 0) {
      Fail(StatusCode::kDistributed, error[0] != 0 ? error : "external operation failed");
    }
  }, tensors);
  return info.Env().Undefined();
}

constexpr ExportEntry kExports[] = {
    {"callExternal", Guarded<CallExternal>},
};

}  // namespace

const ExportTable kExternalExports = TableOf(kExports);

}  // namespace tg::binding
