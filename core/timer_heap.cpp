#include "core/timer_heap.h"

namespace p2p {

TimerHeap::TimerHeap(std::size_t slots) : heap_(slots), pos_(slots, -1), when_(slots, 0) {}

void TimerHeap::swap_at(std::size_t a, std::size_t b) {
    std::uint32_t sa = heap_[a], sb = heap_[b];
    heap_[a] = sb;
    heap_[b] = sa;
    pos_[sb] = static_cast<std::int32_t>(a);
    pos_[sa] = static_cast<std::int32_t>(b);
}

void TimerHeap::up(std::size_t i) {
    while (i > 0) {
        std::size_t parent = (i - 1) / 2;
        if (when_[heap_[parent]] <= when_[heap_[i]]) break;
        swap_at(i, parent);
        i = parent;
    }
}

void TimerHeap::down(std::size_t i) {
    for (;;) {
        std::size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < size_ && when_[heap_[l]] < when_[heap_[m]]) m = l;
        if (r < size_ && when_[heap_[r]] < when_[heap_[m]]) m = r;
        if (m == i) return;
        swap_at(i, m);
        i = m;
    }
}

void TimerHeap::set(std::size_t slot, MonoMs when) {
    checked(slot);
    if (pos_[slot] < 0) {
        heap_[size_] = static_cast<std::uint32_t>(slot);
        pos_[slot] = static_cast<std::int32_t>(size_);
        when_[slot] = when;
        up(size_++);
        return;
    }
    MonoMs old = when_[slot];
    when_[slot] = when;
    std::size_t i = static_cast<std::size_t>(pos_[slot]);
    if (when < old)
        up(i);
    else
        down(i);
}

void TimerHeap::clear(std::size_t slot) {
    checked(slot);
    if (pos_[slot] < 0) return;
    std::size_t i = static_cast<std::size_t>(pos_[slot]);
    std::size_t last = --size_;
    if (i != last) {
        swap_at(i, last);
        pos_[slot] = -1;
        down(i);
        up(i);
    } else {
        pos_[slot] = -1;
    }
}

}  // namespace p2p
