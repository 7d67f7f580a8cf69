"""sandbox -- how the grader runs submitted code: every run of it, and nothing else, goes
through Sandbox.run. Read Sandbox first.

With namespaces (root on Linux), a run goes through keel-sandbox (harness/cmd/keel-sandbox.c,
built by `make sandbox`), which sets each one up with system calls in about 3 ms, and gets:
  - a fresh PID namespace: when the run's first process ends, the kernel kills every process
    the run started, a daemon that called setsid() and forked twice included;
  - a network namespace with only loopback, brought up (tests use 127.0.0.1);
  - a mount namespace in which the kit is read-only, the paths the grader hides (other
    submissions in a batch, the staging folders) are empty, and /tmp is a private scratch
    folder of the run's own, removed afterwards;
  - an unprivileged user of the grader's own (GRADER_UID_BASE + its pid), with no
    capabilities, and rlimits: CPU seconds, address space, processes, file size, open files,
    no core files;
  - private System V IPC, /dev/shm and /var/tmp.
A build of submitted code runs in namespaces too (Sandbox.build), as root but with the lab's
reference and the other submissions hidden, and under CPU, memory and time limits.
Without namespaces (not root, or a container without CAP_SYS_ADMIN), the grader says so once on
stderr and falls back to the rlimits, the unprivileged user when it is root, a session and
process group of the run's own killed when the run ends, a sweep that kills every process left
in that session and, as root, every process of the unprivileged user started since the run
began. What the fallback does not stop: network traffic beyond loopback; writes wherever the
unprivileged user may write and reads of whatever it may read (another submission of a batch
included, unless its files are closed to others); a daemon that leaves the session when the
grader is not root; and two graders at once on one machine kill each other's runs in the sweep.
Standard library only.
"""
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MIB = 1 << 20
HERE = Path(__file__).resolve().parent

# How long a run's output may grow before the rest is dropped: a test that floods stdout must
# not take the grader's memory with it. 8 MiB holds any honest failure report many times.
OUTPUT_SIZE_BYTES_MAX = 8 * MIB


@dataclass
class RunResult:
    """What one sandboxed run did. returncode is the run's exit status, or -N when it was
    killed by signal N; is_timed_out when the grader had to kill it at its wall clock."""
    returncode: int
    output: str
    elapsed_ms: int
    is_timed_out: bool


# The unprivileged users runs switch to: one of its own per grader process, above any uid a
# system hands out (Debian's adduser stops at 59999, useradd's UID_MAX at 60000; nobody is
# 65534), so RLIMIT_NPROC, which counts a user's processes machine-wide, is the grader's alone:
# a fork bomb in one grader cannot make another's tests fail to fork, and the fallback's sweep
# of that user's processes cannot touch another grader's.
GRADER_UID_BASE = 2_000_000_000
GRADER_UID_COUNT = 1_000_000


def grader_user():
    """(uid, gid) for this grader's runs, or None to stay as we are (not root).
    KEEL_GRADE_AS_ROOT=1 stays root: only for debugging the grader."""
    if os.geteuid() != 0 or os.environ.get("KEEL_GRADE_AS_ROOT") == "1":
        return None
    uid = GRADER_UID_BASE + os.getpid() % GRADER_UID_COUNT
    return uid, uid


def launcher():
    """keel-sandbox's path, built first if need be (the kit's own code, plain: no sanitizer, no
    chaos build), or None when it cannot be built (the sandbox then falls back to rlimits)."""
    import keelkit  # the sibling module; imported here so that this file stands alone otherwise
    # Built already and newer than its source: no make run (it costs a grade about 0.15 s).
    built = keelkit.out_dir() / "build" / "harness" / "cmd" / "keel-sandbox"
    source = keelkit.ROOT / "harness" / "cmd" / "keel-sandbox.c"
    try:
        if built.stat().st_mtime > source.stat().st_mtime and os.access(built, os.X_OK):
            return built
    except OSError:
        pass  # not built yet: make builds it
    proc = subprocess.run(keelkit.make_args() + ["SANITIZE=", "CHAOS=", "sandbox"],
                          capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines or not os.access(lines[-1], os.X_OK):
        print(f"grade: cannot build the sandbox launcher: {proc.stderr.strip()[-500:]}",
              file=sys.stderr)
        return None
    return Path(lines[-1])


def namespaces_work(launcher):
    """(True, "") when launcher (keel-sandbox) can give a run fresh PID, IPC, mount and network
    namespaces here, else (False, why). Probed by doing it once, with a harmless command."""
    if launcher is None:
        return False, "the sandbox launcher could not be built (make sandbox)"
    if os.geteuid() != 0:
        return False, "the grader is not root"
    if os.environ.get("KEEL_SANDBOX") == "rlimits":
        return False, "KEEL_SANDBOX=rlimits asked for the fallback"
    with tempfile.TemporaryDirectory(prefix="keel-probe-") as scratch:
        try:
            probe = subprocess.run([str(launcher), "test", scratch, "private", "0", "0", scratch,
                                    "--", "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, f"keel-sandbox failed ({e})"
    if probe.returncode != 0:
        return False, f"the sandbox cannot start: {probe.stderr.decode(errors='replace').strip()}"
    return True, ""


def _limiter(limits, cpu_s, user, is_sanitized, in_namespace):
    """The function the child runs before exec: its own session, then the rlimits; in the
    fallback it also switches to the unprivileged user here (in a namespace, setpriv does)."""
    def apply():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
        if not is_sanitized:  # sanitizers reserve terabytes of address space up front
            size = limits["as_mib"] * MIB
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
        size = limits["fsize_mib"] * MIB
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits["nofile"], limits["nofile"]))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if user is not None and not in_namespace:
            os.setgroups([])
            os.setgid(user[1])
            os.setuid(user[0])
        # Root ignores RLIMIT_NPROC: it binds only once the run is the unprivileged user.
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["nproc"], limits["nproc"]))
    return apply


