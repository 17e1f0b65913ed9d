// Errors raised by the native core. Kernels never throw; ops validate and throw tg::Error,
// whose code the binding maps onto the JS error classes (ShapeError, DTypeError, ...).
#pragma once

#include <exception>
#include <sstream>
#include <string>
#include <utility>

namespace tg {

enum class StatusCode {
  kShape,        // -> ShapeError
  kDType,        // -> DTypeError
  kArgument,     // -> ArgumentError
  kIO,           // -> IOError
  kOutOfMemory,  // -> TensorgradError with code ERR_OUT_OF_MEMORY
  kInternal,     // -> TensorgradError with code ERR_INTERNAL (a bug in tensorgrad)
  kDistributed,  // -> TensorgradError with code ERR_DISTRIBUTED (a collective failed or timed out)
};

class Error : public std::exception {
 public:
  Error(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code() const noexcept { return code_; }
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  StatusCode code_;
  std::string message_;
};

// Builds a message from any streamable pieces: Fail(StatusCode::kShape, "got ", shape).
template <typename... Parts>
[[noreturn]] void Fail(StatusCode code, const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  throw Error(code, out.str());
}

}  // namespace tg
