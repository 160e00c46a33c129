#!/bin/sh
# The include arrows of docs/architecture.md, checked on the sources: every target has
# the repository root on its include path, so a header-only include against the arrows
# would compile and link; this test is what fails instead.
#   core/           -> core
#   platform/       -> platform, core
#   shell/ui/       -> shell/ui, platform, core
#   shell/runtime/  -> shell/runtime, platform, core
#   shell/app/      -> anything but tests/
# An include is `#include "a/b.h"` (from the repository root); a bare "b.h" is the
# including file's own folder, so within its layer.
# Usage: include_layers_test.sh ROOT        check the tree at ROOT
#        include_layers_test.sh --self-test plant one bad include per rule: each must fail
set -eu

# The layers a file under $1 may include from (prefixes of the included path).
allowed_for() {
    case "$1" in
        core/*) echo "core/" ;;
        platform/*) echo "platform/ core/" ;;
        shell/ui/*) echo "shell/ui/ platform/ core/" ;;
        shell/runtime/*) echo "shell/runtime/ platform/ core/" ;;
        shell/app/*) echo "shell/ core/ platform/" ;;
        *) echo "" ;;
    esac
}

# Prints "file:line: includes X (allowed: ...)" for every include against the arrows;
# exit status 1 if there was one.
check_tree() {
    root=$1
    bad=0
    files=$(cd "$root" && find core platform shell -type f \( -name '*.h' -o -name '*.cpp' \) \
        2>/dev/null | sort)
    [ -n "$files" ] || { echo "no sources under $root/core, platform, shell" >&2; return 2; }
    for f in $files; do
        allowed=$(allowed_for "$f")
        while IFS= read -r line; do
            [ -n "$line" ] || continue
            target=${line#*:}
            ok=0
            for prefix in $allowed; do
                case "$target" in "$prefix"*) ok=1 ;; esac
            done
            if [ "$ok" -eq 0 ]; then
                echo "$f:${line%%:*}: includes \"$target\" (allowed: ${allowed:-nothing})"
                bad=1
            fi
        done <<INCLUDES
$(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*/[^"]*"' "$root/$f" |
    sed 's/^\([0-9]*\):.*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1:\2/')
INCLUDES
    done
    return $bad
}

self_test() {
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    failures=0
    # file, then an include it must not have
    while read -r file include; do
        rm -rf "$tmp/tree"
        mkdir -p "$tmp/tree/core" "$tmp/tree/platform" "$tmp/tree/shell/ui" \
            "$tmp/tree/shell/runtime" "$tmp/tree/shell/app"
        printf '#pragma once\n#include "core/clock.h"\n#include <vector>\n' >"$tmp/tree/core/ok.h"
        mkdir -p "$(dirname "$tmp/tree/$file")"
        printf '#include "core/ok.h"\n#include "%s"\n' "$include" >"$tmp/tree/$file"
        if out=$(check_tree "$tmp/tree"); then
            echo "self-test: $file including \"$include\" was not caught"
            failures=1
        else
            echo "self-test: caught $out"
        fi
    done <<PLANTED
core/a.cpp platform/net.h
core/a.h shell/ui/console.h
platform/a.cpp shell/runtime/peer_links.h
platform/sub/a.h shell/app/node_app.h
shell/ui/a.cpp shell/runtime/node_runtime.h
shell/runtime/a.h shell/ui/console.h
shell/runtime/a.cpp shell/app/node_app.h
shell/ui/a.h tests/support/process.h
shell/app/a.cpp tests/support/process.h
PLANTED
    # And a tree that keeps to the arrows passes.
    rm -rf "$tmp/tree"
    mkdir -p "$tmp/tree/core" "$tmp/tree/platform" "$tmp/tree/shell/ui" "$tmp/tree/shell/app"
    printf '#include "core/x.h"\n#include "y.h"\n' >"$tmp/tree/core/a.h"
    printf '#include "core/x.h"\n#include "platform/y.h"\n' >"$tmp/tree/platform/a.h"
    printf '#include "shell/ui/x.h"\n#include "platform/y.h"\n' >"$tmp/tree/shell/ui/a.h"
    printf '#include "shell/ui/x.h"\n#include "shell/runtime/y.h"\n' >"$tmp/tree/shell/app/a.h"
    if ! out=$(check_tree "$tmp/tree"); then
        echo "self-test: a tree within the arrows was refused: $out"
        failures=1
    fi
    return $failures
}

case "${1:-}" in
    --self-test) self_test ;;
    "") echo "usage: $0 ROOT | --self-test" >&2; exit 2 ;;
    *)
        if check_tree "$1"; then
            echo "include layers: every include follows the arrows"
        else
            echo "include layers: includes against the arrows (docs/architecture.md)" >&2
            exit 1
        fi
        ;;
esac
