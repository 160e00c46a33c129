#!/usr/bin/env bash
# The shell of a built p2pchat binary through a real terminal, for cross builds under
# qemu-user (the e2e tests cannot exec a target binary): tmux runs the node in a pane,
# send-keys types, capture-pane reads the screen. Proves that libedit is in the binary and
# works on the target's libc: Tab completes a command, a line sent comes back with Up,
# /help answers, Ctrl-C clears the line, a typed UTF-8 line reaches libedit whole (its
# wide build), the history file survives a restart, /quit ends the node with status 0.
# Also checks the link: with --libedit-static (cross builds) no libedit/libtinfo/libbsd
# shared object NEEDED, so a board needs no libedit2; with --static no NEEDED at all.
#
#   shell_tty_check.sh [--libedit-static] [--static] P2PCHAT [EMULATOR ARGS...]
#   e.g. shell_tty_check.sh --libedit-static --static build/armv6/p2pchat qemu-arm -cpu arm1176
# Exit 77 (ctest SKIP_RETURN_CODE) when tmux is missing.
set -euo pipefail

expect_static=0
expect_libedit_static=0
while [ $# -gt 0 ]; do
    case "$1" in
        --static) expect_static=1 ;;
        --libedit-static) expect_libedit_static=1 ;;
        *) break ;;
    esac
    shift
