// Elementwise ops and their gradients. A broadcast input's gradient is summed back to its own
// shape (SumTo). Formulas and their edge cases (pow at 0, ties in maximum) follow PyTorch's
// derivatives.yaml.
#include <cmath>

#include "autograd/functions.h"
#include "ops/map.h"
#include "autograd/record.h"

namespace tg::autograd {
namespace {

const char* UnaryGradName(UnaryOp op) {
  static const char* names[] = {"NegBackward0", "ExpBackward0", "LogBackward0", "SqrtBackward0", "AbsBackward0"};
  return names[static_cast<int>(op)];
}

const char* BinaryGradName(BinaryOp op) {
  static const char* names[] = {"AddBackward0", "SubBackward0", "MulBackward0", "DivBackward0",
                                "PowBackward1", "MaximumBackward0", "MinimumBackward0"};
  return names[static_cast<int>(op)];
}

// d/da and d/db of op at (a, b) with output y, times g. Each returns the full broadcast
// shape; the caller sums to the input's shape.
float BinaryGradA(BinaryOp op, float g, float a, float b, float y) {
  switch (op) {
    case BinaryOp::kAdd: return g;
    case BinaryOp::kSub: return g;
    case BinaryOp::kMul: return g * b;
    case BinaryOp::kDiv: return g / b;
    case BinaryOp::kPow: return b == 0.0f ? 0.0f : g * b * std::pow(a, b - 1.0f);
    case BinaryOp::kMaximum: return a > b ? g : (a == b ? g * 0.5f : 0.0f);
    case BinaryOp::kMinimum: return a < b ? g : (a == b ? g * 0.5f : 0.0f);
    default: return 0.0f;
  }
}

float BinaryGradB(BinaryOp op, float g, float a, float b, float y) {
  switch (op) {
    case BinaryOp::kAdd: return g;
    case BinaryOp::kSub: return -g;
    case BinaryOp::kMul: return g * a;
    case BinaryOp::kDiv: return -g * a / (b * b);
    case BinaryOp::kPow: return (a == 0.0f && b >= 0.0f) ? 0.0f : g * y * std::log(a);
    case BinaryOp::kMaximum: return b > a ? g : (a == b ? g * 0.5f : 0.0f);
    case BinaryOp::kMinimum: return b < a ? g : (a == b ? g * 0.5f : 0.0f);
    default: return 0.0f;
  }
}

}  // namespace

Tensor Unary(UnaryOp op, const Tensor& x) {
  Tensor y = tg::Unary(op, x);
  if (!AnyRequiresGrad({&x})) return Plain(y);
  return Record(y, UnaryGradName(op), {&x}, [op, x = Saved(x), y = Saved(y)](const Tensor& g, const Node&) {
    switch (op) {
      case UnaryOp::kNeg: return GradList{tg::Unary(UnaryOp::kNeg, g)};
      case UnaryOp::kExp: return GradList{tg::Binary(BinaryOp::kMul, g, y)};
      case UnaryOp::kLog: return GradList{tg::Binary(BinaryOp::kDiv, g, x)};
      case UnaryOp::kSqrt: return GradList{Map(g.shape(), [](float gi, float yi) { return gi / (2.0f * yi); }, g, y)};
      case UnaryOp::kAbs:
        return GradList{Map(g.shape(), [](float gi, float xi) { return xi > 0.0f ? gi : (xi < 0.0f ? -gi : 0.0f); }, g, x)};
      default: return GradList{Tensor()};
    }
  });
}

Tensor Binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  Tensor y = tg::Binary(op, a, b);
  if (!AnyRequiresGrad({&a, &b})) return Plain(y);
  // add and sub need nothing saved; the rest keep their operands (pow its output too).
  const bool linear = op == BinaryOp::kAdd || op == BinaryOp::kSub;
  return Record(y, BinaryGradName(op), {&a, &b},
                [op, linear, a_shape = a.shape(), b_shape = b.shape(), a = linear ? Tensor() : Saved(a),
                 b = linear ? Tensor() : Saved(b), y = op == BinaryOp::kPow ? Saved(y) : Tensor()](const Tensor& g, const Node& self) {
                  GradList grads(2);
                  if (linear) {
                    if (self.NeedsGrad(0)) grads[0] = SumTo(g, a_shape);
                    if (self.NeedsGrad(1)) grads[1] = SumTo(op == BinaryOp::kSub ? tg::Unary(UnaryOp::kNeg, g) : g, b_shape);
                    return grads;
                  }
                  const Tensor out = y.defined() ? y : g;  // only pow reads the output
                  if (self.NeedsGrad(0)) {
                    grads[0] = SumTo(Map(g.shape(), [op](float gi, float ai, float bi, float yi) { return BinaryGradA(op, gi, ai, bi, yi); },
                                         g, a, b, out), a_shape);
                  }
                  if (self.NeedsGrad(1)) {
                    grads[1] = SumTo(Map(g.shape(), [op](float gi, float ai, float bi, float yi) { return BinaryGradB(op, gi, ai, bi, yi); },
                                         g, a, b, out), b_shape);
                  }
                  return grads;
                });
}

Tensor BinaryScalar(BinaryOp op, const Tensor& a, float s, bool scalar_first) {
  Tensor y = tg::BinaryScalar(op, a, s, scalar_first);
  if (!AnyRequiresGrad({&a})) return Plain(y);
  const char* name = op == BinaryOp::kPow ? (scalar_first ? "PowBackward2" : "PowBackward0") : BinaryGradName(op);
  return Record(y, name, {&a}, [op, s, scalar_first, a = Saved(a), y = Saved(y)](const Tensor& g, const Node&) {
    // The tensor is operand b when the scalar comes first (s - a, s / a, s ^ a).
    if (scalar_first) {
      return GradList{Map(g.shape(), [op, s](float gi, float ai, float yi) { return BinaryGradB(op, gi, s, ai, yi); }, g, a, y)};
    }
    return GradList{Map(g.shape(), [op, s](float gi, float ai, float yi) { return BinaryGradA(op, gi, ai, s, yi); }, g, a, y)};
  });
}

Tensor Clamp(const Tensor& x, float lo, float hi) {
  Tensor y = tg::Clamp(x, lo, hi);
  if (!AnyRequiresGrad({&x})) return Plain(y);
  return Record(y, "ClampBackward1", {&x}, [lo, hi, x = Saved(x)](const Tensor& g, const Node&) {
    // The gradient passes where lo <= x <= hi (both ends included, as torch.clamp); NaN gets 0.
    return GradList{Map(g.shape(), [lo, hi](float gi, float xi) { return xi >= lo && xi <= hi ? gi : 0.0f; }, g, x)};
  });
}

}  // namespace tg::autograd
