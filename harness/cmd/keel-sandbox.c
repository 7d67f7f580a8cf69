/* keel-sandbox.c -- runs one command of submitted code in fresh PID, IPC, mount and network
 * namespaces: the grader starts it as root for every test and every build of a submission
 * (harness/py/sandbox.py says what each mode gives and why). Read main first, then run_init.
 * Every step is a system call, not a helper program: a test pays about 3 ms for its sandbox.
 * Usage: keel-sandbox [--limit NAME=N]... MODE SCRATCH TMP UID GID KIT [HIDDEN...] -- COMMAND...
 *   --limit cpu_s=N, as_mib=N, fsize_mib=N, nofile=N, nproc=N: rlimits for the command (the
 *               grader passes them here rather than setting them in Python before the exec, so
 *               that Python can start this program with vfork: a millisecond a test); core
 *               files are always off.
 *   MODE test:  loopback up, KIT read-only, each HIDDEN path emptied, private /dev/shm and
 *               /var/tmp, /tmp is SCRATCH (TMP "private") or the run works in SCRATCH (TMP
 *               "shared", when the kit or its out folder lives under /tmp); the command runs as
 *               UID:GID with no capabilities and no new privileges.
 *   MODE build: each HIDDEN path emptied; the command runs as root (it writes the out folder).
 * Exit status: the command's, 128 + N when signal N ended it, 125 when the sandbox could not be
 * set up (with the reason on stderr), 127 when the command could not be started. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SANDBOX_EXIT_SETUP 125
#define SANDBOX_EXIT_EXEC 127
/* A batch of a few dozen submissions hides one folder per other submission, plus three. */
#define SANDBOX_HIDDEN_MAX 256u
/* /dev/shm and /var/tmp: room for a test's shared memory, not for filling the machine's RAM. */
#define SANDBOX_TMPFS_OPTIONS "size=256m,mode=1777"
/* A hidden folder: empty, closed to everyone but root, and too small to write into. */
#define SANDBOX_HIDDEN_OPTIONS "size=64k,mode=0"

struct sandbox_args {
    bool is_test; /* MODE test, else build */
    const char *scratch;
    bool is_tmp_private;
    uid_t uid;
    gid_t gid;
    const char *kit;
    const char *hidden[SANDBOX_HIDDEN_MAX];
    size_t hidden_count;
    char **command; /* NULL-terminated, from argv */
};

static void
die(const char *what, const char *path)
{
    fprintf(stderr, "sandbox: %s%s%s: %s\n", what, path != NULL ? " " : "",
            path != NULL ? path : "", strerror(errno));
    exit(SANDBOX_EXIT_SETUP);
}

static unsigned long
parse_number(const char *text)
{
    char *end = NULL;
    errno = 0;
    unsigned long id = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || id > UINT32_MAX - 1) {
        fprintf(stderr, "sandbox: '%s' is not a number (an id or a limit)\n", text);
        exit(SANDBOX_EXIT_SETUP);
    }
    return id;
}

/* Applies one --limit NAME=N to this process (and so to everything it starts). */
static void
apply_limit(const char *spec)
{
    static const struct {
        const char *name;
        int resource;
        rlim_t unit;
    } limits[] = {{"cpu_s", RLIMIT_CPU, 1},
                  {"as_mib", RLIMIT_AS, 1u << 20},
                  {"fsize_mib", RLIMIT_FSIZE, 1u << 20},
                  {"nofile", RLIMIT_NOFILE, 1},
                  {"nproc", RLIMIT_NPROC, 1}};
    const char *equals = strchr(spec, '=');
    for (size_t i = 0; equals != NULL && i < sizeof(limits) / sizeof(limits[0]); i++) {
        if (strlen(limits[i].name) == (size_t)(equals - spec) &&
            strncmp(spec, limits[i].name, (size_t)(equals - spec)) == 0) {
            rlim_t value = (rlim_t)parse_number(equals + 1) * limits[i].unit;
            /* CPU: the hard limit a second later, so SIGXCPU comes first (as the grader did). */
            struct rlimit rl = {value, limits[i].resource == RLIMIT_CPU ? value + 1 : value};
            if (setrlimit(limits[i].resource, &rl) != 0) {
                die("setrlimit", spec);
            }
            return;
        }
    }
    fprintf(stderr, "sandbox: unknown --limit '%s'\n", spec);
    exit(SANDBOX_EXIT_SETUP);
}

static void
parse_args(int argc, char **argv, struct sandbox_args *a)
{
    while (argc > 2 && strcmp(argv[1], "--limit") == 0) {
        apply_limit(argv[2]);
        argc -= 2;
        argv += 2;
    }
    struct rlimit no_core = {0, 0};
    if (setrlimit(RLIMIT_CORE, &no_core) != 0) {
        die("setrlimit", "core");
    }
    if (argc < 9 || (strcmp(argv[1], "test") != 0 && strcmp(argv[1], "build") != 0)) {
        fprintf(stderr, "usage: keel-sandbox test|build SCRATCH private|shared UID GID KIT "
                        "[HIDDEN...] -- COMMAND [ARG...]\n");
        exit(SANDBOX_EXIT_SETUP);
    }
    memset(a, 0, sizeof(*a));
    a->is_test = strcmp(argv[1], "test") == 0;
    a->scratch = argv[2];
    a->is_tmp_private = strcmp(argv[3], "private") == 0;
    a->uid = (uid_t)parse_number(argv[4]);
    a->gid = (gid_t)parse_number(argv[5]);
    a->kit = argv[6];
    int i = 7;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (a->hidden_count == SANDBOX_HIDDEN_MAX) {
            fprintf(stderr, "sandbox: more than %u paths to hide\n", SANDBOX_HIDDEN_MAX);
            exit(SANDBOX_EXIT_SETUP);
        }
        a->hidden[a->hidden_count++] = argv[i];
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "sandbox: no command after --\n");
        exit(SANDBOX_EXIT_SETUP);
    }
    a->command = &argv[i + 1];
}

