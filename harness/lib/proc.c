/* proc.c -- servers under test as child processes: spawn with arguments, wait until the port
 * accepts, SIGKILL (a crash), restart with the same arguments, read what they printed. A
 * spawned server dies with the thread that spawned it (PR_SET_PDEATHSIG), so a test that fails
 * before its server_stop, or is killed for a timeout, leaves no server running behind it. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROC_POLL_MS 10 /* how often the waits look again */

static void
free_argv(struct proc *p)
{
    for (size_t i = 0; i < PROC_ARGS_MAX && p->argv[i] != NULL; i++) {
        free(p->argv[i]);
        p->argv[i] = NULL;
    }
}

static int
start(struct proc *p)
{
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
    return 0;
}

int
proc_spawn(struct proc *p, const char *const argv[])
{
    memset(p, 0, sizeof(*p));
    p->pid = -1;
    size_t argc = 0;
    while (argv[argc] != NULL) {
        if (argc + 1 >= PROC_ARGS_MAX) {
            errno = E2BIG;
            free_argv(p);
            return -1;
        }
        p->argv[argc] = strdup(argv[argc]);
        argc++;
    }
    snprintf(p->stderr_path, sizeof(p->stderr_path), "/tmp/keel-proc-XXXXXX");
    int fd = mkstemp(p->stderr_path);
    if (fd < 0) {
        free_argv(p);
        return -1;
    }
    close(fd);
    return start(p);
}

bool
proc_is_alive(struct proc *p)
{
    if (p->pid < 0) {
        return false;
    }
    int status = 0;
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
        p->exit_status = status;
        p->pid = -1;
        return false;
    }
    return true;
}

int
proc_wait_port(struct proc *p, uint16_t port, int timeout_ms)
{
    uint64_t deadline_ms = clock_now_ms() + (uint64_t)timeout_ms;
    while (clock_now_ms() < deadline_ms && proc_is_alive(p)) {
        int fd = net_connect(port);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        clock_sleep_ms(PROC_POLL_MS);
    }
    return -1;
}

int
proc_wait_port_line(struct proc *p, uint16_t *port, int timeout_ms)
{
    uint64_t deadline_ms = clock_now_ms() + (uint64_t)timeout_ms;
    char text[8192];
    for (;;) {
        proc_stderr(p, text, sizeof(text));
        const char *at = strstr(text, "port ");
        if (at != NULL && strchr(at, '\n') != NULL) {
            long value = strtol(at + 5, NULL, 10);
            if (value > 0 && value <= 65535) {
                *port = (uint16_t)value;
                return 0;
            }
        }
        if (clock_now_ms() >= deadline_ms || !proc_is_alive(p)) {
            return -1;
        }
        clock_sleep_ms(PROC_POLL_MS);
    }
}

int
proc_kill(struct proc *p, int sig)
{
    if (p->pid < 0) {
        return 0;
    }
    if (kill(-p->pid, sig) != 0 && errno != ESRCH) {
        return -1;
    }
    int status = 0;
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
    }
    p->exit_status = status;
    p->pid = -1;
    return 0;
}

int
proc_restart(struct proc *p)
{
    if (p->pid >= 0) {
        errno = EBUSY; /* kill it first: two servers on one port is not a restart */
        return -1;
    }
    return start(p);
}

size_t
proc_stderr(const struct proc *p, char *buf, size_t size_bytes)
{
    buf[0] = '\0';
    FILE *f = fopen(p->stderr_path, "r");
    if (f == NULL) {
        return 0;
    }
    size_t n = fread(buf, 1, size_bytes - 1, f);
    buf[n] = '\0';
    fclose(f);
    return n;
}

void
proc_close(struct proc *p)
{
    proc_kill(p, SIGKILL);
    if (p->stderr_path[0] != '\0') {
        unlink(p->stderr_path);
    }
    free_argv(p);
}
