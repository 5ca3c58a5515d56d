/* Helpers shared inside libtracebench; not part of the public API.
 *
 * One return convention for the tb__ helpers, here and in the other
 * internal headers: a helper that can fail returns tb_err (TB_OK is 0) and
 * fills the caller's tb_error, if one is passed, with the first failure; a
 * predicate, or a lookup that may find nothing, returns bool; a helper that
 * cannot fail returns its value (a time, a count, an fd, an index with -1
 * for none) or nothing, and one that allocates returns the pointer, NULL
 * when out of memory. None returns an int for success (0/-1, 1/0). */
#ifndef TB_INTERNAL_H
#define TB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "tracebench/util/err.h"
#include "tracebench/measure/result.h"
#include "tracebench/util/log.h"

/* --- proc.c: child processes ------------------------------------------- */

struct tb__spawn_opts {
    const char *const *argv; /* NULL-terminated; argv[0] searched in PATH */
    const char *const *env;  /* "K=V" added to our environment, or NULL */
    const char *cwd;         /* NULL: ours */
    bool capture;            /* pipes for stdout and stderr */
    bool quiet;              /* stdout and stderr to /dev/null */
};

struct tb__proc {
    pid_t pid;          /* also the process group id */
    int pidfd;          /* readable once the child has exited */
    int out_fd, err_fd; /* -1 unless captured */
};

/* Starts a child in its own process group, without a shell. Fails with
 * TB_ERR_CLIENT_START naming argv[0] when it cannot be executed. */
tb_err tb__spawn(const struct tb__spawn_opts *o, struct tb__proc *p,
                 tb_error *err);

/* Waits up to timeout_ms (< 0: forever) for the child to exit and reaps it.
 * True when reaped (status and usage filled), false on timeout. */
bool tb__proc_wait(struct tb__proc *p, int timeout_ms, int *status,
                   struct rusage *ru);

/* Kills the whole process group and reaps the child; closes the fds. Safe to
 * call twice. */
void tb__proc_kill(struct tb__proc *p);
void tb__proc_close(struct tb__proc *p);

/* The names in dir that keep(dir, name) accepts, sorted with cmp (a qsort
 * comparator over char *). *names: tb__names_free(*names, *n). TB_ERR_IO
 * naming dir when it cannot be read. */
tb_err tb__list_dir(const char *dir,
                    bool (*keep)(const char *dir, const char *name),
                    int (*cmp)(const void *, const void *), char ***names,
                    size_t *n, tb_error *err);
void tb__names_free(char **names, size_t n);

/* Where `name` runs from: itself when it holds a '/', else the first
 * executable regular file of that name in $PATH, written to path. False
 * when there is none. */
bool tb__find_program(const char *name, char *path, size_t size);

/* Runs argv to completion with stdout/stderr discarded. TB_OK when it
 * exited, whatever its status: *status is its exit status (0-255).
 * TB_ERR_CLIENT_CRASHED when a signal killed it: *status is the signal.
 * TB_ERR_CLIENT_TIMEOUT when it ran past timeout_ms (then killed), and
 * TB_ERR_CLIENT_START when it could not start. err may be NULL, for a
 * caller that words its own message. */
tb_err tb__run_quiet(const char *const *argv, const char *const *env,
                     const char *cwd, int timeout_ms, int *status,
                     tb_error *err);

/* --- both.c -------------------------------------------------------------- */

/* Calls fn(a) in a new thread and fn(b) in this one, and returns when both
 * are done; one after the other when no thread can be made. */
void tb__both(void (*fn)(void *), void *a, void *b);

/* --- reaper.c: processes that left the client's group --------------- */

#define TB__MAX_CHILDREN 4096

/* Makes this process a child subreaper (once), so that orphans of a
 * client's descendants are re-parented to us. */
void tb__subreaper_enable(void);
/* Our direct children (from /proc), at most cap of them. */
size_t tb__children(pid_t *out, size_t cap);
/* Kills and reaps every child of ours not in before[] (and what those had
 * started), for at most 2 s; adds their count and CPU seconds. A child
 * tb__spawn started and its owner has not yet reaped is never taken: two
 * runs may be under way at once (the cost gate's two arms). */
void tb__reap_strays(const pid_t *before, size_t n_before, const char *name,
                     unsigned *n_reaped, double *cpu_s);
/* The children tb__spawn started and not yet reaped by their owner. Lock
 * around the spawn and add the pid before unlocking, so that no reaper
 * sees the child unowned; remove once it is reaped. */
void tb__owned_lock(void);
void tb__owned_unlock(void);
void tb__owned_add(pid_t pid); /* with the lock held */
void tb__owned_remove(pid_t pid);

