/* Stray processes: a client may start processes that leave its process
 * group or session (setsid, double fork), so killing the group misses
 * them. tracebench makes itself a child subreaper: such orphans are
 * re-parented to us instead of to init, and after each run every child of
 * ours that was not there before the client started is killed and reaped,
 * with its CPU added up. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "tracebench/util/log.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Children spawned and not yet reaped by whoever spawned them. */
#define MAX_OWNED 256
static pthread_mutex_t owned_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t owned[MAX_OWNED];
static size_t n_owned;

void tb__owned_lock(void)
{
    pthread_mutex_lock(&owned_mu);
}

void tb__owned_unlock(void)
{
    pthread_mutex_unlock(&owned_mu);
}

void tb__owned_add(pid_t pid)
{
    if (n_owned < MAX_OWNED)
        owned[n_owned++] = pid;
}

void tb__owned_remove(pid_t pid)
{
    pthread_mutex_lock(&owned_mu);
    for (size_t i = 0; i < n_owned; i++)
        if (owned[i] == pid) {
            owned[i] = owned[--n_owned];
            break;
        }
    pthread_mutex_unlock(&owned_mu);
}

static void make_subreaper(void)
{
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        tb_log(TB_LOG_WARN, "reaper",
               "cannot become a child subreaper (%s): processes a client "
               "moves out of its session may outlive it",
               strerror(errno));
}

void tb__subreaper_enable(void)
{
    pthread_once(&once, make_subreaper);
}

/* The parent pid from /proc/<pid>/stat, or -1. */
static pid_t parent_of(const char *pid)
{
    char path[64], buf[512], *p;
    FILE *f;
    int ppid = -1;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    if ((f = fopen(path, "re")) == NULL)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold ") ": the state and ppid follow the last. */
    if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2, "%*c %d", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

size_t tb__children(pid_t *out, size_t cap)
{
    pid_t me = getpid();
    DIR *d = opendir("/proc");
    struct dirent *e;
    size_t n = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL && n < cap) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        if (parent_of(e->d_name) == me)
            out[n++] = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    return n;
}

static bool listed(pid_t pid, const pid_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == pid)
            return true;
    return false;
}

void tb__reap_strays(const pid_t *before, size_t n_before, const char *name,
                     unsigned *n_reaped, double *cpu_s)
{
    pid_t kids[TB__MAX_CHILDREN];
    double end = tb__now_s() + 2.0;

    /* Killing a stray re-parents its own children to us: repeat until no
     * new child is left, for at most 2 s (a process in uninterruptible
     * sleep may take a moment to die). */
    while (tb__now_s() < end) {
        size_t n = tb__children(kids, TB__MAX_CHILDREN), fresh = 0;
        /* Held while killing, so that no child is spawned (and not yet
         * owned) in between. */
        pthread_mutex_lock(&owned_mu);
        for (size_t i = 0; i < n; i++) {
            struct rusage ru;
            int st;
            if (listed(kids[i], before, n_before) ||
                listed(kids[i], owned, n_owned))
                continue;
            fresh++;
            kill(-kids[i], SIGKILL); /* its group, when it leads one */
            kill(kids[i], SIGKILL);
            if (wait4(kids[i], &st, WNOHANG, &ru) == kids[i]) {
                (*n_reaped)++;
                *cpu_s += (double)ru.ru_utime.tv_sec +
                          (double)ru.ru_utime.tv_usec / 1e6 +
                          (double)ru.ru_stime.tv_sec +
                          (double)ru.ru_stime.tv_usec / 1e6;
            }
        }
        pthread_mutex_unlock(&owned_mu);
        if (fresh == 0)
            break;
        usleep(5000);
    }
    if (*n_reaped > 0)
        tb_log(TB_LOG_WARN, name,
               "%u process(es) the client started outlived it; killed "
               "(%.2f s of their CPU is not in the client's figure)",
               *n_reaped, *cpu_s);
}
