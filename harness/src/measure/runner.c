/* One measured client run. The loop sleeps in poll() on the child's pidfd
 * and its output pipes, waking once a second to sample /proc, so that the
 * harness itself stays near zero CPU while the client runs. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "internal.h"
#include "tracebench/measure/interrupt.h"
#include "tracebench/util/log.h"

/* Output is read in large chunks, so a chatty client is not slowed by
 * one read per line; lines go to the log without a flush each. */
#define READ_CHUNK_BYTES (64 * 1024)
#define LINE_MAX_BYTES 4096
#define TAIL_LINES 5
#define LOG_PREFIX_BYTES 128 /* time, level and name, at most */
#define DEFAULT_LOG_MAX_BYTES (10ull * 1000 * 1000)
/* How often the client's peak RSS (VmHWM) is read: growth in its last
 * 100 ms before exit is not seen (an exited process has no VmHWM). */
#define HWM_PERIOD_S 0.1

struct stream {
    int fd;
    int is_err;
    char line[LINE_MAX_BYTES + 1];
    size_t len;
    uint64_t cut; /* bytes of the current line past the cap */
};

struct run {
    const char *name;
    char tail[TAIL_LINES][256]; /* last stderr lines, for crash reports */
    unsigned tail_next;
    size_t cap; /* capacity of the sample arrays */
    tb_result *r;
    unsigned long long prev_ticks;
    double prev_t;
    uint64_t log_max; /* TB_LOG_CLIENT_MAX */
    uint64_t logged;  /* bytes of output logged so far */
    char chunk[READ_CHUNK_BYTES];
    pid_t before[TB__MAX_CHILDREN]; /* our children before the client */
    size_t n_before;
    uint64_t hwm; /* the client's VmHWM, highest read so far */
};

static uint64_t log_max_from_env(void)
{
    const char *s = tb__config_env(TB__CONFIG_LOG_CLIENT_MAX);
    char *end;
    unsigned long long v;

    if (s == NULL || s[0] == '\0')
        return DEFAULT_LOG_MAX_BYTES;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        tb_log(TB_LOG_WARN, "runner",
               "TB_LOG_CLIENT_MAX=%s is not a number of bytes; using %llu", s,
               (unsigned long long)DEFAULT_LOG_MAX_BYTES);
        return DEFAULT_LOG_MAX_BYTES;
    }
    return v;
}

/* valgrind's own notes ("--1234-- warning: L3 cache found, ..."), which it
 * prints under the instruction counter whatever its options on a host with
 * an odd cache size: the counter's, not the client's, so not errors. */
static int is_valgrind_note(const char *line)
{
    size_t i = 2;

    if (strncmp(line, "--", 2) != 0 || !isdigit((unsigned char)line[2]))
        return 0;
    while (isdigit((unsigned char)line[i]))
        i++;
    return strncmp(line + i, "-- ", 3) == 0;
}

/* One whole line (len bytes, NUL-terminated in s->line). The tail of
 * stderr is kept even past the log budget: it names a crash's cause. */
static void emit_line(struct run *run, struct stream *s)
{
    const char *line = s->line;
    uint64_t cost = s->len + s->cut + 1;
    tb_log_level level = s->is_err && !is_valgrind_note(line) ? TB_LOG_ERROR
                                                              : TB_LOG_DEBUG;

    if (s->is_err) {
        char *slot = run->tail[run->tail_next % TAIL_LINES];
        size_t n = strnlen(line, sizeof(run->tail[0]) - 1);
        memcpy(slot, line, n);
        slot[n] = '\0';
        run->tail_next++;
    }
    /* The budget is what the log grows by: the line and its prefix. */
    if (run->logged + s->len + LOG_PREFIX_BYTES > run->log_max) {
        run->r->output_unlogged_bytes += cost;
    } else {
        if (s->cut > 0)
            run->logged += tb__log_nf(
                level, run->name,
                "%s [... line cut: %llu more bytes not logged]", line,
                (unsigned long long)s->cut);
        else
            run->logged += tb__log_nf(level, run->name, "%s", line);
        run->r->output_unlogged_bytes += s->cut;
    }
    s->len = 0;
    s->cut = 0;
}

