// Each *_exports.cc lists its functions in one table; binding/addon.cc registers every table
// into each environment's exports.
#pragma once

#include <napi.h>

#include <cstddef>

namespace tg::binding {

using NativeFunction = Napi::Value (*)(const Napi::CallbackInfo&);

struct ExportEntry {
  const char* name;
  NativeFunction fn;
};

struct ExportTable {
  const ExportEntry* entries;
  size_t size;
};

template <size_t N>
constexpr ExportTable TableOf(const ExportEntry (&entries)[N]) {
  return {entries, N};
}

extern const ExportTable kTensorExports;
extern const ExportTable kRuntimeExports;
extern const ExportTable kAutogradExports;
extern const ExportTable kNnExports;
extern const ExportTable kNormExports;
extern const ExportTable kPoolExports;
extern const ExportTable kConvExports;
extern const ExportTable kRnnExports;
extern const ExportTable kInplaceExports;
extern const ExportTable kOptimExports;
extern const ExportTable kAsyncExports;
extern const ExportTable kDeferredExports;
extern const ExportTable kSharedExports;
extern const ExportTable kSequenceExports;
extern const ExportTable kIoExports;
extern const ExportTable kExternalExports;

}  // namespace tg::binding
