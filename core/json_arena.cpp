// JsonArena: its fixed buffers, their worst-case sizing (docs/codec.md), and
// the in-situ parse that fills them (json::parse_line, declared with the
// other RapidJSON helpers in json_util.h). Everything that reaches inside
// the arena lives in this file.
#include "core/json_arena.h"

// Before RapidJSON's own headers, so its functions get json_util's UBSan
// exemption (see there).
#include "core/json_util.h"

#include <rapidjson/reader.h>

#include <optional>

#include "core/limits.h"
#include "core/text.h"

namespace p2p {
namespace json {

namespace {

// Worst case of a line of kMaxLineBytes bytes (docs/codec.md, "Arena sizing"):
// every value needs at least one byte and every value after the first in a
// container a separator too, so at most kMaxLineBytes/2 + 1 values are ever
// complete, and at most kMaxDepth containers are open at once.
constexpr std::size_t kValueSize = sizeof(Value);
constexpr std::size_t kMaxCompleteValues = kMaxLineBytes / 2 + 1;
// The document stack holds the open containers and their finished children.
constexpr std::size_t kDocStackBytes = kValueSize * (kMaxCompleteValues + kMaxDepth + 2);
// The value pool receives each finished container's children once.
constexpr std::size_t kValuePoolBytes = kValueSize * kMaxCompleteValues;
// Each pool buffer starts with RapidJSON's chunk header; allocations are
// rounded up to 8 bytes.
constexpr std::size_t kPoolSlack = 64;
constexpr std::size_t kStackBufBytes = kDocStackBytes + kReaderStackBytes + 2 * kPoolSlack;
constexpr std::size_t kValueBufBytes = kValuePoolBytes + kPoolSlack;
static_assert(kStackBufBytes + kValueBufBytes <= JsonArena::kBytes,
              "JsonArena::kBytes is below the worst case of a maximal line");

constexpr unsigned kParseFlags = rapidjson::kParseInsituFlag | rapidjson::kParseIterativeFlag;

// Forwards SAX events to the document, refusing nesting beyond kMaxDepth
// (which ends the parse with kParseErrorTermination).
class DepthLimitedHandler {
  public:
    explicit DepthLimitedHandler(Document& doc) : doc_(doc) {}
    bool Null() { return doc_.Null(); }
    bool Bool(bool b) { return doc_.Bool(b); }
    bool Int(int i) { return doc_.Int(i); }
    bool Uint(unsigned u) { return doc_.Uint(u); }
    bool Int64(std::int64_t i) { return doc_.Int64(i); }
    bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
    bool Double(double d) { return doc_.Double(d); }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) {
        return doc_.RawNumber(s, n, copy);
    }
    bool String(const char* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
    bool Key(const char* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
    bool StartObject() { return enter() && doc_.StartObject(); }
    bool EndObject(rapidjson::SizeType members) {
        --depth_;
        return doc_.EndObject(members);
    }
    bool StartArray() { return enter() && doc_.StartArray(); }
    bool EndArray(rapidjson::SizeType elements) {
        --depth_;
        return doc_.EndArray(elements);
    }

  private:
    bool enter() { return ++depth_ <= kMaxDepth; }
    Document& doc_;
    std::size_t depth_ = 0;
};

// Runs the reader for Document::Populate, with the reader's stack in the
// arena's stack pool.
struct InsituGenerator {
    char* line;
    std::size_t len;
    Pool* stack_pool;
    bool ok = false;

    bool operator()(Document& doc) {
        DepthLimitedHandler handler(doc);
        rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, Pool> reader(
            stack_pool, kReaderStackBytes);
        rapidjson::InsituStringStream stream(line);
        // RawUtf8::kRefuse: begin_sax_parse has checked the line is UTF-8.
        rapidjson::ParseResult result = reader.Parse<kParseFlags>(stream, handler);
        // The reader stops at the first NUL; one before `len` means the line
        // had an embedded NUL byte, which no JSON text contains.
        ok = !result.IsError() && stream.Tell() == len;
        return ok;
    }
};

}  // namespace

struct ArenaImpl {
    CountingHeapAllocator heap;
    alignas(16) char stack_buf[kStackBufBytes];
    alignas(16) char value_buf[kValueBufBytes];
    Pool stack_pool{stack_buf, sizeof stack_buf, 4096, &heap};
    Pool value_pool{value_buf, sizeof value_buf, 4096, &heap};
    std::optional<Document> doc;
};

static ArenaImpl& impl_of(JsonArena& arena) {
    return *static_cast<ArenaImpl*>(arena.impl());
}

Pool* begin_sax_parse(JsonArena& arena, char* line, std::size_t len) {
    ArenaImpl& a = impl_of(arena);
    a.doc.reset();
    // Frees any heap chunk a previous parse needed and rewinds the buffers.
    a.stack_pool.Clear();
    a.value_pool.Clear();
    if (len > kMaxLineBytes) return nullptr;
    line[len] = '\0';
    // RawUtf8::kRefuse's check, for the whole line at once: the same strict
    // rule RapidJSON's kParseValidateEncodingFlag applies inside strings
    // (outside them any byte >= 0x80 is a syntax error either way), at a
    // fraction of the reader's byte-by-byte cost (issue 17).
    std::size_t ascii = ascii_words_prefix(line, len);
    if (!is_valid_utf8(std::string_view(line + ascii, len - ascii))) return nullptr;
    return &a.stack_pool;
}

const Value* parse_line(JsonArena& arena, char* line, std::size_t len, RawUtf8 raw) {
    ArenaImpl& a = impl_of(arena);
    if (raw == RawUtf8::kRefuse) {
        if (begin_sax_parse(arena, line, len) == nullptr) return nullptr;
    } else {
        a.doc.reset();
        a.stack_pool.Clear();
        a.value_pool.Clear();
        if (len > kMaxLineBytes) return nullptr;
        line[len] = '\0';
    }
    // The document stack is reserved whole at its first push, so it never
    // grows (growing a pool-backed stack would leave the old copy behind).
    a.doc.emplace(&a.value_pool, kDocStackBytes, &a.stack_pool);
    InsituGenerator generator{line, len, &a.stack_pool};
    a.doc->Populate(generator);
    if (!generator.ok) return nullptr;
    return &*a.doc;
}

std::size_t last_parse_pool_bytes(JsonArena& arena) {
    return impl_of(arena).value_pool.Size();
}

}  // namespace json

JsonArena::JsonArena() : impl_(new json::ArenaImpl) {}

JsonArena::~JsonArena() {
    delete static_cast<json::ArenaImpl*>(impl_);
}

bool JsonArena::overflowed() const {
    return static_cast<const json::ArenaImpl*>(impl_)->heap.allocations() > 0;
}

}  // namespace p2p