done
[ $# -ge 1 ] || { echo "usage: $0 [--libedit-static] [--static] P2PCHAT [EMULATOR...]" >&2; exit 2; }
bin=$1
shift
run=("$@" "$bin")
command -v tmux >/dev/null || { echo "tmux not installed: skipped"; exit 77; }

fail() {
    echo "FAIL: $*" >&2
    if [ -n "${sock:-}" ]; then
        echo "---- screen ----" >&2
        screen >&2 || true
    fi
    [ -f "${tmp:-}/node.log" ] && { echo "---- log ----" >&2; tail -n 20 "$tmp/node.log" >&2; }
    exit 1
}

# ---- the link ----------------------------------------------------------------------
file "$bin" || true
dynamic=$(readelf -d "$bin" 2>&1) || fail "readelf -d $bin: $dynamic"
if ((expect_libedit_static)) &&
    grep -Ei 'NEEDED.*(libedit|libtinfo|libncurses|libbsd|libmd)' <<<"$dynamic"; then
    fail "the line editor's libraries are linked dynamically; the board would need them"
fi
if ((expect_static)) && grep -q NEEDED <<<"$dynamic"; then
    fail "expected a static binary, it needs: $(grep NEEDED <<<"$dynamic")"
fi

# ---- the shell in a terminal ---------------------------------------------------------
tmp=$(mktemp -d /tmp/p2p_tty_check_XXXXXX)
sock=p2ptty-$$
t() { tmux -u -L "$sock" -f /dev/null "$@"; }
cleanup() {
    t kill-server 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
screen() { t capture-pane -p -t tty; }
# The prompt row: the last non-blank one (capture-pane drops trailing spaces).
last_line() { screen | grep -v '^ *$' | tail -n 1; }

# Polls "$@" until it succeeds; every instruction is emulated, so allow a slow target.
wait_for() {
    local what=$1
    shift
    local deadline=$((SECONDS + 60))
    until "$@"; do
        ((SECONDS < deadline)) || fail "timed out waiting for $what"
        sleep 0.1
    done
}
last_line_is() { [ "$(last_line)" = "$1" ]; }
screen_has() { screen | grep -qF -- "$1"; }
pane_dead() { [ "$(t display -p -t tty '#{pane_dead}')" = 1 ]; }
type_text() { t send-keys -t tty -l "$1"; }
key() { t send-keys -t tty "$@"; }
# The pane's shell writes the node's exit status to a file: tmux's own #{pane_dead_status}
# sometimes stays empty (it marks the pane dead on the pty's EOF, before reaping the child).
exit_status() { cat "$tmp/status" 2>/dev/null; }
has_exit_status() { [ -s "$tmp/status" ]; }
quit_node() {
    type_text "/quit"
    key Enter
    wait_for "/quit to end the node" has_exit_status
    [ "$(exit_status)" = 0 ] || fail "/quit: exit status $(exit_status), want 0"
    rm -f "$tmp/status"
}

# HOME is the temp dir: no ~/.editrc of the user applies and the history file is ours.
# Ports 0 and an in-process rendezvous: nothing outside the node is needed.
node=(env "HOME=$tmp" LC_ALL=C.UTF-8 "${run[@]}" --name tty --namespace CIC --port 0 --listen-host 127.0.0.1
      --serve-rendezvous 127.0.0.1:0 --log-file "$tmp/node.log")
printf -v node_cmd '%q ' "${node[@]}"
node_cmd+="; echo \$? >$(printf %q "$tmp/status")"

t new-session -d -s tty -x 100 -y 30 "$node_cmd"
t set-option -t tty remain-on-exit on >/dev/null
wait_for "the node to listen" screen_has "as tty@CIC"
wait_for "the prompt" last_line_is ">"

echo "Tab completes a command"
type_text "/he"
key Tab
wait_for "/he<Tab> to become /help" last_line_is "> /help"
key Enter
wait_for "/help to answer" screen_has "Commands (Tab completes command names and peer ids):"
wait_for "the prompt after /help" last_line_is ">"

type_text "/pe"
key Tab
wait_for "/pe<Tab> to become /peers" last_line_is "> /peers"
key Enter
wait_for "the prompt after /peers" last_line_is ">"

echo "Up recalls the lines sent"
key Up
wait_for "Up to recall /peers" last_line_is "> /peers"
key Up
wait_for "a second Up to recall /help" last_line_is "> /help"
key C-u
wait_for "C-u to clear the line" last_line_is ">"

echo "Ctrl-C clears the line and the node runs on"
type_text "/peers never sent"
wait_for "the typed line" last_line_is "> /peers never sent"
key C-c
wait_for "C-c to clear the line" last_line_is ">"
key C-c
wait_for "C-c on an empty line to say how to quit" screen_has "Ctrl-C clears the line; /quit or Ctrl-D"
pane_dead && fail "Ctrl-C ended the node"

# libedit's wide build takes a character per key: every byte of one must reach it at once.
typed="/peers não 世界 👋 é"
if screen_has "is not UTF-8"; then
    echo "SKIP typed UTF-8: C.UTF-8 is not available to the node here"
    typed=""
else
    echo "typed UTF-8 reaches the line whole"
    type_text "$typed"
    key Enter
    wait_for "the prompt after the UTF-8 line" last_line_is ">"
fi
quit_node
if [ -n "$typed" ]; then
    # libedit writes the history with vis(3): spaces as \040, the letters as they are.
    grep -qF "${typed// /\\040}" "$tmp/.p2pchat_history.tty@CIC" ||
        fail "the UTF-8 line is not whole in the history: $(cat "$tmp/.p2pchat_history.tty@CIC")"
fi

echo "the history file survives a restart"
history=$tmp/.p2pchat_history.tty@CIC
[ -f "$history" ] || fail "no history file $history"
grep -qF /peers "$history" || fail "/peers not in $history: $(cat "$history")"
mode=$(stat -c %a "$history")
[ "$mode" = 600 ] || fail "history file mode $mode, want 600"
t respawn-pane -k -t tty "$node_cmd"
wait_for "the restarted node's prompt" last_line_is ">"
key Up
wait_for "Up to recall /quit from the file" last_line_is "> /quit"
[ -n "$typed" ] && { key Up; wait_for "Up to recall the UTF-8 line" last_line_is "> $typed"; }
key Up
wait_for "a second Up to recall /peers from the file" last_line_is "> /peers"
key C-u
wait_for "C-u to clear the line" last_line_is ">"
quit_node

echo "PASS: $bin ${*:+(under $*)}: Tab completion, history, /help, Ctrl-C, typed UTF-8"
