#!/bin/sh
# The OpenWrt init script's UCI-to-flags translation, run against stubs of OpenWrt's
# config_* (functions.sh) and procd_* (procd.sh) functions: each UCI option must become
# its flag with its value, booleans their flag only when true, lists a repeated flag,
# disabled sections no instance. With a p2pchat binary as $1, every flag the script
# emits must also be one that binary's --help prints (the script cannot drift from it).
#   sh tests/openwrt/init_script_test.sh [path/to/p2pchat]
set -u
here=$(cd "$(dirname "$0")" && pwd)
init=$here/../../platform/service/openwrt/p2pchat/files/p2pchat.init
bin=${1:-}
failures=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# ---- a UCI store in shell variables: CFG_<section>_<option> ----------------------------
CFG_SECTIONS=""
reset_config() {
    for s in $CFG_SECTIONS; do
        for v in $(set | sed -n "s/^\(CFG_${s}_[A-Za-z0-9_]*\)=.*/\1/p"); do unset "$v"; done
    done
    CFG_SECTIONS=""
    : >"$out"
}
section() { # type name
    CFG_SECTIONS="$CFG_SECTIONS $2"
    eval "CFG_${2}__type=\$1"
}
option() { eval "CFG_${1}_${2}=\$3"; }
list() { # section option value: kept newline-separated
    eval "CFG_${1}_${2}=\"\${CFG_${1}_${2}:+\${CFG_${1}_${2}}
}\$3\""
}

# ---- stubs of OpenWrt's functions, as the init script calls them --------------------
config_load() { [ "$1" = p2pchat ] || fail "config_load $1"; }
config_get() { # var section option [default]
    eval "_v=\${CFG_${2}_${3}-\${4:-}}"
    eval "$1=\$_v"
}
config_get_bool() { # var section option [default]: functions.sh's spellings of true/false
    eval "_v=\${CFG_${2}_${3}-\${4:-}}"
    case "$_v" in
        1 | on | true | yes | enabled) _v=1 ;;
        0 | off | false | no | disabled) _v=0 ;;
        *) _v=${4:-0} ;;
    esac
    eval "$1=\$_v"
}
config_foreach() { # function type
    for s in $CFG_SECTIONS; do
        eval "_t=\$CFG_${s}__type"
        [ "$_t" = "$2" ] && "$1" "$s"
    done
}
config_list_foreach() { # section option function
    eval "_l=\${CFG_${1}_${2}-}"
    [ -n "$_l" ] || return 0
    # In this shell, not a pipe's subshell: the callback appends to the instance.
    _ifs=$IFS
    IFS='
'
    for item in $_l; do
        IFS=$_ifs
        "$3" "$item"
    done
    IFS=$_ifs
}
procd_open_instance() { ARGV=""; PARAMS=""; INSTANCE=$1; }
procd_set_param() {
    key=$1
    shift
    if [ "$key" = command ]; then
        ARGV=$(printf '%s|' "$@")
    else
        PARAMS="$PARAMS $key=$*;"
    fi
}
procd_append_param() {
    [ "$1" = command ] || fail "procd_append_param $1"
    shift
    ARGV=$ARGV$(printf '%s|' "$@")
}
procd_close_instance() { printf '%s %s %s\n' "$INSTANCE" "$ARGV" "$PARAMS" >>"$out"; }
procd_add_reload_trigger() { TRIGGER=$1; }

# shellcheck source=/dev/null
. "$init"
STATE_DIRS=""
ensure_state_dir() { STATE_DIRS="$STATE_DIRS $1"; }

argv_of() { sed -n "s/^$1 \([^ ]*\) .*/\1/p" "$out"; }
params_of() { sed -n "s/^$1 [^ ]* \(.*\)/\1/p" "$out"; }
expect_argv() { # section expected-argv
    got=$(argv_of "$1")
    [ "$got" = "$2" ] || fail "$1: argv
   got      $got
   expected $2"
}

# ---- every value option of a node, each with a distinct value ---------------------------
# option value flag: the spec this test holds the init script to.
NODE_CASES="name relay1 --name
namespace LAB --namespace
port 7070 --port
listen_host 10.0.0.1 --listen-host
rendezvous 10.0.0.2:8080 --rendezvous
rendezvous_db /var/lib/p2pchat/r.json --rendezvous-db
ttl 600 --ttl
discovery_interval 7.5 --discovery-interval
discover namespace --discover
max_peers 99 --max-peers
ping_interval 11 --ping-interval
max_reconnect_attempts 3 --max-reconnect-attempts
relay_ttl 2 --relay-ttl
relay_share 40 --relay-share
relay_rate 77 --relay-rate
max_routes 300 --max-routes
route_age 90 --route-age
max_relay_acks 600 --max-relay-acks
max_pending_sends 70 --max-pending-sends
queue_bytes 40000 --queue-bytes
queue_msgs 128 --queue-msgs
max_user_queue_bytes 2097152 --max-user-queue-bytes
relay_rate_link 300 --relay-rate-link
slow_reader 3 --slow-reader
log_level DEBUG --log-level
log_file /tmp/p2pchat.log --log-file
control /var/run/p2pchat/control --control
config /etc/p2pchat/relay.json --config
key /etc/p2pchat/node.key --key"
RENDEZVOUS_CASES="listen 0.0.0.0:9090 --listen
db /var/lib/p2pchat/db.json --db
db_write_delay_ms 250 --db-write-delay-ms
rate_limit 20 --rate-limit
rate_window 30 --rate-window
block_seconds 45 --block-seconds
idle_timeout 6 --idle-timeout
request_timeout 31 --request-timeout
max_connections 500 --max-connections
max_registrations 1000 --max-registrations
max_tracked_ips 900 --max-tracked-ips
default_ttl 3600 --default-ttl
max_ttl 7200 --max-ttl
log_level WARN --log-level
control /var/run/p2pchat/rendezvous.control --control"

