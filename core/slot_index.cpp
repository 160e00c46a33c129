#include "core/slot_index.h"

namespace p2p {

namespace {
constexpr std::size_t kNpos = ~std::size_t{0};
constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;

std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
    for (unsigned char c : bytes)
        h = (h ^ c) * 0x100000001b3ull;
    return h;
}

// Mixes the high bits into the low ones the table is indexed by.
std::uint64_t finalize(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}
}  // namespace

SlotIndex::SlotIndex(std::size_t slots) : slots_(slots) {
    std::size_t size = 2;
    while (size < slots * 2)
        size <<= 1;
    P2P_ASSERT(size - 1 <= 0xffffffffu);  // home positions come from 32-bit tags
    table_.assign(size, Entry{0, 0});
    mask_ = size - 1;
}

std::uint64_t SlotIndex::hash(std::string_view key) {
    return finalize(fnv1a(kFnvOffset, key));
}

std::uint64_t SlotIndex::hash(std::string_view a, std::string_view b) {
    std::uint64_t h = fnv1a(kFnvOffset, a);
    h = (h ^ 0xffu) * 0x100000001b3ull;  // 0xff never occurs in UTF-8 text
    return finalize(fnv1a(h, b));
}

void SlotIndex::insert(std::uint64_t hash, int slot) {
    P2P_ASSERT(slot >= 0 && static_cast<std::size_t>(slot) < slots_);
    std::size_t i = hash & mask_;
    while (table_[i].slot != 0) {
        ++probes_;
        i = (i + 1) & mask_;
    }
    ++probes_;
    table_[i] = Entry{tag_of(hash), static_cast<std::uint32_t>(slot + 1)};
}

std::size_t SlotIndex::position(std::uint64_t hash, int slot) const {
    std::uint32_t want = static_cast<std::uint32_t>(slot + 1);
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
        ++probes_;
        const Entry& e = table_[i];
        if (e.slot == 0) return kNpos;
        if (e.tag == tag_of(hash) && e.slot == want) return i;
    }
}

void SlotIndex::erase(std::uint64_t hash, int slot) {
    P2P_ASSERT(slot >= 0 && static_cast<std::size_t>(slot) < slots_);
    std::size_t i = position(hash, slot);
    if (i != kNpos) erase_at(i);
}

void SlotIndex::replace(std::uint64_t hash, int from, int to) {
    P2P_ASSERT(to >= 0 && static_cast<std::size_t>(to) < slots_);
    std::size_t i = position(hash, from);
    P2P_ASSERT(i != kNpos);
    table_[i].slot = static_cast<std::uint32_t>(to + 1);
}

void SlotIndex::erase_at(std::size_t i) {
    // Backward-shift deletion: pull later entries of the probe run into the
    // hole unless that would move one before its home position.
    std::size_t j = i;
    for (;;) {
        j = (j + 1) & mask_;
        ++probes_;
        if (table_[j].slot == 0) break;
        std::size_t home = table_[j].tag & mask_;
        bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            table_[i] = table_[j];
            i = j;
        }
    }
    table_[i] = Entry{0, 0};
}

}  // namespace p2p
