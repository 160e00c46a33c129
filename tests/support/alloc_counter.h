// Replaces the global operator new/delete with malloc/free plus a counter, so a
// test can assert that a stretch of code allocated nothing:
//
//     long before = p2p::test::allocations();
//     ...steady-state work...
//     EXPECT_EQ(p2p::test::allocations() - before, 0);
//
// Include it from exactly one translation unit of a test executable (its
// *_test.cpp). It is a header, not a tests/support/*.cpp, on purpose: that
// library is static and linked into every test, and a member defining
// operator new would be pulled into all of them, replacing ASan's own
// new/delete and with it its new-vs-free mismatch check everywhere.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

// GCC inlines these replacements into their callers and then sees malloc'd
// memory reach free() through "operator delete"; they are replaced as a set,
// so the pairing is right.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace p2p::test {
namespace alloc_counter_detail {
inline std::atomic<long> g_allocations{0};

inline void* counted_malloc(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
}  // namespace alloc_counter_detail

// Calls to any global operator new (plain or array) since the program started.
inline long allocations() {
    return alloc_counter_detail::g_allocations.load(std::memory_order_relaxed);
}
}  // namespace p2p::test

void* operator new(std::size_t size) {
    return p2p::test::alloc_counter_detail::counted_malloc(size);
}
void* operator new[](std::size_t size) {
    return p2p::test::alloc_counter_detail::counted_malloc(size);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