/* A fresh network namespace has loopback, down: bring it up (tests serve on 127.0.0.1). */
static void
bring_loopback_up(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        die("socket", NULL);
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
        die("cannot read the flags of", "lo");
    }
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
        die("cannot bring up", "lo");
    }
    close(fd);
}

/* Empties path for this namespace: an empty tmpfs over a folder, /dev/null over a file. A path
 * that is gone (inside one hidden before it) needs nothing. */
static void
hide(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            return;
        }
        die("cannot look at", path);
    }
    int rc = S_ISDIR(st.st_mode) ? mount("keel-hidden", path, "tmpfs",
                                         MS_NOSUID | MS_NODEV | MS_NOEXEC, SANDBOX_HIDDEN_OPTIONS)
                                 : mount("/dev/null", path, NULL, MS_BIND, NULL);
    if (rc != 0) {
        die("cannot hide", path);
    }
}

/* A tmpfs of the run's own over path, when the machine has path. */
static void
private_tmpfs(const char *path)
{
    if (access(path, F_OK) != 0) {
        return;
    }
    if (mount("keel-tmp", path, "tmpfs", MS_NOSUID | MS_NODEV, SANDBOX_TMPFS_OPTIONS) != 0) {
        die("cannot give the run its own", path);
    }
}

/* The namespace's file system: mounts private to it, a /proc of its PID namespace; in test
 * mode the kit read-only (the hidden paths go on top, since a bind carries what is below it
 * but not what is mounted later), /dev/shm, /var/tmp and /tmp of its own. */
static void
set_up_mounts(const struct sandbox_args *a)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        die("cannot make the mounts private", NULL);
    }
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
        die("cannot mount", "/proc");
    }
    if (a->is_test && (mount(a->kit, a->kit, NULL, MS_BIND | MS_REC, NULL) != 0 ||
                       mount(NULL, a->kit, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0)) {
        die("cannot make the kit read-only:", a->kit);
    }
    for (size_t i = 0; i < a->hidden_count; i++) {
        hide(a->hidden[i]);
    }
    if (!a->is_test) {
        return;
    }
    private_tmpfs("/dev/shm");
    private_tmpfs("/var/tmp");
    if (a->is_tmp_private && mount(a->scratch, "/tmp", NULL, MS_BIND, NULL) != 0) {
        die("cannot give the run its own /tmp from", a->scratch);
    }
    if (chdir(a->is_tmp_private ? "/tmp" : a->scratch) != 0) {
        die("cannot enter", a->scratch);
    }
}

/* Becomes uid:gid with no capability left and none to gain (setuid programs included), so even
 * uid 0, when the grader had to keep it, cannot undo the mounts above. */
static void
drop_privileges(uid_t uid, gid_t gid)
{
    for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
            die("cannot drop a capability", NULL);
        }
    }
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
        die("cannot switch to the unprivileged user", NULL);
    }
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &header, data) != 0) {
        die("cannot clear the capabilities", NULL);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        die("cannot forbid new privileges", NULL);
    }
}

static int
exit_status_of(int wstatus)
{
    return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

/* PID 1 of the new namespace: sets it up, runs the command as its child (PID 1 ignores signals
 * it has no handler for, so the command must not be PID 1), reaps every orphan until the
 * command ends, and returns its status. When PID 1 returns, the kernel kills every process
 * left in the namespace: a daemon the command detached dies here. */
static int
run_init(const struct sandbox_args *a)
{
    if (a->is_test) {
        bring_loopback_up();
    }
    set_up_mounts(a);
    pid_t child = fork();
    if (child < 0) {
        die("fork", NULL);
    }
    if (child == 0) {
        if (a->is_test) {
            drop_privileges(a->uid, a->gid);
        }
        execvp(a->command[0], a->command);
        fprintf(stderr, "sandbox: cannot run %s: %s\n", a->command[0], strerror(errno));
        _exit(SANDBOX_EXIT_EXEC);
    }
    for (;;) {
        int wstatus = 0;
        pid_t pid = wait(&wstatus);
        if (pid == child) {
            return exit_status_of(wstatus);
        }
        if (pid < 0 && errno != EINTR) {
            die("wait", NULL);
        }
    }
}

int
main(int argc, char **argv)
{
    struct sandbox_args a;
    parse_args(argc, argv, &a);
    if (unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) != 0) {
        die("unshare", NULL);
    }
    pid_t init = fork(); /* the first child in the new PID namespace is its PID 1 */
    if (init < 0) {
        die("fork", NULL);
    }
    if (init == 0) {
        /* If the grader kills this launcher at its wall clock, the namespace goes with it. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
            die("prctl(PR_SET_PDEATHSIG)", NULL);
        }
        return run_init(&a);
    }
    for (;;) {
        int wstatus = 0;
        if (waitpid(init, &wstatus, 0) == init) {
            return exit_status_of(wstatus);
        }
        if (errno != EINTR) {
            die("waitpid", NULL);
        }
    }
}
