#!/bin/sh
# sandbox_init.sh -- the first process of a sandboxed run (harness/py/sandbox.py starts it as
# PID 1 of fresh PID, IPC, mount and network namespaces, as root). It sets the namespaces up,
# runs the command and exits with its status; when it exits, the kernel kills every process
# left in the namespace.
# Usage: sandbox_init.sh MODE SCRATCH TMP UID GID KIT [HIDDEN...] -- COMMAND [ARG...]
#   MODE test:  loopback up, KIT read-only, HIDDEN emptied, private /dev/shm and /var/tmp, and
#               TMP "private" (SCRATCH mounted over /tmp) or "shared" (when the kit or its out
#               folder lives under /tmp, which must stay visible: the run works in SCRATCH, as
#               TMPDIR says); the command runs as UID:GID with no capabilities.
#   MODE build: HIDDEN emptied, the command runs as root (it writes the out folder); SCRATCH,
#               TMP, UID and GID are ignored.
set -eu
mode=$1 scratch=$2 tmp=$3 uid=$4 gid=$5 kit=$6
shift 6

fail() {
    echo "sandbox: $*" >&2
    exit 125
}

# Nothing mounted here may reach the grader's own mount namespace.
mount --make-rprivate / || fail "cannot make the mounts private"
if [ "$mode" = test ]; then
    ip link set lo up 2>/dev/null || fail "cannot bring loopback up (is iproute2 installed?)"
    # The kit first, with what is mounted below it (an out folder of its own, say): hiding
    # comes after, on top of the read-only view.
    mount --rbind "$kit" "$kit" && mount -o remount,bind,ro "$kit" ||
        fail "cannot make the kit read-only"
fi
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    if [ ! -e "$1" ]; then
        : # gone already (inside a path hidden before it)
    elif [ -d "$1" ]; then
        mount -t tmpfs -o size=64k,mode=0 keel-hidden "$1" || fail "cannot hide $1"
    else
        mount --bind /dev/null "$1" || fail "cannot hide $1"
    fi
    shift
done
[ "$#" -gt 0 ] || fail "no command"
shift
if [ "$mode" = build ]; then
    "$@"
    exit $?
fi
mount -t tmpfs -o size=256m,mode=1777 keel-shm /dev/shm || fail "cannot give the run its own /dev/shm"
mount -t tmpfs -o size=256m,mode=1777 keel-var-tmp /var/tmp || fail "cannot give the run its own /var/tmp"
if [ "$tmp" = private ]; then
    mount --bind "$scratch" /tmp || fail "cannot give the run its own /tmp"
    cd /tmp
else
    cd "$scratch"
fi
# Not exec: this shell stays PID 1, so the run's own first process is an ordinary one (PID 1
# ignores signals it has no handler for) and its exit status comes back to the grader.
set +e
setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all --bounding-set=-all \
    --no-new-privs -- "$@"
exit $?
