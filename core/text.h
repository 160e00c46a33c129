// The text rules every layer shares: UTF-8 decoding and repair, the code
// points a terminal or a reader could be fooled by, and the syntax of names
// and peer ids (docs/protocol.md §1). One implementation each, so that a name
// one part of the program accepts is never refused by another.
// Pure functions over caller buffers: no system calls, no allocation.
#pragma once
#include <cstddef>
#include <string_view>

namespace p2p {

// ---- UTF-8 ---------------------------------------------------------------------

// One step of decoding. A well-formed sequence (no overlong form, surrogate
// or code point beyond U+10FFFF) gives valid == true and its code point. An
// ill-formed one gives valid == false, cp == U+FFFD and len == the bytes of
// its maximal subpart (Unicode §3.9, what Python's errors="replace" and
// browsers replace by one U+FFFD), at least 1.
struct Utf8Char {
    char32_t cp = 0;
    std::size_t len = 0;
    bool valid = false;
};
// Decodes the sequence at the start of `text` (not empty).
Utf8Char decode_utf8_char(std::string_view text);

bool is_valid_utf8(std::string_view text);

struct RepairedUtf8 {
    std::size_t len = 0;    // bytes written to out
    bool complete = false;  // false: the output was cut at a character to fit cap
};
// Copies text into out[0..cap), each ill-formed sequence (maximal subpart)
// replaced by U+FFFD as Python's decode("utf-8", errors="replace") does.
RepairedUtf8 repair_utf8(std::string_view text, char* out, std::size_t cap);

// ---- classes of code points -------------------------------------------------------

// C1 controls U+0080..U+009F (some terminals take U+009B as CSI).
bool is_c1_control(char32_t cp);
// Unicode White_Space beyond ASCII: U+0085, U+00A0 no-break space, U+1680,
// U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool is_unicode_space(char32_t cp);
// Unicode Bidi_Control: U+061C, U+200E, U+200F, U+202A..U+202E,
// U+2066..U+2069; they can make text display in another order than it was sent.
bool is_bidi_control(char32_t cp);
// THE DISPLAY RULE for text from outside that we show or log: the code points
// beyond ASCII a terminal may act on or a reader be fooled by, which every
// output escapes instead of writing: C1 controls (some terminals take U+009B
// as CSI), U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR (a line break
// to some readers), and the bidi controls. ASCII controls are not included:
// each output already escapes them in its own notation.
bool is_dangerous_code_point(char32_t cp);

// ---- names and peer ids (docs/protocol.md §1) ---------------------------------------

// THE NAME RULE, for every remote `name` and `namespace` we accept, address or
// show (the wire, the rendezvous listing, the command line): 1..64 bytes of
// valid UTF-8 that never contain
//   '@', '#', '*';
//   whitespace: ASCII and Unicode spaces (U+00A0 no-break space, U+1680,
//     U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000);
//   C0 controls, DEL, C1 controls U+0080..U+009F;
//   bidi controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069).
// Where the validators of old disagreed, the strictest of them wins.
bool is_valid_name(std::string_view name);

// Our own identity (--name / --namespace) is stricter, so that whatever we
// register is accepted by every peer and server: [A-Za-z0-9._-]{1,64}.
bool is_valid_local_name(std::string_view name);

// A peer_id is name@namespace: exactly one '@' separating two valid names.
struct PeerIdParts {
    std::string_view name;
    std::string_view ns;
};
// Splits a valid peer_id; false (parts untouched) if it is not one.
bool split_peer_id(std::string_view peer_id, PeerIdParts& parts);
bool is_valid_peer_id(std::string_view peer_id);
// The text after the first '@' ("" if there is none); no validity check.
std::string_view peer_id_namespace(std::string_view peer_id);

}  // namespace p2p
