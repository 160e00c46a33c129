#!/usr/bin/env bash
# Fails when a fuzz run never reached the code it is meant to test.
#
# usage: tests/fuzz/check_reach.sh LOGDIR
# LOGDIR holds one NAME.log per libFuzzer target (as .ci/run writes them under
# build/fuzz/logs). Each instrumented target prints at exit (tests/fuzz/reach.h)
#   reach: NAME types=N/TOTAL handled=H roundtrips=R
# A target listed below fails the check when its log has no such line, when
# no input got into its handler (H=0), when it decoded fewer distinct message
# types than its minimum, or when no round-trip check ran (R=0). Targets with no
# minimum here are reported when they print a line and otherwise skipped.
set -euo pipefail

if (($# != 1)) || [ ! -d "$1" ]; then
    echo "usage: $0 LOGDIR" >&2
    exit 2
fi
logdir=$1

# Minimum distinct message types per target. The seed corpora hold every type
# (tests/fuzz/corpus/NAME), so a run from them reaches all; the minimums leave
# a little room below that for a shorter run.
declare -A min_types=(
    [codec_fuzz]=15      # of the 18 peer message types
    [rendezvous_fuzz]=3  # REGISTER, DISCOVER, UNREGISTER
)

status=0
shopt -s nullglob
for log in "$logdir"/*.log; do
    name=$(basename "$log" .log)
    line=$(grep -E "^reach: $name types=" "$log" | tail -n 1 || true)
    minimum=${min_types[$name]:-}
    if [ -z "$line" ]; then
        if [ -n "$minimum" ]; then
            echo "reach $name FAILED: no reach line in $log (did the target exit normally?)"
            status=1
        fi
        continue
    fi
    if [[ ! $line =~ types=([0-9]+)/([0-9]+)\ handled=([0-9]+)\ roundtrips=([0-9]+) ]]; then
        echo "reach $name FAILED: unreadable line: $line"
        status=1
        continue
    fi
    types=${BASH_REMATCH[1]} handled=${BASH_REMATCH[3]} roundtrips=${BASH_REMATCH[4]}
    problem=""
    if ((handled == 0)); then
        problem="no input reached a handler"
    elif [ -n "$minimum" ] && ((types < minimum)); then
        problem="only $types message types reached, minimum $minimum"
    elif [ -n "$minimum" ] && ((roundtrips == 0)); then
        problem="no round-trip check ran"
    fi
    if [ -n "$problem" ]; then
        echo "reach $name FAILED: $problem ($line)"
        grep -E "^reach: $name by type:" "$log" | tail -n 1 || true
        status=1
    else
        echo "$line"
    fi
done
for name in "${!min_types[@]}"; do
    if [ ! -f "$logdir/$name.log" ]; then
        echo "reach $name FAILED: no log $logdir/$name.log"
        status=1
    fi
done
exit $status
