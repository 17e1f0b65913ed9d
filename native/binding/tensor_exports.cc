// Tensor creation, views, read-out and math, as thin wrappers over autograd/ (the
// differentiable ops) and ops/ (creation and read-out, which nothing differentiates).
#include <napi.h>

#include <cstring>

#include "binding/convert.h"
#include "binding/env_data.h"
#include "binding/errors.h"
#include "binding/exports.h"
#include "binding/tensor_handle.h"
#include "autograd/functions.h"
#include "ops/launch.h"
#include "ops/ops.h"
#include "runtime/status.h"

namespace tg::binding {
namespace {

using Info = const Napi::CallbackInfo&;

struct TypedArrayView {
  napi_typedarray_type type;
  size_t length;
  char* data;  // the first element (byte offset already applied)
};

// napi_get_typedarray_info works for ArrayBuffer- and SharedArrayBuffer-backed arrays alike
// (Napi::TypedArray::ArrayBuffer() does not: it rejects a SharedArrayBuffer).
TypedArrayView ViewOf(napi_env env, napi_value array) {
  TypedArrayView v{};
  void* data = nullptr;
  if (napi_get_typedarray_info(env, array, &v.type, &v.length, &data, nullptr, nullptr) != napi_ok) {
    Fail(StatusCode::kArgument, "data must be a Float32Array or Int32Array");
  }
  v.data = static_cast<char*>(data);
  return v;
}

// fromTypedArray(array: Float32Array | Int32Array, shape, copy: boolean). Without copy the
// tensor borrows the array's memory (kept alive by a reference) and sees later writes to it.
Napi::Value FromTypedArray(Info info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) Fail(StatusCode::kArgument, "data must be a Float32Array or Int32Array");
  const TypedArrayView view = ViewOf(env, info[0]);
  DType dtype;
  if (view.type == napi_float32_array) dtype = DType::kFloat32;
  else if (view.type == napi_int32_array) dtype = DType::kInt32;
  else Fail(StatusCode::kDType, "data must be a Float32Array or Int32Array");
  const Shape shape = GetShape(info, 1, "shape");
  const bool copy = GetBool(info, 2, "copy");
  const int64_t n = CheckedNumel(shape);
  if (n != static_cast<int64_t>(view.length)) {
    Fail(StatusCode::kShape, "shape ", ShapeToString(shape), " needs ", n, " elements, but data has ", view.length);
  }
  if (copy || n == 0) return WrapTensor(env, FromCopy(view.data, shape, dtype));
  napi_ref ref = nullptr;
  if (napi_create_reference(env, info[0], 1, &ref) != napi_ok) Fail(StatusCode::kInternal, "could not reference data");
  // The last tensor on this memory may die inside a GC finalizer, where deleting a reference
  // is not allowed: the graveyard deletes it on the next call.
  auto release = [graveyard = GetEnvData(env).graveyard, ref] { graveyard->Bury(ref); };
  auto storage = Storage::Borrow(view.data, static_cast<size_t>(n) * ElementSize(dtype), release, ref);
  return WrapTensor(env, Tensor(std::move(storage), shape, ContiguousStrides(shape), 0, dtype));
}

Napi::Value Full(Info info) {
  return WrapTensor(info.Env(), tg::Full(GetShape(info, 0, "shape"), GetNumber(info, 1, "value"), GetDType(info, 2, "dtype")));
}

Napi::Value Arange(Info info) {
  return WrapTensor(info.Env(), tg::Arange(GetNumber(info, 0, "start"), GetNumber(info, 1, "end"),
                                           GetNumber(info, 2, "step"), GetDType(info, 3, "dtype")));
}

Napi::Value Rand(Info info) { return WrapTensor(info.Env(), tg::Rand(GetShape(info, 0, "shape"), GetEnvData(info.Env()).generator)); }
Napi::Value Randn(Info info) { return WrapTensor(info.Env(), tg::Randn(GetShape(info, 0, "shape"), GetEnvData(info.Env()).generator)); }

Napi::Value ManualSeed(Info info) {
  const int64_t seed = GetInt(info, 0, "seed");
  GetEnvData(info.Env()).generator.ManualSeed(static_cast<uint64_t>(seed));
  return info.Env().Undefined();
}

// meta(t) -> [shape, strides, dtype, offset]: everything lib/ caches about a tensor, in one call.
Napi::Value Meta(Info info) {
  Napi::Env env = info.Env();
  const Tensor& t = TensorArg(info, 0, "tensor");
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, ToJsArray(env, t.shape()));
  out.Set(1u, ToJsArray(env, t.strides()));
  out.Set(2u, Napi::String::New(env, DTypeName(t.dtype())));
  out.Set(3u, Napi::Number::New(env, static_cast<double>(t.offset())));
  return out;
}

