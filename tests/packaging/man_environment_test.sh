#!/bin/sh
# Every environment variable the programs read (a getenv or env_or_empty call, or a
# constant whose name ends in Env, in shell/ and platform/) is described in the man
# page's ENVIRONMENT section, so the page cannot drift from the code (issue 15.10:
# NO_COLOR and P2PCHAT_CONTROL were missing).
#   man_environment_test.sh MANPAGE SOURCE_DIR
set -eu
page=$1
src=$2
vars=$( (grep -rhoE '(getenv|env_or_empty)\("[A-Z0-9_]+"\)' "$src/shell" "$src/platform"
    grep -rhoE 'Env[A-Za-z]* = "[A-Z0-9_]+"' "$src/shell" "$src/platform") |
    grep -oE '"[A-Z0-9_]+"' | tr -d '"' | sort -u)
section=$(sed -n '/^\.SH ENVIRONMENT/,/^\.SH [^E]/p' "$page" | sed 's/\\-/-/g')
status=0
[ -n "$vars" ] || { echo "FAIL: found no getenv calls under $src"; exit 1; }
for v in $vars; do
    if ! printf '%s\n' "$section" | grep -qE "^\.B $v\$"; then
        echo "FAIL: the programs read \$$v but $(basename "$page")'s ENVIRONMENT does not describe it"
        status=1
    fi
done
[ $status -eq 0 ] && echo "ok: $(echo "$vars" | wc -w) variables in $(basename "$page")"
exit $status
