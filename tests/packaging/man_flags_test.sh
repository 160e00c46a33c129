#!/bin/sh
# Checks that a man page and the program's --help name the same flags, so the page
# cannot drift from the code: a flag printed by --help but absent from the page fails,
# and so does a flag the page describes that --help no longer prints.
#   man_flags_test.sh MANPAGE PROGRAM [ARG...]    (ARG... before --help, e.g. rendezvous)
set -eu
page=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Flags are --word-word or a one-letter -x standing after a blank or a comma.
flags() {
    grep -oE '(^|[][ ,(|])--?[a-z][a-z0-9-]*' | sed 's/^[][ ,(|]*//' |
        grep -E '^--[a-z]|^-[a-z]$' | sort -u
}

"$@" --help >"$tmp/help.txt"
flags <"$tmp/help.txt" >"$tmp/help.flags"
# Only the OPTIONS section counts (FILES may quote other programs' flags). roff writes
# a dash as \- and switches fonts with \fB, \fI, \fR, \fP.
sed -n '/^\.SH OPTIONS/,/^\.SH [^O]/p' "$page" |
    sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' | flags \
    >"$tmp/page.flags"

status=0
if [ ! -s "$tmp/help.flags" ]; then
    echo "FAIL: no flags found in the output of $* --help"
    exit 1
fi
for f in $(comm -23 "$tmp/help.flags" "$tmp/page.flags"); do
    echo "FAIL: $* --help prints $f but $(basename "$page") does not describe it"
    status=1
done
for f in $(comm -13 "$tmp/help.flags" "$tmp/page.flags"); do
    echo "FAIL: $(basename "$page") describes $f but $* --help does not print it"
    status=1
done
[ $status -eq 0 ] && echo "ok: $(wc -l <"$tmp/help.flags") flags of $* --help in $(basename "$page")"
exit $status