// data(t) -> a typed array over the tensor's memory (a contiguous copy first if t is not
// contiguous). Borrowed memory is handed back as the caller's own array, or a subarray of it.
Napi::Value Data(Info info) {
  Napi::Env env = info.Env();
  const Tensor t = Contiguous(TensorArg(info, 0, "tensor"));
  WaitForData(t);  // deferred work writing t (or the copy just queued) runs first
  const std::shared_ptr<Storage>& storage = t.storage();
  const size_t length = static_cast<size_t>(t.numel());
  if (storage->borrowed() && storage->owner() != nullptr) {
    napi_value source;
    napi_get_reference_value(env, static_cast<napi_ref>(storage->owner()), &source);
    const TypedArrayView view = ViewOf(env, source);
    // offset() counts elements: data<T>() applies it in units of T, so it is added here, not
    // through a char pointer.
    const size_t begin =
        static_cast<size_t>(static_cast<char*>(storage->data()) - view.data) / ElementSize(t.dtype()) + static_cast<size_t>(t.offset());
    if (begin == 0 && length == view.length) return Napi::Value(env, source);
    Napi::Object array(env, source);
    return array.Get("subarray").As<Napi::Function>().Call(
        array, {Napi::Number::New(env, static_cast<double>(begin)), Napi::Number::New(env, static_cast<double>(begin + length))});
  }
  auto* keep = new std::shared_ptr<Storage>(storage);
  storage->AddExportedView(1);  // Storage::Rebind keeps this memory while the array may live
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(
      env, storage->data(), storage->nbytes(),
      [](Napi::BasicEnv, void*, std::shared_ptr<Storage>* k) {
        (*k)->AddExportedView(-1);
        delete k;
      },
      keep);
  const size_t byte_offset = static_cast<size_t>(t.offset()) * ElementSize(t.dtype());
  if (t.dtype() == DType::kInt32) return Napi::Int32Array::New(env, length, buffer, byte_offset);
  return Napi::Float32Array::New(env, length, buffer, byte_offset);
}

// version(t): how many in-place writes t's memory has had (a JS-side cache checks it is current).
Napi::Value Version(Info info) {
  const Tensor& t = TensorArg(info, 0, "tensor");
  return Napi::Number::New(info.Env(), t.storage() ? t.storage()->version() : 0);
}

Napi::Value Item(Info info) {
  const Tensor& t = TensorArg(info, 0, "tensor");
  if (t.numel() != 1) Fail(StatusCode::kShape, "item() needs a tensor with exactly one element, got shape ", ShapeToString(t.shape()));
  WaitForData(t);
  const double v = t.dtype() == DType::kInt32 ? static_cast<double>(*t.data<int32_t>()) : static_cast<double>(*t.data<float>());
  return Napi::Number::New(info.Env(), v);
}

Napi::Value Dispose(Info info) {
  DisposeTensor(info[0]);
  return info.Env().Undefined();
}

Napi::Value Reshape(Info info) { return WrapTensor(info.Env(), autograd::Reshape(TensorArg(info, 0, "tensor"), GetIntList(info, 1, "shape"))); }
Napi::Value View(Info info) { return WrapTensor(info.Env(), autograd::View(TensorArg(info, 0, "tensor"), GetIntList(info, 1, "shape"))); }
Napi::Value Transpose(Info info) {
  return WrapTensor(info.Env(), autograd::Transpose(TensorArg(info, 0, "tensor"), GetInt(info, 1, "dim0"), GetInt(info, 2, "dim1")));
}
Napi::Value Permute(Info info) { return WrapTensor(info.Env(), autograd::Permute(TensorArg(info, 0, "tensor"), GetIntList(info, 1, "dims"))); }
Napi::Value Slice(Info info) {
  return WrapTensor(info.Env(), autograd::Slice(TensorArg(info, 0, "tensor"), GetInt(info, 1, "start"), GetInt(info, 2, "end"), GetInt(info, 3, "step")));
}
Napi::Value Select(Info info) { return WrapTensor(info.Env(), autograd::Select(TensorArg(info, 0, "tensor"), GetInt(info, 1, "index"))); }
Napi::Value Contiguous(Info info) { return WrapTensor(info.Env(), autograd::Contiguous(TensorArg(info, 0, "tensor"))); }
Napi::Value Clone(Info info) { return WrapTensor(info.Env(), autograd::Clone(TensorArg(info, 0, "tensor"))); }
Napi::Value ToDType(Info info) { return WrapTensor(info.Env(), autograd::ToDType(TensorArg(info, 0, "tensor"), GetDType(info, 1, "dtype"))); }