/* Splits a chunk into lines; a line longer than LINE_MAX_BYTES keeps its
 * first LINE_MAX_BYTES and counts the rest. */
static void feed(struct run *run, struct stream *s, const char *p, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;
        size_t room = LINE_MAX_BYTES - s->len;
        size_t take = seg < room ? seg : room;

        memcpy(s->line + s->len, p, take);
        s->len += take;
        s->cut += seg - take;
        if (nl == NULL)
            return;
        s->line[s->len] = '\0';
        emit_line(run, s);
        p = nl + 1;
        n -= seg + 1;
    }
}

/* Reads what is there and logs whole lines. Returns 0 at EOF. */
static int drain(struct run *run, struct stream *s)
{
    int rc = 1;

    for (int i = 0; i < 64; i++) { /* at most 4 MiB, then poll again */
        ssize_t n = read(s->fd, run->chunk, sizeof(run->chunk));
        if (n < 0) {
            rc = errno == EAGAIN || errno == EINTR ? 1 : 0;
            break;
        }
        if (n == 0) {
            if (s->len > 0 || s->cut > 0) {
                s->line[s->len] = '\0';
                emit_line(run, s);
            }
            rc = 0;
            break;
        }
        feed(run, s, run->chunk, (size_t)n);
        if ((size_t)n < sizeof(run->chunk))
            break;
    }
    tb__log_flush();
    return rc;
}

static int read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

/* utime + stime in clock ticks, from /proc/<pid>/stat. -1 also when the
 * process has exited (state Z or X, not yet reaped): an exited process's
 * figures are no sample of a running one. */
static int cpu_ticks(pid_t pid, unsigned long long *ticks)
{
    char path[64], buf[1024];
    unsigned long long ut, st;
    char state;
    char *p;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (read_small(path, buf, sizeof(buf)) != 0)
        return -1;
    /* The command name may hold spaces and parentheses: skip past the
     * last ')'; utime and stime are then fields 12 and 13. */
    p = strrchr(buf, ')');
    if (p == NULL ||
        sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
               &state, &ut, &st) != 3 ||
        state == 'Z' || state == 'X' || state == 'x')
        return -1;
    *ticks = ut + st;
    return 0;
}

