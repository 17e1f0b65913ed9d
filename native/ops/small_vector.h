// A vector of trivially copyable values that keeps up to N of them inline. Shapes, strides and
// dimension lists are made and copied for every op; with std::vector each costs a heap
// allocation, which dominated the time of small ops.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <new>
#include <type_traits>

namespace tg {

template <typename T, size_t N>
class SmallVector {
  static_assert(std::is_trivially_copyable_v<T>, "SmallVector holds trivially copyable values only");

 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  SmallVector() = default;
  explicit SmallVector(size_t n, T value = T()) { assign(n, value); }
  SmallVector(std::initializer_list<T> values) : SmallVector(values.begin(), values.end()) {}
  template <typename It, typename = decltype(*std::declval<It>())>
  SmallVector(It first, It last) {
    for (; first != last; ++first) push_back(static_cast<T>(*first));
  }
  SmallVector(const SmallVector& other) { CopyFrom(other); }
  SmallVector& operator=(const SmallVector& other) {
    if (this != &other) {
      size_ = 0;
      CopyFrom(other);
    }
    return *this;
  }
  SmallVector(SmallVector&& other) noexcept { MoveFrom(other); }
  SmallVector& operator=(SmallVector&& other) noexcept {
    if (this != &other) {
      Release();
      MoveFrom(other);
    }
    return *this;
  }
  ~SmallVector() { Release(); }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return ptr_; }
  const T* data() const { return ptr_; }
  T* begin() { return ptr_; }
  T* end() { return ptr_ + size_; }
  const T* begin() const { return ptr_; }
  const T* end() const { return ptr_ + size_; }
  T& operator[](size_t i) { return ptr_[i]; }
  const T& operator[](size_t i) const { return ptr_[i]; }
  T& front() { return ptr_[0]; }
  const T& front() const { return ptr_[0]; }
  T& back() { return ptr_[size_ - 1]; }
  const T& back() const { return ptr_[size_ - 1]; }

  void push_back(T value) {
    Reserve(size_ + 1);
    ptr_[size_++] = value;
  }
  void assign(size_t n, T value) {
    size_ = 0;
    Reserve(n);
    std::fill(ptr_, ptr_ + n, value);
    size_ = n;
  }
  T* insert(const T* pos, T value) { return insert(pos, &value, &value + 1); }
  template <typename It>
  T* insert(const T* pos, It first, It last) {
    const size_t at = static_cast<size_t>(pos - ptr_), n = static_cast<size_t>(last - first);
    Reserve(size_ + n);
    std::memmove(ptr_ + at + n, ptr_ + at, (size_ - at) * sizeof(T));
    for (size_t i = 0; i < n; ++i, ++first) ptr_[at + i] = static_cast<T>(*first);
    size_ += n;
    return ptr_ + at;
  }

  friend bool operator==(const SmallVector& a, const SmallVector& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator!=(const SmallVector& a, const SmallVector& b) { return !(a == b); }

 private:
  void Reserve(size_t n) {
    if (n <= capacity_) return;
    const size_t capacity = std::max(n, 2 * capacity_);
    T* heap = static_cast<T*>(::operator new(capacity * sizeof(T)));
    if (size_ > 0) std::memcpy(heap, ptr_, size_ * sizeof(T));
    Release();
    ptr_ = heap;
    capacity_ = capacity;
  }
  void Release() {
    if (ptr_ != inline_) ::operator delete(ptr_);
    ptr_ = inline_;
    capacity_ = N;
  }
  void CopyFrom(const SmallVector& other) {
    Reserve(other.size_);
    if (other.size_ > 0) std::memcpy(ptr_, other.ptr_, other.size_ * sizeof(T));
    size_ = other.size_;
  }
  void MoveFrom(SmallVector& other) {
    if (other.ptr_ == other.inline_) {
      ptr_ = inline_;
      capacity_ = N;
      std::memcpy(inline_, other.inline_, other.size_ * sizeof(T));
    } else {
      ptr_ = other.ptr_;
      capacity_ = other.capacity_;
      other.ptr_ = other.inline_;
      other.capacity_ = N;
    }
    size_ = other.size_;
    other.size_ = 0;
  }

  T inline_[N];
  T* ptr_ = inline_;
  size_t size_ = 0;
  size_t capacity_ = N;
};

}  // namespace tg
