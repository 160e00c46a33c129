#include "platform/pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace p2p::platform {

#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0  // BSDs: reservation is lazy anyway
#endif

std::size_t PageRegion::page_size() {
    static const std::size_t size = [] {
        long s = ::sysconf(_SC_PAGESIZE);
        return s > 0 ? static_cast<std::size_t>(s) : std::size_t{4096};
    }();
    return size;
}

std::size_t PageRegion::round_up(std::size_t bytes) {
    std::size_t page = page_size();
    return (bytes + page - 1) / page * page;
}

PageRegion::~PageRegion() {
    if (base_) ::munmap(base_, size_);
}

bool PageRegion::reserve(std::size_t bytes) {
    if (base_) ::munmap(base_, size_);
    base_ = nullptr;
    size_ = 0;
    if (bytes == 0 || bytes > SIZE_MAX - page_size()) return false;
    std::size_t size = round_up(bytes);
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    base_ = static_cast<char*>(p);
    size_ = size;
    return true;
}

void PageRegion::release(char* p, std::size_t bytes) {
    if (!base_ || p < base_ || p >= base_ + size_) return;
    std::size_t page = page_size();
    auto start = reinterpret_cast<std::uintptr_t>(p);
    auto end = start + bytes;
    auto limit = reinterpret_cast<std::uintptr_t>(base_ + size_);
    if (end > limit) end = limit;
    start = (start + page - 1) / page * page;  // only whole pages inside the range
    end = end / page * page;
    if (end <= start) return;
    // MADV_DONTNEED on private anonymous memory drops the pages at once (Linux; the BSDs
    // free them lazily, which still returns them under pressure).
    ::madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
}

}  // namespace p2p::platform
