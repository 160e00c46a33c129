// Bounded byte queues built from a shared pool of fixed-size chunks.
//
// Every link's outgoing bytes, and the copy of every SEND kept for
// retransmission, live in chunks taken from one ChunkPool allocated at start.
// An idle link holds no chunk at all, so its resident cost is a few words;
// chunks are reused LIFO so the hot ones stay resident. Nothing here grows:
// when the pool or a queue's limits are exhausted, append() says no and the
// caller reports `busy`.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace p2p {

struct OutSlice;

class ChunkPool {
  public:
    static constexpr std::size_t kChunkBytes = 2048;
    struct Chunk {
        Chunk* next;
        std::uint32_t begin;  // first unread byte
        std::uint32_t end;    // one past the last written byte
        char data[kChunkBytes - sizeof(Chunk*) - 2 * sizeof(std::uint32_t)];
    };
    static constexpr std::size_t kDataBytes = sizeof(Chunk::data);

    // Reserves ceil(total_bytes / kChunkBytes) chunks (at least 1). The memory
    // is not touched until a chunk is first used.
    explicit ChunkPool(std::size_t total_bytes);
    ChunkPool(const ChunkPool&) = delete;
    ChunkPool& operator=(const ChunkPool&) = delete;

    Chunk* take();  // nullptr when exhausted
    void give(Chunk* chunk);
    std::size_t available() const { return (count_ - bump_) + free_count_; }
    std::size_t capacity() const { return count_; }

  private:
    bool owns(const Chunk* chunk) const {
        return chunk >= chunks_.get() && chunk < chunks_.get() + bump_;
    }

    std::unique_ptr<Chunk[]> chunks_;
    std::size_t count_;
    std::size_t bump_ = 0;  // chunks never handed out start here
    Chunk* free_ = nullptr;
    std::size_t free_count_ = 0;
};

// A FIFO of bytes in pool chunks. Holds whole lines ('\n'-terminated); the
// message count is the number of complete lines queued.
class ChunkQueue {
  public:
    ChunkQueue() = default;
    ChunkQueue(const ChunkQueue&) = delete;
    ChunkQueue& operator=(const ChunkQueue&) = delete;

    // All or nothing: appends data[0..len) or, when the pool cannot supply
    // the chunks, appends nothing and returns false.
    bool append(ChunkPool& pool, const char* data, std::size_t len);
    // Appends a copy of everything queued in `src` (all or nothing).
    bool append_copy(ChunkPool& pool, const ChunkQueue& src);
    // The next bytes, as up to `max` slices. With one_line, stops after the
    // first '\n' (one message per write for legacy peers).
    std::size_t slices(OutSlice* out, std::size_t max, bool one_line) const;
    // Drops n bytes from the front; returns how many '\n' were dropped.
    std::size_t consume(ChunkPool& pool, std::size_t n);
    // Copies the first up-to-cap bytes into out; returns the count.
    std::size_t peek(char* out, std::size_t cap) const;
    void clear(ChunkPool& pool);

    std::size_t bytes() const { return bytes_; }
    bool empty() const { return bytes_ == 0; }

  private:
    ChunkPool::Chunk* head_ = nullptr;
    ChunkPool::Chunk* tail_ = nullptr;
    std::size_t bytes_ = 0;
};

// A link's outgoing queue: a ChunkQueue with limits in bytes and messages.
class OutQueue {
  public:
    struct Limits {
        std::size_t max_bytes;
        std::size_t max_msgs;
    };
    // Appends one complete line if it fits under `limits` and the pool has room.
    bool push(ChunkPool& pool, const char* line, std::size_t len, Limits limits);
    bool push_copy(ChunkPool& pool, const ChunkQueue& line, Limits limits);
    // Whether push() of a `len`-byte line would pass `limits` (the pool is the
    // caller's to check: several queues may draw on it at once).
    bool within(std::size_t len, Limits limits) const {
        return msgs_ + 1 <= limits.max_msgs && q_.bytes() + len <= limits.max_bytes;
    }
    std::size_t slices(OutSlice* out, std::size_t max, bool one_line) const {
        return q_.slices(out, max, one_line);
    }
    // Returns complete messages written.
    std::size_t consume(ChunkPool& pool, std::size_t n);
    void clear(ChunkPool& pool);
    std::size_t bytes() const { return q_.bytes(); }
    std::size_t msgs() const { return msgs_; }
    bool empty() const { return q_.empty(); }

  private:
    ChunkQueue q_;
    std::size_t msgs_ = 0;
};

}  // namespace p2p