def _processes():
    """(pid, session id, real uid, start time in clock ticks since boot) of every process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            uid = entry.stat().st_uid
        except OSError:
            continue
        # After the command's ")": state, ppid, pgrp, session, ..., starttime (the 20th).
        yield int(entry.name), int(fields[3]), uid, int(fields[19])


def _session_members(sid):
    """PIDs of the processes in session sid, for the fallback's sweep."""
    return [pid for pid, session, _, _ in _processes() if session == sid]


def _start_ticks(pid):
    return next((start for p, _, _, start in _processes() if p == pid), 0)


def _kill_user_since(uid, start_ticks):
    """The fallback's sweep for daemons that left the session (setsid): kills every process of
    the unprivileged user started since the run began. Only sound while one grader at a time
    runs code as that user on the machine, which is why namespaces are preferred."""
    for pid, _, owner, start in _processes():
        if owner == uid and start >= start_ticks and pid != os.getpid():
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _kill_session(sid):
    """Kills the run's process group and every process still in its session."""
    try:
        os.killpg(sid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in _session_members(sid):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class Sandbox:
    """Runs submitted code. One per grader process: it probes for namespaces once. launcher is
    the path of keel-sandbox, or None when it could not be built (then: the fallback)."""

    def __init__(self, kit_root, user, launcher, hidden=(), is_quiet=False):
        self.kit_root = Path(kit_root).resolve()
        self.user = user
        self.launcher = launcher
        self.hidden = [Path(p).resolve() for p in hidden]
        self.hidden_batch = []  # the other submissions of a batch, set per submission
        self.has_namespaces, why = namespaces_work(launcher)
        if not self.has_namespaces and not is_quiet:
            print(f"grade: no namespaces ({why}): running submitted code under rlimits"
                  f"{' as an unprivileged user' if user else ''} only; see harness/py/sandbox.py for what "
                  f"that does not stop", file=sys.stderr)

    def _is_tmp_private(self, argv):
        """A private /tmp hides the host's: only when nothing the run needs lives there."""
        needed = [self.kit_root, Path(argv[0]).resolve()]
        return not any(p == Path("/tmp") or Path("/tmp") in p.parents for p in needed)

    @staticmethod
    def _hidden(paths):
        """The paths to hide, resolved, without those inside another (hidden with it)."""
        resolved = {Path(p).resolve() for p in paths if Path(p).exists()}
        return sorted(str(p) for p in resolved if not any(q in p.parents for q in resolved))

    @staticmethod
    def _limit_args(limits, cpu_s, is_sanitized):
        """The rlimits as keel-sandbox's --limit options (it sets them itself, so that Python
        starts it without a preexec function, with vfork)."""
        args = ["--limit", f"cpu_s={cpu_s}"]
        for name in ("fsize_mib", "nofile", "nproc") + (() if is_sanitized else ("as_mib",)):
            args += ["--limit", f"{name}={limits[name]}"]
        return args

    def _command(self, argv, scratch, limits, cpu_s, is_sanitized):
        if not self.has_namespaces:
            return list(argv)
        uid, gid = self.user if self.user is not None else (0, 0)
        tmp = "private" if self._is_tmp_private(argv) else "shared"
        return ([str(self.launcher)] + self._limit_args(limits, cpu_s, is_sanitized) +
                ["test", str(scratch), tmp, str(uid), str(gid),
                 str(self.kit_root)] + self._hidden(self.hidden + self.hidden_batch) + ["--"] +
                [str(a) for a in argv])

    def build(self, argv, timeout_s, hidden=(), env=None):
        """Runs a build of submitted code (make): as root, since it writes the kit's out folder,
        but in its own namespaces with hidden (what the submission's sources must not reach:
        the reference of the lab, other submissions' staging folders) and the batch's other
        submissions hidden, no network, and limits on CPU,
        memory and time, so that `#include "/dev/zero"` or an include of the reference's
        files ends in a compiler error. Without namespaces, only the limits apply.
        Returns a RunResult."""
        limits = {"as_mib": 4096, "nproc": 4096, "fsize_mib": 4096, "nofile": 4096}
        command = list(argv)
        if self.has_namespaces:
            command = ([str(self.launcher)] + self._limit_args(limits, int(timeout_s), False) +
                       ["build", "-", "shared", "0", "0", str(self.kit_root)] +
                       self._hidden(list(self.hidden_batch) + list(hidden)) + ["--"] + command)
        start = time.monotonic()
        try:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, env=env,
                                    preexec_fn=_limiter(limits, int(timeout_s), None, False,
                                                        self.has_namespaces))
        except OSError as e:
            return RunResult(127, f"could not start {argv[0]}: {e}", 0, False)
        output, is_timed_out = self._collect(proc, timeout_s)
        self._end(proc, None)
        return RunResult(proc.returncode, output.decode(errors="replace"),
                         int((time.monotonic() - start) * 1000), is_timed_out)

    def run(self, argv, timeout_s, limits, cpu_s, env, is_sanitized=False):
        """Runs argv (submitted code) to its end or to timeout_s of wall clock, then kills
        everything it started. Returns a RunResult; never raises for what the code did."""
        scratch = Path(tempfile.mkdtemp(prefix="keel-run-"))
        if self.user is not None:
            os.chown(scratch, *self.user)
        start = time.monotonic()
        try:
            is_private = self.has_namespaces and self._is_tmp_private(argv)
            command = self._command(argv, scratch, limits, cpu_s, is_sanitized)
            env = dict(env, TMPDIR="/tmp" if is_private else str(scratch))
            if self.has_namespaces:  # keel-sandbox sets the limits: no preexec, so vfork
                proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        cwd=str(scratch), env=env, start_new_session=True)
            else:
                proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        cwd=str(scratch), env=env,
                                        preexec_fn=_limiter(limits, cpu_s, self.user,
                                                            is_sanitized, False))
        except OSError as e:
            shutil.rmtree(scratch, ignore_errors=True)
            return RunResult(127, f"could not start {argv[0]}: {e}", 0, False)
        start_ticks = None if self.has_namespaces else _start_ticks(proc.pid)
        output, is_timed_out = self._collect(proc, timeout_s)
        self._end(proc, start_ticks)
        shutil.rmtree(scratch, ignore_errors=True)
        returncode = proc.returncode
        if self.has_namespaces and 128 < returncode <= 128 + 64:
            returncode = 128 - returncode  # keel-sandbox reports a signal N as 128 + N
        return RunResult(returncode, output.decode(errors="replace"),
                         int((time.monotonic() - start) * 1000), is_timed_out)

    def _end(self, proc, start_ticks):
        """Kills what is left of a run and reaps it. In a namespace, the run's process group
        (the launcher and the namespace's PID 1) is all there is to kill: the kernel takes the
        rest with PID 1. In the fallback, the sweeps of /proc."""
        if self.has_namespaces:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        else:
            _kill_session(proc.pid)
            if self.user is not None and start_ticks is not None:
                _kill_user_since(self.user[0], start_ticks)
        proc.wait()

    def _collect(self, proc, timeout_s):
        """Reads the run's output until it closes or the wall clock runs out, keeping at most
        OUTPUT_SIZE_BYTES_MAX. A process that holds the pipe open after the run's first
        process ended cannot make the grader wait: the wall clock still ends the read."""
        chunks, size, deadline = [], 0, time.monotonic() + timeout_s
        fd = proc.stdout.fileno()
        os.set_blocking(fd, False)
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                    proc.kill()
                    proc.stdout.close()
                    return b"".join(chunks), True
                if not sel.select(timeout=min(left, 0.5)):
                    if proc.poll() is not None and (self.has_namespaces or
                                                    not _session_members(proc.pid)):
                        break  # the run ended and nothing of it holds the pipe
                    continue
                try:
                    data = os.read(fd, 1 << 16)
                except BlockingIOError:
                    continue
                if not data:
                    break
                if size < OUTPUT_SIZE_BYTES_MAX:
                    chunks.append(data[:OUTPUT_SIZE_BYTES_MAX - size])
                    size += len(chunks[-1])
        proc.stdout.close()
        return b"".join(chunks), False
