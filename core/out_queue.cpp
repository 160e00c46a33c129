#include "core/out_queue.h"

#include <algorithm>
#include <cstring>

#include "core/invariant.h"
#include "core/node_types.h"  // OutSlice

namespace p2p {

ChunkPool::ChunkPool(std::size_t total_bytes)
    : count_(std::max<std::size_t>(1, (total_bytes + kChunkBytes - 1) / kChunkBytes)) {
    // Default-initialised: pages stay untouched (not resident) until used.
    chunks_.reset(new Chunk[count_]);
}

ChunkPool::Chunk* ChunkPool::take() {
    Chunk* c;
    if (free_) {
        c = free_;
        free_ = c->next;
        --free_count_;
    } else if (bump_ < count_) {
        c = &chunks_[bump_++];
    } else {
        return nullptr;
    }
    c->next = nullptr;
    c->begin = 0;
    c->end = 0;
    return c;
}

void ChunkPool::give(Chunk* chunk) {
    P2P_ASSERT(owns(chunk));  // a chunk of this pool, handed out before
    chunk->next = free_;
    free_ = chunk;
    ++free_count_;
}

bool ChunkQueue::append(ChunkPool& pool, const char* data, std::size_t len) {
    if (len == 0) return true;
    std::size_t room = tail_ ? ChunkPool::kDataBytes - tail_->end : 0;
    if (len > room) {
        std::size_t needed = (len - room + ChunkPool::kDataBytes - 1) / ChunkPool::kDataBytes;
        if (needed > pool.available()) return false;
    }
    bytes_ += len;
    while (len > 0) {
        if (!tail_ || tail_->end == ChunkPool::kDataBytes) {
            ChunkPool::Chunk* c = pool.take();  // cannot fail: counted above
            if (tail_)
                tail_->next = c;
            else
                head_ = c;
            tail_ = c;
        }
        std::size_t n = std::min(len, ChunkPool::kDataBytes - tail_->end);
        std::memcpy(tail_->data + tail_->end, data, n);
        tail_->end += static_cast<std::uint32_t>(n);
        data += n;
        len -= n;
    }
    return true;
}

bool ChunkQueue::append_copy(ChunkPool& pool, const ChunkQueue& src) {
    std::size_t len = src.bytes_;
    std::size_t room = tail_ ? ChunkPool::kDataBytes - tail_->end : 0;
    if (len > room) {
        std::size_t needed = (len - room + ChunkPool::kDataBytes - 1) / ChunkPool::kDataBytes;
        if (needed > pool.available()) return false;
    }
    for (const ChunkPool::Chunk* c = src.head_; c; c = c->next)
        append(pool, c->data + c->begin, c->end - c->begin);
    return true;
}

std::size_t ChunkQueue::slices(OutSlice* out, std::size_t max, bool one_line) const {
    std::size_t n = 0;
    for (const ChunkPool::Chunk* c = head_; c && n < max; c = c->next) {
        const char* start = c->data + c->begin;
        std::size_t len = c->end - c->begin;
        if (one_line) {
            const void* nl = std::memchr(start, '\n', len);
            if (nl) {
                out[n++] = OutSlice{
                    start, static_cast<std::size_t>(static_cast<const char*>(nl) - start + 1)};
                break;
            }
        }
        out[n++] = OutSlice{start, len};
    }
    return n;
}

std::size_t ChunkQueue::consume(ChunkPool& pool, std::size_t n) {
    std::size_t lines = 0;
    n = std::min(n, bytes_);
    bytes_ -= n;
    while (n > 0 && head_) {
        std::size_t avail = head_->end - head_->begin;
        std::size_t take = std::min(n, avail);
        const char* p = head_->data + head_->begin;
        const char* end = p + take;
        while ((p = static_cast<const char*>(std::memchr(p, '\n', end - p))) != nullptr) {
            ++lines;
            ++p;
        }
        head_->begin += static_cast<std::uint32_t>(take);
        n -= take;
        if (head_->begin == head_->end) {
            ChunkPool::Chunk* done = head_;
            head_ = head_->next;
            if (!head_) tail_ = nullptr;
            pool.give(done);
        }
    }
    return lines;
}

std::size_t ChunkQueue::peek(char* out, std::size_t cap) const {
    std::size_t n = 0;
    for (const ChunkPool::Chunk* c = head_; c && n < cap; c = c->next) {
        std::size_t take = std::min<std::size_t>(cap - n, c->end - c->begin);
        std::memcpy(out + n, c->data + c->begin, take);
        n += take;
    }
    return n;
}

void ChunkQueue::clear(ChunkPool& pool) {
    while (head_) {
        ChunkPool::Chunk* next = head_->next;
        pool.give(head_);
        head_ = next;
    }
    tail_ = nullptr;
    bytes_ = 0;
}

bool OutQueue::push(ChunkPool& pool, const char* line, std::size_t len, Limits limits) {
    if (msgs_ + 1 > limits.max_msgs || q_.bytes() + len > limits.max_bytes) return false;
    if (!q_.append(pool, line, len)) return false;
    ++msgs_;
    return true;
}

bool OutQueue::push_copy(ChunkPool& pool, const ChunkQueue& line, Limits limits) {
    if (msgs_ + 1 > limits.max_msgs || q_.bytes() + line.bytes() > limits.max_bytes) return false;
    if (!q_.append_copy(pool, line)) return false;
    ++msgs_;
    return true;
}

std::size_t OutQueue::consume(ChunkPool& pool, std::size_t n) {
    std::size_t done = q_.consume(pool, n);
    msgs_ -= std::min(done, msgs_);
    return done;
}

void OutQueue::clear(ChunkPool& pool) {
    q_.clear(pool);
    msgs_ = 0;
}

}  // namespace p2p
