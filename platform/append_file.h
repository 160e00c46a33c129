// A file that lines are appended to in batches (the chat log, --chat-log): lines are
// copied into a fixed buffer, and flush() hands everything buffered to the kernel in
// one write(2), so a busy conversation costs one system call per turn of the event
// loop, not one per line. The buffer is bounded: a line that does not fit is dropped
// and counted (the disk is full, a FIFO nobody reads), never queued without end.
//
// Opened O_APPEND (each batch lands at the end even beside another writer), O_NONBLOCK
// (a FIFO given as the file never stalls the loop; regular files ignore it), O_NOCTTY,
// created mode 0600 (it holds private conversations) and never following a symlink at
// the final component. reopen() opens the path again, for logrotate's rename + SIGHUP.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace p2p::platform {

class BatchedAppendFile {
  public:
    explicit BatchedAppendFile(std::size_t capacity);
    ~BatchedAppendFile();
    BatchedAppendFile(const BatchedAppendFile&) = delete;
    BatchedAppendFile& operator=(const BatchedAppendFile&) = delete;

    // False with *err (the reason) when the file cannot be opened or created.
    bool open(const std::string& path, std::string* err);
    // Closes and opens the same path again (what was buffered stays buffered).
    bool reopen(std::string* err);
    bool is_open() const { return fd_ >= 0; }
    const std::string& path() const { return path_; }

    // Copies `line` whole into the buffer, or drops it (counted) when it does not fit.
    bool append(std::string_view line);

    enum class Flush : std::uint8_t { kNothing, kWritten, kPending, kFailed };
    // One write(2) of what is buffered. kPending: the file took part or none of it
    // for now (a full FIFO); kFailed: *err says why (ENOSPC, EIO, not open), and the
    // bytes stay buffered for the next try.
    Flush flush(std::string* err);
    // The file was removed (no name links to it any more): one fstat(2).
    bool removed() const;

    std::size_t buffered() const { return used_; }
    // Lines dropped since the last call.
    std::uint64_t take_dropped();

  private:
    std::string path_;
    int fd_ = -1;
    std::unique_ptr<char[]> buf_;
    std::size_t capacity_;
    std::size_t used_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace p2p::platform
