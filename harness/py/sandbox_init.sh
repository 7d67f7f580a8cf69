#!/bin/sh
# sandbox_init.sh -- the first process of a sandboxed run (harness/py/sandbox.py starts it as
# PID 1 of fresh PID, mount and network namespaces, as root). It brings loopback up, makes the
# kit read-only, empties the hidden paths, gives the run a private /tmp, then runs the command
# as the unprivileged user and exits with its status. When this shell exits, the kernel kills
# every process left in the namespace.
# Usage: sandbox_init.sh SCRATCH TMP UID GID KIT [HIDDEN...] -- COMMAND [ARG...]
# TMP is "private" (SCRATCH is mounted over /tmp) or "shared" (when the kit or its out folder
# lives under /tmp, which must stay visible: the run then works in SCRATCH, as TMPDIR says).
set -eu
scratch=$1 tmp=$2 uid=$3 gid=$4 kit=$5
shift 5

fail() {
    echo "sandbox: $*" >&2
    exit 125
}

# Nothing mounted here may reach the grader's own mount namespace.
mount --make-rprivate / || fail "cannot make the mounts private"
ip link set lo up 2>/dev/null || fail "cannot bring loopback up (is iproute2 installed?)"
# The kit first: a bind mount does not carry the mounts below it, so hiding comes after.
mount --bind "$kit" "$kit" && mount -o remount,bind,ro "$kit" "$kit" ||
    fail "cannot make the kit read-only"
while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
    mount -t tmpfs -o size=64k,mode=0 keel-hidden "$1" || fail "cannot hide $1"
    shift
done
[ "$#" -gt 0 ] || fail "no command"
shift
if [ "$tmp" = private ]; then
    mount --bind "$scratch" /tmp || fail "cannot give the run its own /tmp"
    cd /tmp
else
    cd "$scratch"
fi
# Not exec: this shell stays PID 1, so the run's own first process is an ordinary one (PID 1
# ignores signals it has no handler for) and its exit status comes back to the grader.
set +e
setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
status=$?
exit "$status"