static int rss_bytes(pid_t pid, uint64_t *rss)
{
    char path[64], buf[256];
    unsigned long long size, res;

    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    if (read_small(path, buf, sizeof(buf)) != 0 ||
        sscanf(buf, "%llu %llu", &size, &res) != 2)
        return -1;
    *rss = (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
    return 0;
}

/* The client's own peak RSS so far: VmHWM from /proc/<pid>/status. Not
 * wait4's ru_maxrss: at exec the kernel carries the spawning process's RSS
 * into the child's maxrss, so every client "peaked" at least at
 * tracebench's own size (a c client of 15 MiB read 22 to 47 MiB as an
 * audit's harness grew). A zombie has no VmHWM line: -1. */
static int hwm_bytes(pid_t pid, uint64_t *hwm)
{
    char path[64], buf[4096];
    unsigned long long kb;
    const char *p;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (read_small(path, buf, sizeof(buf)) != 0 ||
        (p = strstr(buf, "\nVmHWM:")) == NULL ||
        sscanf(p + 7, "%llu", &kb) != 1)
        return -1;
    *hwm = (uint64_t)kb * 1024;
    return 0;
}

static void read_hwm(struct run *run, pid_t pid)
{
    uint64_t h;

    if (hwm_bytes(pid, &h) == 0 && h > run->hwm)
        run->hwm = h;
}

/* One sample of a running client. None when it has exited meanwhile: a
 * zombie's statm reads 0, and a 0 once made the memory gate divide by it
 * ("inf (27.1 / 0.0 MiB)"). A live process always has some RSS, so 0
 * means it exited between the two reads. */
static void sample(struct run *run, pid_t pid, double now)
{
    unsigned long long ticks;
    uint64_t rss;
    tb_result *r = run->r;

    if (cpu_ticks(pid, &ticks) != 0 || rss_bytes(pid, &rss) != 0 || rss == 0 ||
        cpu_ticks(pid, &ticks) != 0)
        return;
    if (r->n_samples == run->cap) {
        size_t ncap = run->cap ? run->cap * 2 : 64;
        double *c = realloc(r->cpu_list, ncap * sizeof(*c));
        if (c == NULL)
            return;
        r->cpu_list = c;
        uint64_t *m = realloc(r->memory_list, ncap * sizeof(*m));
        if (m == NULL)
            return;
        r->memory_list = m;
        run->cap = ncap;
    }
    double dt = now - run->prev_t;
    double cpu = dt > 0 ? (double)(ticks - run->prev_ticks) /
                              (double)sysconf(_SC_CLK_TCK) / dt
                        : 0;
    r->cpu_list[r->n_samples] = cpu;
    r->memory_list[r->n_samples] = rss;
    r->n_samples++;
    run->prev_ticks = ticks;
    run->prev_t = now;
}

static void tail_text(struct run *run, char *buf, size_t size)
{
    unsigned n = run->tail_next < TAIL_LINES ? run->tail_next : TAIL_LINES;
    size_t off = 0;

    buf[0] = '\0';
    for (unsigned i = run->tail_next - n; i < run->tail_next && off < size;
         i++) {
        int w = snprintf(buf + off, size - off, "%s%s", off ? " | " : "",
                         run->tail[i % TAIL_LINES]);
        if (w < 0)
            break;
        off += (size_t)w;
    }
}

tb_err tb__run_client(const struct tb__run_opts *o, tb_result *r, tb_error *err)
{
    struct tb__spawn_opts so = {
        .argv = o->argv, .env = o->env, .cwd = o->cwd, .capture = true};
    struct tb__proc p;
    struct stream out = {.is_err = 0}, errs = {.is_err = 1};
    struct run *run;
    struct rusage ru;
    int status = 0, exited = 0, timed_out = 0;
    double t0, next_sample, next_hwm, deadline, now;
    tb_err e;

    run = calloc(1, sizeof(*run));
    if (run == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    run->name = o->name;
    run->r = r;
    memset(&ru, 0, sizeof(ru));

    run->log_max = log_max_from_env();
    tb__subreaper_enable();
    run->n_before = tb__children(run->before, TB__MAX_CHILDREN);
    if ((r->interrupted = tb_interrupted()) != 0) {
        e = tb_error_set(err, TB_ERR_INTERRUPTED,
                         "client %s not started: interrupted by signal %d "
                         "(%s)",
                         o->name, r->interrupted, strsignal(r->interrupted));
        goto out;
    }

    t0 = tb__now_s();
    r->start_unix_ns = tb__unix_ns();
    if ((e = tb__spawn(&so, &p, err)) != TB_OK)
        goto out;
    run->prev_t = t0;
    out.fd = p.out_fd;
    errs.fd = p.err_fd;
    read_hwm(run, p.pid); /* exec'd: a process that dies at once has one */
    next_sample = t0 + 1.0;
    next_hwm = t0 + HWM_PERIOD_S;
    deadline = o->timeout_s > 0 ? t0 + o->timeout_s : INFINITY;

    while (!exited) {
        struct pollfd pf[4] = {
            {.fd = p.pidfd, .events = POLLIN},
            {.fd = out.fd, .events = POLLIN},
            {.fd = errs.fd, .events = POLLIN},
            {.fd = tb__interrupt_fd(), .events = POLLIN},
        };
        now = tb__now_s();
        double until = fmin(fmin(next_sample, next_hwm), deadline) - now;
        int ms = until <= 0 ? 0 : (int)ceil(until * 1000.0);
        if (poll(pf, 4, ms) < 0 && errno != EINTR) {
            e = tb_error_set(err, TB_ERR_IO, "poll: %s", strerror(errno));
            tb__proc_kill(&p);
            goto out;
        }
        if (pf[1].revents && !drain(run, &out))
            out.fd = -1;
        if (pf[2].revents && !drain(run, &errs))
            errs.fd = -1;
        now = tb__now_s();
        if (pf[0].revents) {
            exited = 1;
            break;
        }
        if (now >= next_hwm) {
            read_hwm(run, p.pid);
            next_hwm = now + HWM_PERIOD_S;
        }
        if (now >= next_sample) {
            sample(run, p.pid, now);
            while (next_sample <= now)
                next_sample += 1.0;
        }
        if ((r->interrupted = tb_interrupted()) != 0) {
            kill(-p.pid, SIGKILL);
            exited = 1;
        } else if (now >= deadline) {
            timed_out = 1;
            kill(-p.pid, SIGKILL);
            exited = 1;
        }
    }
    tb__proc_wait(&p, -1, &status, &ru);
    r->clock_time_s = tb__now_s() - t0;
    /* Before draining: a stray may hold the output pipes open. */
    tb__reap_strays(run->before, run->n_before, o->name, &r->stray_processes,
                    &r->stray_cpu_s);
    /* The group is dead now, so the pipes reach EOF promptly. */
    for (int i = 0; i < 100 && (out.fd >= 0 || errs.fd >= 0); i++) {
        struct pollfd pf[2] = {{.fd = out.fd, .events = POLLIN},
                               {.fd = errs.fd, .events = POLLIN}};
        if (poll(pf, 2, 10) <= 0)
            continue;
        if (pf[0].revents && !drain(run, &out))
            out.fd = -1;
        if (pf[1].revents && !drain(run, &errs))
            errs.fd = -1;
    }
    tb__proc_close(&p);
    if (r->output_unlogged_bytes > 0)
        tb_log(TB_LOG_WARN, o->name,
               "%llu bytes of the client's output were not logged "
               "(over TB_LOG_CLIENT_MAX=%llu bytes per run, or past the "
               "%d-byte line limit)",
               (unsigned long long)r->output_unlogged_bytes,
               (unsigned long long)run->log_max, LINE_MAX_BYTES);

    r->program_time_s = (double)ru.ru_utime.tv_sec +
                        (double)ru.ru_utime.tv_usec / 1e6 +
                        (double)ru.ru_stime.tv_sec +
                        (double)ru.ru_stime.tv_usec / 1e6;
    r->peak_rss_bytes = run->hwm; /* not ru.ru_maxrss: see hwm_bytes */
    r->timed_out = timed_out;
    r->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;

    char tail[TAIL_LINES * 256 + 16];
    tail_text(run, tail, sizeof(tail));
    if (r->interrupted) {
        e = tb_error_set(err, TB_ERR_INTERRUPTED,
                         "client %s stopped: interrupted by signal %d (%s) "
                         "after %.1f s",
                         o->name, r->interrupted, strsignal(r->interrupted),
                         r->clock_time_s);
    } else if (timed_out) {
        e = tb_error_set(err, TB_ERR_CLIENT_TIMEOUT,
                         "client %s did not finish within %.1f s; killed",
                         o->name, o->timeout_s);
    } else if (r->term_signal != 0) {
        e = tb_error_set(err, TB_ERR_CLIENT_CRASHED,
                         "client %s was killed by signal %d (%s)%s%s", o->name,
                         r->term_signal, strsignal(r->term_signal),
                         tail[0] ? ": " : "", tail);
    } else if (r->exit_status == 3) {
        /* The protocol's "tracer not installed" status. */
        e = tb_error_set(err, TB_ERR_TRACER_MISSING,
                         "client %s cannot start its tracer%s%s", o->name,
                         tail[0] ? ": " : "", tail);
    } else if (r->exit_status != 0) {
        e = tb_error_set(err, TB_ERR_CLIENT_CRASHED,
                         "client %s exited with status %d%s%s", o->name,
                         r->exit_status, tail[0] ? ": " : "", tail);
    } else {
        e = TB_OK;
    }
out:
    free(run);
    return e;
}
