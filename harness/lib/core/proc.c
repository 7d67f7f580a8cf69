/* proc.c -- servers under test as child processes: spawn with arguments, wait until the port
 * accepts, SIGKILL (a crash), restart with the same arguments, read what they printed. A
 * spawned server dies with the thread that spawned it (PR_SET_PDEATHSIG), so a test that fails
 * before its server_stop, or is killed for a timeout, leaves no server running behind it. */
#include "kh_core.h"
#include "kh_net.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define KH_PROC_POLL_MS 10 /* how often the waits look again */

static void
free_argv(struct kh_proc *p)
{
    for (size_t i = 0; i < KH_PROC_ARGS_MAX && p->argv[i] != NULL; i++) {
        free(p->argv[i]);
        p->argv[i] = NULL;
    }
}

static int
start(struct kh_proc *p)
{
    assert(p->pid < 0); /* one process per kh_proc at a time */
    assert(p->argv[0] != NULL);
    int err_fd = open(p->stderr_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (err_fd < 0) {
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(err_fd);
        return -1;
    }
    if (pid == 0) {
        /* SIGKILL when the spawning thread ends; and if it ended before this line, now. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
            _exit(127);
        }
        setpgid(0, 0);
        dup2(err_fd, STDERR_FILENO);
        execv(p->argv[0], p->argv);
        fprintf(stderr, "proc: cannot exec %s: %s\n", p->argv[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    close(err_fd);
    p->pid = pid;
    assert(p->pid > 0);
    return 0;
}

int
kh_proc_spawn(struct kh_proc *p, const char *const argv[])
{
    assert(argv[0] != NULL); /* a program to start */
    memset(p, 0, sizeof(*p));
    p->pid = -1;
    for (size_t argc = 0; argv[argc] != NULL; argc++) {
        if (argc + 1 >= KH_PROC_ARGS_MAX) {
            errno = E2BIG;
            goto fail;
        }
        p->argv[argc] = strdup(argv[argc]);
        if (p->argv[argc] == NULL) {
            goto fail; /* errno ENOMEM */
        }
    }
    snprintf(p->stderr_path, sizeof(p->stderr_path), "/tmp/keel-proc-XXXXXX");
    int fd = mkstemp(p->stderr_path);
    if (fd < 0) {
        p->stderr_path[0] = '\0'; /* nothing was made */
        goto fail;
    }
    close(fd);
    if (start(p) != 0) {
        goto fail;
    }
    assert(p->pid > 0);
    return 0;
fail : /* as kh_proc_close would, keeping errno: p is left with nothing to release */
{
    int saved = errno;
    if (p->stderr_path[0] != '\0') {
        unlink(p->stderr_path);
        p->stderr_path[0] = '\0';
    }
    free_argv(p);
    errno = saved;
}
    return -1;
}

bool
kh_proc_is_alive(struct kh_proc *p)
{
    if (p->pid < 0) {
        return false;
    }
    assert(p->pid > 0); /* never 0: that would wait for any child of the group */
    int status = 0;
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
        p->exit_status = status;
        p->pid = -1;
        return false;
    }
    return true;
}

int
kh_proc_wait_port(struct kh_proc *p, uint16_t port, int timeout_ms)
{
    assert(port != 0);
    assert(timeout_ms >= 0);
    uint64_t deadline_ms = kh_clock_now_ms() + (uint64_t)timeout_ms;
    while (kh_clock_now_ms() < deadline_ms && kh_proc_is_alive(p)) {
        int fd = kh_net_connect(port);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        kh_clock_sleep_ms(KH_PROC_POLL_MS);
    }
    return -1;
}

int
kh_proc_wait_port_line(struct kh_proc *p, uint16_t *port, int timeout_ms)
{
    assert(port != NULL);
    assert(timeout_ms >= 0);
    uint64_t deadline_ms = kh_clock_now_ms() + (uint64_t)timeout_ms;
    char text[8192];
    for (;;) {
        kh_proc_stderr(p, text, sizeof(text));
        const char *at = strstr(text, "port ");
        if (at != NULL && strchr(at, '\n') != NULL) {
            long value = strtol(at + 5, NULL, 10);
            if (value > 0 && value <= 65535) {
                *port = (uint16_t)value;
                assert(*port != 0);
                return 0;
            }
        }
        if (kh_clock_now_ms() >= deadline_ms || !kh_proc_is_alive(p)) {
            return -1;
        }
        kh_clock_sleep_ms(KH_PROC_POLL_MS);
    }
}

int
kh_proc_kill(struct kh_proc *p, int sig)
{
    assert(sig > 0); /* 0 only probes; a kill here must end the process to be reaped */
    if (p->pid < 0) {
        return 0;
    }
    assert(p->pid > 0); /* kill(-0) would signal the caller's own group */
    if (kill(-p->pid, sig) != 0 && errno != ESRCH) {
        return -1;
    }
    int status = 0;
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
    }
    p->exit_status = status;
    p->pid = -1;
    assert(WIFEXITED(status) || WIFSIGNALED(status)); /* reaped: it ended, not just stopped */
    return 0;
}

int
kh_proc_restart(struct kh_proc *p)
{
    if (p->pid >= 0) {
        errno = EBUSY; /* kill it first: two servers on one port is not a restart */
        return -1;
    }
    return start(p);
}

size_t
kh_proc_stderr(const struct kh_proc *p, char *buf, size_t size_bytes)
{
    assert(buf != NULL);
    assert(size_bytes > 0); /* room for the NUL at least */
    buf[0] = '\0';
    FILE *f = fopen(p->stderr_path, "r");
    if (f == NULL) {
        return 0;
    }
    size_t n = fread(buf, 1, size_bytes - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert(n < size_bytes);
    return n;
}

void
kh_proc_close(struct kh_proc *p)
{
    kh_proc_kill(p, SIGKILL);
    if (p->stderr_path[0] != '\0') {
        unlink(p->stderr_path);
    }
    free_argv(p);
    assert(p->pid < 0);
    assert(p->argv[0] == NULL);
}

int
kh_exe_relative(const char *relative, char *out, size_t out_size)
{
    assert(relative != NULL);
    assert(out_size > 0);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        return -1;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    assert(slash != NULL); /* the kernel gives the executable's absolute path */
    *slash = '\0';
    int length = snprintf(out, out_size, "%s/%s", exe, relative);
    return length < 0 || (size_t)length >= out_size ? -1 : 0;
}
