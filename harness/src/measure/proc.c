/* Child processes: spawned without a shell into their own process group, so
 * that a timeout can kill the client and everything it started. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

extern char **environ;

/* Our environment with the "K=V" entries of add replacing or joining it.
 * The array is malloc'd; its strings are borrowed. */
static char **merge_env(const char *const *add)
{
    size_t n = 0, m = 0, k = 0;
    char **env;

    while (environ[n] != NULL)
        n++;
    while (add != NULL && add[m] != NULL)
        m++;
    env = calloc(n + m + 1, sizeof(*env));
    if (env == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t klen = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        bool replaced = false;
        for (size_t j = 0; j < m && !replaced; j++)
            replaced = strncmp(add[j], environ[i], klen) == 0 &&
                       add[j][klen] == '=';
        if (!replaced)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++)
        env[k++] = (char *)add[j];
    env[k] = NULL;
    return env;
}

tb_err tb__spawn(const struct tb__spawn_opts *o, struct tb__proc *p,
                 tb_error *err)
{
    int out[2] = {-1, -1}, errp[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, def;
    char **env = NULL;
    pid_t pid;
    int rc;
    tb_err e = TB_OK;

    p->pid = -1;
    p->pidfd = p->out_fd = p->err_fd = -1;
    env = merge_env(o->env);
    if (env == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    if (o->capture &&
        (pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0)) {
        e = tb_error_set(err, TB_ERR_IO, "pipe: %s", strerror(errno));
        goto out;
    }

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (o->capture) {
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    } else if (o->quiet) {
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    }
    if (o->cwd != NULL)
        posix_spawn_file_actions_addchdir_np(&fa, o->cwd);

    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGCHLD);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                        POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF);

    tb__owned_lock();
    rc = posix_spawnp(&pid, o->argv[0], &fa, &attr, (char *const *)o->argv,
                      env);
    if (rc == 0)
        tb__owned_add(pid);
    tb__owned_unlock();
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        e = tb_error_set(err, TB_ERR_CLIENT_START, "cannot run %s: %s%s%s",
                         o->argv[0], strerror(rc),
                         o->cwd != NULL ? " (working directory " : "",
                         o->cwd != NULL ? o->cwd : "");
        if (o->cwd != NULL && err != NULL && err->code == TB_ERR_CLIENT_START)
            strncat(err->msg, ")", sizeof(err->msg) - strlen(err->msg) - 1);
        goto out;
    }
    p->pid = pid;
    p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (o->capture) {
        close(out[1]);
        close(errp[1]);
        out[1] = errp[1] = -1;
        p->out_fd = out[0];
        p->err_fd = errp[0];
        fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
        fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
        out[0] = errp[0] = -1;
    }
out:
    for (int i = 0; i < 2; i++) {
        if (out[i] >= 0)
            close(out[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    free(env);
    return e;
}

bool tb__proc_wait(struct tb__proc *p, int timeout_ms, int *status,
                   struct rusage *ru)
{
    int st = 0;

    if (p->pid <= 0)
        return true;
    if (p->pidfd >= 0) {
        struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
        int rc;
        do
            rc = poll(&pfd, 1, timeout_ms);
        while (rc < 0 && errno == EINTR);
        if (rc == 0)
            return false;
    } else {
        /* No pidfd (kernel before 5.3): look every 10 ms. */
        double end = tb__now_s() + timeout_ms / 1000.0;
        for (;;) {
            siginfo_t si;
            memset(&si, 0, sizeof(si));
            if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
                    0 &&
                si.si_pid == p->pid)
                break;
            if (timeout_ms >= 0 && tb__now_s() >= end)
                return false;
            usleep(10000);
        }
    }
    /* Grandchildren the client left behind die with its group. The child
     * is a zombie until reaped, so its group id cannot have been reused. */
    kill(-p->pid, SIGKILL);
    while (wait4(p->pid, &st, 0, ru) < 0 && errno == EINTR)
        ;
    tb__owned_remove(p->pid);
    if (status != NULL)
        *status = st;
    p->pid = -1;
    return true;
}

void tb__proc_kill(struct tb__proc *p)
{
    if (p->pid > 0) {
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        tb__owned_remove(p->pid);
        p->pid = -1;
    }
    tb__proc_close(p);
}

void tb__proc_close(struct tb__proc *p)
{
    if (p->pidfd >= 0)
        close(p->pidfd);
    if (p->out_fd >= 0)
        close(p->out_fd);
    if (p->err_fd >= 0)
        close(p->err_fd);
    p->pidfd = p->out_fd = p->err_fd = -1;
}

tb_err tb__run_quiet(const char *const *argv, const char *const *env,
                     const char *cwd, int timeout_ms, int *status,
                     tb_error *err)
{
    struct tb__spawn_opts o = {
        .argv = argv, .env = env, .cwd = cwd, .quiet = true};
    struct tb__proc p;
    int st = 0;
    tb_err e;

    *status = 0;
    if ((e = tb__spawn(&o, &p, err)) != TB_OK)
        return e;
    if (!tb__proc_wait(&p, timeout_ms, &st, NULL)) {
        tb__proc_kill(&p);
        return tb_error_set(err, TB_ERR_CLIENT_TIMEOUT,
                            "%s did not finish within %d ms; killed", argv[0],
                            timeout_ms);
    }
    tb__proc_close(&p);
    if (WIFSIGNALED(st)) {
        *status = WTERMSIG(st);
        return tb_error_set(err, TB_ERR_CLIENT_CRASHED,
                            "%s was killed by signal %d", argv[0], *status);
    }
    if (!WIFEXITED(st))
        return tb_error_set(err, TB_ERR_CLIENT_START,
                            "%s ended with wait status %d", argv[0], st);
    *status = WEXITSTATUS(st);
    return TB_OK;
}
