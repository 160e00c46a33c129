// Anonymous memory reserved in whole pages, whose parts can be handed back to the
// kernel after use. For per-connection scratch buffers that are large, rarely touched
// and must not stay resident once a burst of clients is gone (a heap buffer, once
// touched, stays in the process's RSS for good).
#pragma once
#include <cstddef>

namespace p2p::platform {

class PageRegion {
  public:
    PageRegion() = default;
    ~PageRegion();
    PageRegion(const PageRegion&) = delete;
    PageRegion& operator=(const PageRegion&) = delete;

    // Reserves `bytes` (rounded up to pages) without making them resident. False when
    // the address space or the kernel's overcommit policy refuses.
    bool reserve(std::size_t bytes);
    char* data() const { return base_; }
    std::size_t size() const { return size_; }
    // Gives the whole pages inside [p, p + bytes) back to the kernel: they read as zeros
    // and cost no memory until touched again.
    void release(char* p, std::size_t bytes);

    static std::size_t page_size();
    static std::size_t round_up(std::size_t bytes);

  private:
    char* base_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace p2p::platform
