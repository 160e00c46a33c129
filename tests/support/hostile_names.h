// Names that the name rule (core/text.h is_valid_name) refuses although one
// validator or another of old accepted them. Every entry point that takes a
// remote name - the command line, the wire's HELLO, the rendezvous listing -
// is tested against all of them, so none of them can drift apart again.
#pragma once
#include <string_view>

namespace p2p::test {

inline constexpr std::string_view kHostileNames[] = {
    "csi\xc2\x9b"
    "31m",  // U+009B, a C1 control some terminals take as CSI
    "evil\xe2\x80\xae"
    "cba",  // U+202E right-to-left override
    "no\xc2\xa0"
    "break",  // U+00A0 no-break space
    "line\xe2\x80\xa8"
    "sep",  // U+2028 line separator
    "ideo\xe3\x80\x80"
    "space",             // U+3000 ideographic space
    "mark\xe2\x80\x8f",  // U+200F right-to-left mark
    "iso\xe2\x81\xa6"
    "late",  // U+2066 left-to-right isolate
    "bad\xff"
    "utf8",  // not UTF-8 at all
    "over\xc0\xaf"
    "long",  // overlong '/'
};

}  // namespace p2p::test
