#include "core/timer_queue.h"

#include "core/invariant.h"

namespace p2p {

TimerQueue::TimerQueue(std::size_t reserve) {
    heap_.reserve(reserve);
    slots_.reserve(reserve);
}

bool TimerQueue::less(std::size_t a, std::size_t b) const {
    const Entry& x = heap_[a];
    const Entry& y = heap_[b];
    if (x.deadline != y.deadline) return x.deadline < y.deadline;
    return x.seq < y.seq;
}

void TimerQueue::place(std::size_t pos, const Entry& e) {
    P2P_ASSERT(pos < heap_.size() && slot_of(e.id) < slots_.size());
    heap_[pos] = e;
    slots_[slot_of(e.id)].pos = static_cast<std::uint32_t>(pos);
}

void TimerQueue::sift_up(std::size_t pos) {
    Entry moving = heap_[pos];
    while (pos > 0) {
        std::size_t parent = (pos - 1) / 2;
        const Entry& p = heap_[parent];
        bool before =
            moving.deadline != p.deadline ? moving.deadline < p.deadline : moving.seq < p.seq;
        if (!before) break;
        place(pos, p);
        pos = parent;
    }
    place(pos, moving);
}

void TimerQueue::sift_down(std::size_t pos) {
    const std::size_t n = heap_.size();
    for (;;) {
        std::size_t left = 2 * pos + 1;
        if (left >= n) break;
        std::size_t best = left;
        if (left + 1 < n && less(left + 1, left)) best = left + 1;
        if (!less(best, pos)) break;
        Entry tmp = heap_[pos];
        place(pos, heap_[best]);
        place(best, tmp);
        pos = best;
    }
}

void TimerQueue::release(std::uint32_t slot) {
    P2P_ASSERT(slot < slots_.size());
    Slot& s = slots_[slot];
    s.pos = kFree;
    if (++s.generation == 0) s.generation = 1;  // keep every id non-zero
    s.next_free = free_head_;
    free_head_ = slot;
}

void TimerQueue::remove_at(std::size_t pos) {
    P2P_ASSERT(pos < heap_.size());
    release(slot_of(heap_[pos].id));
    std::size_t last = heap_.size() - 1;
    if (pos == last) {
        heap_.pop_back();
        return;
    }
    place(pos, heap_[last]);
    heap_.pop_back();
    // The moved entry may belong above or below its new place.
    if (pos > 0 && less(pos, (pos - 1) / 2)) {
        sift_up(pos);
    } else {
        sift_down(pos);
    }
}

TimerQueue::Id TimerQueue::push(MonoMs deadline, void* handler, std::uint64_t tag) {
    std::uint32_t slot;
    if (free_head_ != kNone) {
        slot = free_head_;
        free_head_ = slots_[slot].next_free;
    } else {
        slot = static_cast<std::uint32_t>(slots_.size());
        slots_.push_back(Slot{});
    }
    Slot& s = slots_[slot];
    s.next_free = kNone;
    Entry e;
    e.deadline = deadline;
    e.id = (static_cast<Id>(s.generation) << 32) | slot;
    e.handler = handler;
    e.tag = tag;
    e.seq = next_seq_++;
    heap_.push_back(e);
    s.pos = static_cast<std::uint32_t>(heap_.size() - 1);
    sift_up(heap_.size() - 1);
    return e.id;
}

const TimerQueue::Slot* TimerQueue::live_slot(Id id) const {
    std::uint32_t slot = slot_of(id);
    if (id == 0 || slot >= slots_.size()) return nullptr;
    const Slot& s = slots_[slot];
    if (s.pos == kFree || s.generation != gen_of(id)) return nullptr;
    return &s;
}

bool TimerQueue::contains(Id id) const {
    return live_slot(id) != nullptr;
}

bool TimerQueue::cancel(Id id) {
    const Slot* s = live_slot(id);
    if (!s) return false;
    remove_at(s->pos);
    return true;
}

bool TimerQueue::pop_due(MonoMs now, Entry& out, std::uint64_t seq_limit) {
    if (heap_.empty()) return false;
    const Entry& top = heap_[0];
    if (top.deadline > now || top.seq >= seq_limit) return false;
    out = top;
    remove_at(0);
    return true;
}

bool TimerQueue::next_deadline(MonoMs& out) const {
    if (heap_.empty()) return false;
    out = heap_[0].deadline;
    return true;
}

}  // namespace p2p
