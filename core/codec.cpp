// Peer-link codec (PROTOCOL.md §4, §5). The arena itself lives in json_util.cpp.
#include "core/codec.h"

#include "core/json_util.h"