# Sets every option of $2 on section $1 and prints the argv they must produce.
set_all() {
    expected=""
    while read -r opt value flag; do
        option "$1" "$opt" "$value"
        expected="$expected$flag|$value|"
    done <<CASES
$2
CASES
    printf '%s' "$expected"
}

reset_config
section node full
option full enabled 1
node_expected=$(set_all full "$NODE_CASES")
# set_all ran in a subshell: set the options again in this shell.
set_all full "$NODE_CASES" >/dev/null
option full json 1
option full syslog yes
option full relay 0
option full serve_rendezvous 0.0.0.0:8080
list full peer 10.0.0.3:7070
list full peer 10.0.0.4:7071
section rendezvous rdv
option rdv enabled 1
rdv_expected=$(set_all rdv "$RENDEZVOUS_CASES")
set_all rdv "$RENDEZVOUS_CASES" >/dev/null
start_service
expect_argv full "/usr/bin/p2pchat|--no-shell|$node_expected--json|--syslog|--no-relay|--serve-rendezvous|0.0.0.0:8080|--peer|10.0.0.3:7070|--peer|10.0.0.4:7071|"
expect_argv rdv "/usr/bin/p2pchat|rendezvous|--log-format|syslog|$rdv_expected"
case "$(params_of full)" in
    *"user=p2pchat;"*"respawn="*"limits=nofile=4096 4096;"*) ;;
    *) fail "full: procd params $(params_of full)" ;;
esac
case "$(params_of rdv)" in
    *"user=p2pchat;"*"limits=nofile=8192 8192;"*) ;;
    *) fail "rdv: procd params $(params_of rdv)" ;;
esac
[ "$STATE_DIRS" = " /var/lib/p2pchat /var/lib/p2pchat /etc/p2pchat /var/run/p2pchat" ] ||
    fail "state dirs:$STATE_DIRS"
service_triggers
[ "$TRIGGER" = p2pchat ] || fail "reload trigger: $TRIGGER"

# ---- defaults: unset options add nothing, booleans false add nothing ------------------
reset_config
section node minimal
option minimal enabled 1
option minimal name n1
option minimal namespace CIC
option minimal json 0
option minimal relay 1
option minimal serve_rendezvous 1
section node off
option off enabled 0
option off name n2
section node unset
option unset name n3
section rendezvous rdv_off
start_service
expect_argv minimal "/usr/bin/p2pchat|--no-shell|--log-format|syslog|--name|n1|--namespace|CIC|--serve-rendezvous|"
[ "$(grep -c . "$out")" = 1 ] || fail "only the enabled section runs, got: $(cat "$out")"

# ---- the shipped /etc/config/p2pchat parses and starts nothing until enabled ----------
reset_config
uci_file=$here/../../platform/service/openwrt/p2pchat/files/p2pchat.config
cur=""
while read -r kind a b; do
    a=$(echo "$a" | tr -d "'")
    b=$(echo "$b" | tr -d "'")
    case "$kind" in
        config) section "$a" "$b"; cur=$b ;;
        option) option "$cur" "$a" "$b" ;;
        list) list "$cur" "$a" "$b" ;;
    esac
done <"$uci_file"
start_service
[ ! -s "$out" ] || fail "the default config starts something: $(cat "$out")"
option relay enabled 1
option rendezvous enabled 1
start_service
expect_argv relay "/usr/bin/p2pchat|--no-shell|--log-format|syslog|--name|router|--namespace|CIC|--port|7070|--rendezvous|127.0.0.1:8080|--max-peers|64|--log-level|INFO|--control|/var/run/p2pchat/control|--key|/etc/p2pchat/node.key|"
expect_argv rendezvous "/usr/bin/p2pchat|rendezvous|--log-format|syslog|--listen|0.0.0.0:8080|--db|/var/lib/p2pchat/registrations.json|--log-level|INFO|"

# ---- every flag the script can emit is one the program knows --------------------------
if [ -n "$bin" ]; then
    node_help=$("$bin" --help) || fail "$bin --help"
    rdv_help=$("$bin" rendezvous --help) || fail "$bin rendezvous --help"
    for pair in $NODE_VALUE_OPTIONS $NODE_BOOL_OPTIONS no-relay:--no-relay \
        serve:--serve-rendezvous peer:--peer shell:--no-shell; do
        printf '%s\n' "$node_help" | grep -qe "${pair#*:}\b" ||
            fail "p2pchat --help has no ${pair#*:}"
    done
    # Both get --log-format syslog (procd would file their stderr at LOG_ERR).
    printf '%s\n' "$node_help" | grep -qe "--log-format [a-z|]*syslog" ||
        fail "p2pchat --help has no --log-format syslog"
    printf '%s\n' "$rdv_help" | grep -qe "--log-format [a-z|]*syslog" ||
        fail "p2pchat rendezvous --help has no --log-format syslog"
    for pair in $RENDEZVOUS_VALUE_OPTIONS; do
        printf '%s\n' "$rdv_help" | grep -qe "${pair#*:}\b" ||
            fail "p2pchat rendezvous --help has no ${pair#*:}"
    done
fi

if [ "$failures" -ne 0 ]; then
    echo "init_script_test: $failures failure(s)"
    exit 1
fi
echo "init_script_test: ok"