Napi::Value Unary(Info info) { return WrapTensor(info.Env(), autograd::Unary(GetEnum<UnaryOp>(info, 0, "op"), TensorArg(info, 1, "input"))); }
Napi::Value Binary(Info info) {
  return WrapTensor(info.Env(), autograd::Binary(GetEnum<BinaryOp>(info, 0, "op"), TensorArg(info, 1, "input"), TensorArg(info, 2, "other")));
}
Napi::Value BinaryScalar(Info info) {
  return WrapTensor(info.Env(), autograd::BinaryScalar(GetEnum<BinaryOp>(info, 0, "op"), TensorArg(info, 1, "input"),
                                                 static_cast<float>(GetNumber(info, 2, "other")), GetBool(info, 3, "scalarFirst")));
}
Napi::Value Clamp(Info info) {
  return WrapTensor(info.Env(), autograd::Clamp(TensorArg(info, 0, "input"), static_cast<float>(GetNumber(info, 1, "min")),
                                          static_cast<float>(GetNumber(info, 2, "max"))));
}

Napi::Value Reduce(Info info) {
  return WrapTensor(info.Env(), autograd::Reduce(GetEnum<ReduceOp>(info, 0, "op"), TensorArg(info, 1, "input"),
                                           GetIntList(info, 2, "dim"), GetBool(info, 3, "keepdim")));
}
Napi::Value Mean(Info info) {
  return WrapTensor(info.Env(), autograd::Mean(TensorArg(info, 0, "input"), GetIntList(info, 1, "dim"), GetBool(info, 2, "keepdim")));
}
// argExtreme(isMax, t, dim | null, keepdim)
Napi::Value ArgExtreme(Info info) {
  const bool has_dim = info.Length() > 2 && !info[2].IsNull() && !info[2].IsUndefined();
  return WrapTensor(info.Env(), tg::ArgExtreme(GetBool(info, 0, "isMax"), TensorArg(info, 1, "input"), has_dim,
                                               has_dim ? GetInt(info, 2, "dim") : 0, GetBool(info, 3, "keepdim")));
}

Napi::Value Matmul(Info info) { return WrapTensor(info.Env(), autograd::Matmul(TensorArg(info, 0, "input"), TensorArg(info, 1, "other"))); }

// linear(x, weight, bias | null, activation, negativeSlope)
Napi::Value Linear(Info info) {
  return WrapTensor(info.Env(), autograd::Linear(TensorArg(info, 0, "input"), TensorArg(info, 1, "weight"),
                                                 OptionalTensorArg(info, 2, "bias"), GetEnum<Activation>(info, 3, "activation", kActivationCount),
                                                 static_cast<float>(GetNumber(info, 4, "negativeSlope"))));
}

// What this file adds to the module's exports (binding/addon.cc registers every table).
constexpr ExportEntry kExports[] = {
    {"fromTypedArray", Guarded<FromTypedArray>},
    {"full", Guarded<Full>},
    {"arange", Guarded<Arange>},
    {"rand", Guarded<Rand>},
    {"randn", Guarded<Randn>},
    {"manualSeed", Guarded<ManualSeed>},
    {"meta", Guarded<Meta>},
    {"data", Guarded<Data>},
    {"item", Guarded<Item>},
    {"version", Guarded<Version>},
    {"dispose", Guarded<Dispose>},
    {"reshape", Guarded<Reshape>},
    {"view", Guarded<View>},
    {"transpose", Guarded<Transpose>},
    {"permute", Guarded<Permute>},
    {"slice", Guarded<Slice>},
    {"select", Guarded<Select>},
    {"contiguous", Guarded<Contiguous>},
    {"clone", Guarded<Clone>},
    {"toDType", Guarded<ToDType>},
    {"unary", Guarded<Unary>},
    {"binary", Guarded<Binary>},
    {"binaryScalar", Guarded<BinaryScalar>},
    {"clamp", Guarded<Clamp>},
    {"reduce", Guarded<Reduce>},
    {"mean", Guarded<Mean>},
    {"argExtreme", Guarded<ArgExtreme>},
    {"matmul", Guarded<Matmul>},
    {"linear", Guarded<Linear>},
};

}  // namespace

const ExportTable kTensorExports = TableOf(kExports);

}  // namespace tg::binding
