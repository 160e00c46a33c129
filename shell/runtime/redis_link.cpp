#include "shell/runtime/redis_link.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/log.h"
#include "platform/random.h"

namespace p2p::shell {

namespace {

constexpr std::size_t kReadBytes = 64 * 1024;
// Beyond max_in_flight: room for the hello commands of a new connection.
constexpr std::size_t kHelloRoom = 8;
// Formatted commands that may wait for the socket (a pipeline Redis is slow to read);
// past it the link counts as failed. Requests are small: this is thousands of them.
constexpr std::size_t kMaxOutput = 8u << 20;

// hiredis builds each reply out of malloc'd objects. These build it in the link's
// ReplyArena instead, whose chunks are kept from one reply to the next: once they have
// grown to the largest reply's size, reading replies allocates nothing.
ReplyArena& arena_of(const redisReadTask* task) {
    return *static_cast<ReplyArena*>(task->privdata);
}

redisReply* new_reply(const redisReadTask* task, int type) {
    auto* r = static_cast<redisReply*>(arena_of(task).alloc(sizeof(redisReply)));
    *r = redisReply{};
    r->type = type;
    if (task->parent) {
        auto* parent = static_cast<redisReply*>(task->parent->obj);
        parent->element[task->idx] = r;
    }
    return r;
}

void* create_string(const redisReadTask* task, char* str, std::size_t len) {
    redisReply* r = new_reply(task, task->type);
    r->str = static_cast<char*>(arena_of(task).alloc(len + 1));
    std::memcpy(r->str, str, len);
    r->str[len] = '\0';
    r->len = len;
    return r;
}

void* create_array(const redisReadTask* task, int elements) {
    redisReply* r = new_reply(task, REDIS_REPLY_ARRAY);
    r->elements = static_cast<std::size_t>(elements);
    if (elements > 0)
        r->element = static_cast<redisReply**>(
            arena_of(task).alloc(sizeof(redisReply*) * static_cast<std::size_t>(elements)));
    return r;
}

void* create_integer(const redisReadTask* task, long long value) {
    redisReply* r = new_reply(task, REDIS_REPLY_INTEGER);
    r->integer = value;
    return r;
}

void* create_nil(const redisReadTask* task) {
    return new_reply(task, REDIS_REPLY_NIL);
}

void free_object(void*) {}  // the arena is reset once the reply is handled

redisReplyObjectFunctions kArenaReplies = {create_string, create_array, create_integer, create_nil,
                                           free_object};

std::uint64_t seed() {
    std::uint64_t s = 0;
    platform::random_bytes(reinterpret_cast<std::uint8_t*>(&s), sizeof s);
    return s;
}

}  // namespace

void* ReplyArena::alloc(std::size_t bytes) {
    bytes = (bytes + alignof(std::max_align_t) - 1) & ~(alignof(std::max_align_t) - 1);
    while (chunk_ < chunks_.size() && used_ + bytes > sizes_[chunk_]) {
        ++chunk_;
        used_ = 0;
    }
    if (chunk_ == chunks_.size()) {
        std::size_t size = std::max(kChunkBytes, bytes);
        chunks_.push_back(std::make_unique<char[]>(size));
        sizes_.push_back(size);
        used_ = 0;
    }
    void* p = chunks_[chunk_].get() + used_;
    used_ += bytes;
    return p;
}

RedisLink::RedisLink(platform::EventLoop& loop, User& user, RedisLinkConfig config)
    : loop_(loop),
      user_(user),
      config_(std::move(config)),
      resolver_(loop),
      connector_(loop, resolver_),
      read_buf_(kReadBytes + 1),
      ring_(config_.max_in_flight + kHelloRoom),
      rng_(seed()) {
    platform::ConnectionConfig cc;
    cc.read_buf = read_buf_.data();
    cc.read_cap = kReadBytes;
    cc.framing = platform::Framing::kRaw;
    cc.max_output = kMaxOutput;
    conn_.setup(loop, *this, cc);
    batch_.reserve(64 * 1024);
}

RedisLink::~RedisLink() {
    stop();
}

void RedisLink::start() {
    running_ = true;
    connect();
}

void RedisLink::stop() {
    running_ = false;
    connector_.cancel();
    for (platform::TimerId* t : {&flush_timer_, &reconnect_timer_}) {
        if (*t) loop_.cancel(*t);
        *t = 0;
    }
    conn_.discard();
    if (reader_) redisReaderFree(reader_);
    reader_ = nullptr;
    state_ = State::kDown;
    count_ = 0;
    batch_.clear();
}

void RedisLink::connect() {
    reconnect_timer_ = 0;
    if (!running_) return;
    state_ = State::kConnecting;
    connector_.connect(config_.url.host, config_.url.port, config_.reply_timeout_ms,
                       [this](int fd, const std::string& error) { on_connected(fd, error); });
}

void RedisLink::on_connected(int fd, const std::string& error) {
    if (fd < 0 || !conn_.open(fd)) {
        if (!reported_down_)
            P2P_WARN("Redis", "cannot reach redis://%s:%u: %s (retrying)", config_.url.host.c_str(),
                     config_.url.port, error.empty() ? "cannot watch the socket" : error.c_str());
        reported_down_ = true;
        state_ = State::kDown;
        fail_all();
        schedule_reconnect();
        return;
    }
    reader_ = redisReaderCreateWithFunctions(&kArenaReplies);
    reader_->privdata = &arena_;
    reader_->maxbuf = 0;  // keep the reader's buffer at its working size
    state_ = State::kUp;
    // The commands queued while connecting go after SELECT and the hello commands.
    std::string queued = std::move(batch_);
    batch_.clear();
    std::vector<InFlight> waiting;
    waiting.reserve(count_);
    for (; count_ > 0; --count_, head_ = (head_ + 1) % ring_.size())
        waiting.push_back(ring_[head_]);
    if (config_.url.db != 0) {
        std::string db = std::to_string(config_.url.db);
        const char* argv[] = {"SELECT", db.c_str()};
        const std::size_t lens[] = {6, db.size()};
        enqueue(0, true, 2, argv, lens);
    }
    for (const std::vector<std::string>& words : config_.hello) {
        const char* argv[8];
        std::size_t lens[8];
        int argc = 0;
        for (const std::string& w : words) {
            if (argc == 8) break;
            argv[argc] = w.data();
            lens[argc++] = w.size();
        }
        enqueue(0, true, argc, argv, lens);
    }
    batch_ += queued;
    for (const InFlight& f : waiting)
        ring_[(head_ + count_++) % ring_.size()] = f;
    arm_deadline();
    if (reported_down_)
        P2P_INFO("Redis", "connected to redis://%s:%u again", config_.url.host.c_str(),
                 config_.url.port);
    else
        P2P_INFO("Redis", "connected to redis://%s:%u/%d", config_.url.host.c_str(),
                 config_.url.port, config_.url.db);
    reported_down_ = false;
}

bool RedisLink::command(std::uint64_t cookie, int argc, const char** argv,
                        const std::size_t* lens) {
    if (state_ == State::kDown || count_ >= config_.max_in_flight) return false;
    return enqueue(cookie, false, argc, argv, lens);
}

bool RedisLink::enqueue(std::uint64_t cookie, bool internal, int argc, const char** argv,
                        const std::size_t* lens) {
    char* cmd = nullptr;
    int n = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (n < 0) return false;
    batch_.append(cmd, static_cast<std::size_t>(n));
    redisFreeCommand(cmd);
    ring_[(head_ + count_) % ring_.size()] = InFlight{cookie, loop_.now(), internal};
    if (count_++ == 0) arm_deadline();
    // Everything queued in this turn of the loop goes out in one write at its end.
    if (!flush_timer_) flush_timer_ = loop_.schedule_in(0, this, kFlush);
    return true;
}

void RedisLink::on_timer(std::uint64_t tag) {
    if (tag == kReconnect) return connect();
    flush_timer_ = 0;
    if (batch_.empty() || !conn_.is_open()) return;
    if (!conn_.write(batch_)) {
        batch_.clear();
        fail("Redis does not read what we send");
        return;
    }
    batch_.clear();
}

std::size_t RedisLink::read_room(platform::Connection&) {
    return kReadBytes;
}

void RedisLink::on_bytes(platform::Connection&, char* data, std::size_t len) {
    if (redisReaderFeed(reader_, data, len) != REDIS_OK) return fail("bad reply");
    for (;;) {
        void* reply = nullptr;
        if (redisReaderGetReply(reader_, &reply) != REDIS_OK) return fail("bad reply");
        if (!reply) break;
        auto* r = static_cast<redisReply*>(reply);
        if (count_ == 0) return fail("a reply nobody asked for");
        InFlight f = ring_[head_];
        head_ = (head_ + 1) % ring_.size();
        --count_;
        arm_deadline();
        if (f.internal) {
            bool error = r->type == REDIS_REPLY_ERROR;
            if (error)
                P2P_ERROR("Redis", "setting up the connection failed: %.*s",
                          static_cast<int>(r->len), r->str);
            arena_.reset();
            if (error) return fail("setup refused");
            attempt_ = 0;  // Redis answers: the next outage backs off from the start
            continue;
        }
        // The user may answer a client (and queue more commands) from here.
        user_.on_reply(f.cookie, r);
        arena_.reset();
        if (!conn_.is_open()) return;
    }
}

void RedisLink::arm_deadline() {
    if (!conn_.is_open()) return;  // connecting: the connector's timeout holds
    conn_.set_deadline(count_ == 0 ? 0 : ring_[head_].sent_at + config_.reply_timeout_ms);
}

void RedisLink::on_deadline(platform::Connection&) {
    fail("no reply in time");
}

void RedisLink::fail(const char* why) {
    P2P_WARN("Redis",
             "link to redis://%s:%u failed: %s; requests answer registry_unavailable "
             "until it is back",
             config_.url.host.c_str(), config_.url.port, why);
    reported_down_ = true;
    conn_.close(platform::CloseReason::kByOwner);  // on_closed fails what waits
}

void RedisLink::on_closed(platform::Connection&, platform::CloseReason reason) {
    if (!reported_down_) {
        P2P_WARN("Redis", "redis://%s:%u closed the link (%s); reconnecting",
                 config_.url.host.c_str(), config_.url.port, platform::close_reason_name(reason));
        reported_down_ = true;
    }
    state_ = State::kDown;
    if (reader_) redisReaderFree(reader_);
    reader_ = nullptr;
    fail_all();
    schedule_reconnect();
}

// Every command in flight or queued fails now: its client gets an answer at once.
void RedisLink::fail_all() {
    batch_.clear();
    if (flush_timer_) loop_.cancel(flush_timer_);
    flush_timer_ = 0;
    while (count_ > 0) {
        InFlight f = ring_[head_];
        head_ = (head_ + 1) % ring_.size();
        --count_;
        if (!f.internal) user_.on_reply(f.cookie, nullptr);
    }
}

void RedisLink::schedule_reconnect() {
    if (!running_ || reconnect_timer_) return;
    reconnect_timer_ =
        loop_.schedule_in(backoff_delay(config_.backoff, ++attempt_, rng_), this, kReconnect);
}

}  // namespace p2p::shell
