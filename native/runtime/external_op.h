// The C interface through which another addon runs native code at a point of this addon's
// stream: the optional MPI addon (native/dist/) hands its collectives to the main addon as an
// ExternalOp in a napi_external, and lib/ passes it to native.callExternal with the tensors it
// works on. The two addons share no C++ types (each links its own runtime), so this header is
// plain C: data pointers, sizes and a function pointer.
//
// `run` is called where a kernel on those tensors would run: at once in eager mode, on the
// executor's thread in deferred mode, after every op queued before it, so the data is complete
// and ordered with the ops around it. It must not call into JS. It returns 0, or non-zero
// with a message in `error` (NUL-terminated, at most error_size bytes), which surfaces as a
// TensorgradError like a kernel's failure.
#pragma once

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Bumped when the structs below change: a mismatched pair of addons fails with a clear error.
#define TG_EXTERNAL_OP_ABI 0x74670001u

enum TgExternalDType { kTgExternalFloat32 = 0, kTgExternalInt32 = 1 };

typedef struct TgExternalTensor {
  void* data;      // contiguous elements
  int64_t numel;
  int32_t dtype;   // TgExternalDType
} TgExternalTensor;

typedef int (*TgExternalRun)(void* context, int64_t arg, const TgExternalTensor* tensors, int64_t count, char* error,
                             size_t error_size);

typedef struct TgExternalOp {
  uint32_t abi;  // TG_EXTERNAL_OP_ABI
  TgExternalRun run;
  void* context;  // owned by the other addon, alive while it can be called
} TgExternalOp;

#ifdef __cplusplus
}
#endif
