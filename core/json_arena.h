// JsonArena: the fixed scratch memory every JSON parse runs in, so decoding
// never touches the heap. Defined in json_arena.cpp together with the parse
// that uses it; callers outside core/ only create one and pass it along.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/limits.h"

namespace p2p {

// Scratch memory for one parse at a time. Reused across lines. Create one per
// thread (not per link): it holds kBytes, the worst case of a kMaxLineBytes
// line (docs/codec.md), so no line ever makes it fall back to the heap.
class JsonArena {
  public:
    // sizeof(rapidjson::Value): 16 bytes on x86-64 (48-bit pointer packing)
    // and on 32-bit targets, 24 on other 64-bit ones such as aarch64.
    // json_arena.cpp static_asserts that kBytes covers the exact worst case.
#if defined(__x86_64__) || defined(_M_X64) || UINTPTR_MAX == 0xFFFFFFFFu
    static constexpr std::size_t kValueBytes = 16;
#else
    static constexpr std::size_t kValueBytes = 24;
#endif
    // About one Value per two bytes of line, for the document stack and the
    // value pool, plus slack for the reader stack and chunk headers.
    static constexpr std::size_t kBytes = kValueBytes * kMaxLineBytes + 8 * 1024;
    JsonArena();
    ~JsonArena();
    JsonArena(const JsonArena&) = delete;
    JsonArena& operator=(const JsonArena&) = delete;
    // Opaque to callers; only json_arena.cpp reaches in.
    void* impl() {
        return impl_;
    }
    // True if any parse so far needed memory beyond the fixed buffer.
    bool overflowed() const;

  private:
    void* impl_;
};

}  // namespace p2p