/* --- interrupt.c -------------------------------------------------------- */

/* The read end of the self-pipe the signal handler writes to; -1 before
 * tb_interrupt_install. Readable once a signal has arrived. */
int tb__interrupt_fd(void);

/* --- result.c --------------------------------------------------------- */

struct cJSON;

/* Every field of r as a JSON object (NULL when out of memory), owned by
 * the caller: results.c writes run lines from it, tb_result_to_json
 * prints it. */
struct cJSON *tb__result_json(const tb_result *r);

/* --- runner.c: one measured client run --------------------------------- */

struct tb__run_opts {
    const char *const *argv;
    const char *const *env;
    const char *cwd;
    const char *name; /* for log lines */
    double timeout_s; /* <= 0: none */
};

/* Runs the client and fills r's measured fields (program_time_s,
 * clock_time_s, samples, peak RSS, exit status). TB_ERR_CLIENT_TIMEOUT or
 * TB_ERR_CLIENT_CRASHED still fill r with what was measured. */
tb_err tb__run_client(const struct tb__run_opts *o, tb_result *r,
                      tb_error *err);

/* --- counter.c -------------------------------------------------------- */

struct tb_counter;

/* Tests only: a perf counter whose "instructions" are the software event
 * task-clock (ns of CPU), which needs no hardware counter. This VM has
 * none; the stand-in runs the same open, inherit, enable-on-exec and read
 * as the real backend, so a test can check that a client's threads,
 * children and processes that left its session are all counted. *out:
 * tb_counter_free. */
tb_err tb__counter_new_perf_software(struct tb_counter **out, tb_error *err);

/* --- control.c: the control endpoint ----------------------------------- */

struct tb__control;

/* Listens on 127.0.0.1:port (0: any free port). */
tb_err tb__control_start(int port, struct tb__control **out, tb_error *err);
uint16_t tb__control_port(const struct tb__control *c);
/* Sets the body of GET /control (copied) and forgets any posted result. */
tb_err tb__control_set(struct tb__control *c, const char *json, tb_error *err);
/* True when a client POSTed /result since the last set; *spans is its
 * count, *after_mark its SpansSentAfterMark (-1 when it sent none). */
bool tb__control_result(struct tb__control *c, uint64_t *spans,
                        int64_t *after_mark);
/* True when the posted result held "LatencyNs": out[] is its p50, p99,
 * p999 and max, in ns. */
bool tb__control_latency(struct tb__control *c, double out[4]);
/* The posted result's WorkCpuNs, or -1 when it sent none (or no result
 * came). */
double tb__control_work_cpu_ns(struct tb__control *c);
/* The posted result's LoopOverheadNs, or -1 as above. */
double tb__control_overhead_ns(struct tb__control *c);
/* True when the posted result held LoopCpuNs (>= 0) and LoopWallNs (> 0):
 * the loop's CPU and wall time, ns, into *cpu_ns and *wall_ns. */
bool tb__control_loop_window(struct tb__control *c, double *cpu_ns,
                             double *wall_ns);
void tb__control_stop(struct tb__control *c);

/* --- net.c ------------------------------------------------------------- */

struct tb__listeners {
    int fd4;       /* 127.0.0.1 */
    int fd6;       /* [::1]; -1 where the kernel has no IPv6 */
    uint16_t port; /* the same on both */
};

/* Listening TCP sockets on 127.0.0.1:port and [::1]:port (0: any free
 * port, the same on both). TB_ERR_PORT_IN_USE names what ("satellite",
 * "control endpoint"), the port and the address. The caller owns the
 * fds. */
tb_err tb__listen_loopback(int port, const char *what,
                           struct tb__listeners *out, tb_error *err);

/* --- log.c ------------------------------------------------------------ */

/* As tb_log, but left in the stdio buffer: a run's client output is
 * flushed once per chunk read (tb__log_flush), not once per line. Returns
 * the bytes written to the verbose log. */
size_t tb__log_nf(tb_log_level level, const char *component, const char *fmt,
                  ...) TB_FORMAT(3, 4);
void tb__log_flush(void);

/* --- util -------------------------------------------------------------- */

double tb__now_s(void);     /* monotonic seconds */
uint64_t tb__unix_ns(void); /* CLOCK_REALTIME, ns since the epoch */
char *tb__strdup(const char *s);
/* The one lookup of the name tables (enum value -> name): true with
 * *index when name is names[*index]; false for NULL or an unknown name. */
bool tb__name_find(const char *const *names, size_t n, const char *name,
                   size_t *index);
/* Reads a whole file into a malloc'd NUL-terminated buffer. */
tb_err tb__read_file(const char *path, char **out, size_t *len, tb_error *err);

#endif
