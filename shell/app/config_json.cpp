#include "shell/app/config_json.h"

#include <rapidjson/error/en.h>

namespace p2p::shell {

namespace {

// The offset of the first '[' or '{' (outside strings) that opens a level
// past kMaxConfigDepth, or npos. A pass over the bytes before the parse, so
// the parser never builds the deep document at all.
std::size_t too_deep_at(const std::string& text) {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;  // the escaped character cannot end the string
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxConfigDepth) return i;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::string::npos;
}

}  // namespace

bool parse_config_json(const std::string& text, rapidjson::Document& doc, std::string& why) {
    if (text.size() > kMaxConfigBytes) {
        why = "larger than " + std::to_string(kMaxConfigBytes / 1024) + " KiB";
        return false;
    }
    if (std::size_t at = too_deep_at(text); at != std::string::npos) {
        why = "nested deeper than " + std::to_string(kMaxConfigDepth) + " levels at byte " +
              std::to_string(at);
        return false;
    }
    // Iterative as well: the depth check above is the bound, this the belt.
    doc.Parse<rapidjson::kParseIterativeFlag>(text.c_str(), text.size());
    if (!doc.HasParseError()) return true;
    why = "not valid JSON at byte " + std::to_string(doc.GetErrorOffset()) + ": " +
          rapidjson::GetParseError_En(doc.GetParseError());
    return false;
}

}  // namespace p2p::shell
