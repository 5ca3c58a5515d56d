/* Instruction counters: perf_event_open with inherit, or cachegrind. */
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "internal.h"
#include "strbuf.h"
#include "tracebench/measure/counter.h"
#include "tracebench/util/log.h"

#define VALGRIND_HINT                                                          \
    "install the Debian package valgrind (apt-get install valgrind), or "      \
    "name the program with $TB_VALGRIND"
#define MAX_FILES 64 /* output files of one run: one per process */

struct tb_counter {
    tb_counter_kind kind;
    char valgrind[2048]; /* the program */
    char dir[1024];
    char prefix_file[1200]; /* --cachegrind-out-file=<dir>/<tag>.%p */
    char tag[128];
    const char *prefix[8];
    int fd_ins, fd_cyc; /* perf: -1 when closed */
    /* perf: what "instructions" counts, and whether cycles are asked for.
     * Hardware instructions and cycles, but for the tests' software
     * stand-in (tb__counter_new_perf_software). */
    uint32_t perf_type;
    uint64_t perf_config;
    bool perf_cycles;
    char *files[MAX_FILES + 1];
};

static const char *const names[] = {"auto", "perf", "valgrind", "none"};

const char *tb_counter_name(tb_counter_kind k)
{
    return (unsigned)k < 4 ? names[k] : "unknown";
}

tb_err tb_counter_parse(const char *name, tb_counter_kind *out, tb_error *err)
{
    size_t i;

    if (tb__name_find(names, 4, name, &i)) {
        *out = (tb_counter_kind)i;
        return TB_OK;
    }
    return tb_error_set(err, TB_ERR_INVALID_ARG,
                        "--counter: '%s' is not one of auto, perf, "
                        "valgrind, none",
                        name);
}

/* A counter on the calling thread: disabled now, enabled in a child when
 * it execs, inherited by every thread and child it makes. The parent
 * never execs, so it never counts itself. */
static int perf_open(uint32_t type, uint64_t config)
{
    struct perf_event_attr a;

    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = type;
    a.config = config;
    a.disabled = 1;
    a.inherit = 1;
    a.enable_on_exec = 1;
    a.exclude_kernel = 1; /* allowed at perf_event_paranoid 2 */
    a.exclude_hv = 1;
    return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1,
                        PERF_FLAG_FD_CLOEXEC);
}

bool tb_counter_perf_available(char *why, size_t why_size)
{
    int fd = perf_open(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS);

    if (fd >= 0) {
        close(fd);
        return true;
    }
    if (why != NULL)
        snprintf(why, why_size,
                 "perf_event_open cannot count instructions here: %s%s",
                 strerror(errno),
                 errno == ENOENT || errno == EOPNOTSUPP || errno == ENODEV
                     ? " (no hardware counters: a VM without a virtual PMU)"
                 : errno == EACCES || errno == EPERM
                     ? " (see /proc/sys/kernel/perf_event_paranoid)"
                     : "");
    return false;
}

/* The valgrind program: $TB_VALGRIND or a search of PATH. */
static tb_err find_valgrind(char *path, size_t size, tb_error *err)
{
    const char *name = tb__config_env(TB__CONFIG_VALGRIND);
    const char *dirs = getenv("PATH");

    if (name == NULL || name[0] == '\0')
        name = "valgrind";
    if (tb__find_program(name, path, size))
        return TB_OK;
    if (strchr(name, '/') != NULL)
        return tb_error_set(err, TB_ERR_CONFIG,
                            "valgrind not found: %s is not an executable "
                            "file; " VALGRIND_HINT,
                            name);
    return tb_error_set(
        err, TB_ERR_CONFIG,
        "valgrind not found: no '%s' in PATH (%s); " VALGRIND_HINT, name,
        dirs ? dirs : "unset");
}

static void close_perf(tb_counter *c)
{
    if (c->fd_ins >= 0)
        close(c->fd_ins);
    if (c->fd_cyc >= 0)
        close(c->fd_cyc);
    c->fd_ins = c->fd_cyc = -1;
}

static void forget_files(tb_counter *c)
{
    for (size_t i = 0; c->files[i] != NULL; i++) {
        free(c->files[i]);
        c->files[i] = NULL;
    }
}

/* A closed counter whose perf backend counts (type, config) as its
 * instructions; NULL when out of memory. */
static tb_counter *counter_alloc(uint32_t type, uint64_t config, bool cycles)
{
    tb_counter *c = calloc(1, sizeof(*c));

    if (c == NULL)
        return NULL;
    c->fd_ins = c->fd_cyc = -1;
    c->perf_type = type;
    c->perf_config = config;
    c->perf_cycles = cycles;
    return c;
}

tb_err tb_counter_new(tb_counter_kind kind, const char *out_dir,
                      tb_counter **out, tb_error *err)
{
    char why[256] = "";
    tb_counter *c;
    tb_err e;

    if ((unsigned)kind > TB_COUNTER_NONE)
        return tb_error_set(err, TB_ERR_INVALID_ARG, "no counter kind %d",
                            (int)kind);
    if ((c = counter_alloc(PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS,
                           true)) == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    if (kind == TB_COUNTER_AUTO || kind == TB_COUNTER_PERF) {
        if (tb_counter_perf_available(why, sizeof(why))) {
            kind = TB_COUNTER_PERF;
        } else if (kind == TB_COUNTER_PERF) {
            e = tb_error_set(err, TB_ERR_CONFIG, "--counter perf: %s", why);
            goto fail;
        } else {
            tb_log(TB_LOG_INFO, "counter", "%s; trying valgrind", why);
            kind = TB_COUNTER_VALGRIND;
            if (find_valgrind(c->valgrind, sizeof(c->valgrind), NULL) !=
                TB_OK) {
                tb_log(TB_LOG_WARN, "counter",
                       "no instruction counter: %s, and valgrind is not "
                       "installed (" VALGRIND_HINT ")",
                       why);
                kind = TB_COUNTER_NONE;
            }
        }
    }
    if (kind == TB_COUNTER_VALGRIND && c->valgrind[0] == '\0' &&
        (e = find_valgrind(c->valgrind, sizeof(c->valgrind), err)) != TB_OK)
        goto fail;
    if (kind == TB_COUNTER_VALGRIND) {
        if (out_dir != NULL)
            snprintf(c->dir, sizeof(c->dir), "%s", out_dir);
        else
            snprintf(c->dir, sizeof(c->dir), "%s/cost", tb_log_dir());
        if ((e = tb__mkdir_p(c->dir, err)) != TB_OK)
            goto fail;
    }
    c->kind = kind;
    *out = c;
    return TB_OK;
fail:
    free(c);
    return e;
}

tb_err tb__counter_new_perf_software(tb_counter **out, tb_error *err)
{
    tb_counter *c;
    int fd;

    if ((fd = perf_open(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK)) < 0)
        return tb_error_set(err, TB_ERR_CONFIG,
                            "perf_event_open(task-clock): %s", strerror(errno));
    close(fd);
    if ((c = counter_alloc(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK,
                           false)) == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    c->kind = TB_COUNTER_PERF;
    *out = c;
    return TB_OK;
}

void tb_counter_free(tb_counter *c)
{
    if (c == NULL)
        return;
    close_perf(c);
    forget_files(c);
    free(c);
}

tb_counter_kind tb_counter_backend(const tb_counter *c)
{
    return c->kind;
}

const char *const *tb_counter_files(const tb_counter *c)
{
    return (const char *const *)c->files;
}

/* Removes the output files an earlier run with the same tag left. */
static void remove_old(const tb_counter *c)
{
    DIR *d = opendir(c->dir);
    struct dirent *de;
    size_t n = strlen(c->tag);
    char path[2048];

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, c->tag, n) == 0 && de->d_name[n] == '.' &&
            strspn(de->d_name + n + 1, "0123456789") ==
                strlen(de->d_name + n + 1)) {
            snprintf(path, sizeof(path), "%s/%s", c->dir, de->d_name);
            unlink(path);
        }
    closedir(d);
}

tb_err tb_counter_begin(tb_counter *c, const char *tag,
                        const char *const **prefix, tb_error *err)
{
    size_t n = 0;

    close_perf(c);
    forget_files(c);
    snprintf(c->tag, sizeof(c->tag), "%s", tag ? tag : "run");
    for (char *p = c->tag; *p; p++) /* a file name, not a path */
        if (*p == '/' || *p == ' ')
            *p = '_';
    if (c->kind == TB_COUNTER_PERF) {
        c->fd_ins = perf_open(c->perf_type, c->perf_config);
        if (c->fd_ins < 0)
            return tb_error_set(err, TB_ERR_IO,
                                "perf_event_open(instructions): %s",
                                strerror(errno));
        if (c->perf_cycles) /* may be absent */
            c->fd_cyc = perf_open(PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
    } else if (c->kind == TB_COUNTER_VALGRIND) {
        remove_old(c);
        snprintf(c->prefix_file, sizeof(c->prefix_file),
                 "--cachegrind-out-file=%s/%s.%%p", c->dir, c->tag);
        c->prefix[n++] = c->valgrind;
        c->prefix[n++] = "--tool=cachegrind";
        c->prefix[n++] = "--cache-sim=no";
        c->prefix[n++] = "--trace-children=yes";
        c->prefix[n++] = "--quiet";
        c->prefix[n++] = c->prefix_file;
    }
    c->prefix[n] = NULL;
    *prefix = c->prefix;
    return TB_OK;
}

tb_err tb_counter_read_cachegrind(const char *path, uint64_t *ir, tb_error *err)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    bool found = false;

    if (f == NULL)
        return tb_error_set(err, TB_ERR_IO, "open %s: %s", path,
                            strerror(errno));
    *ir = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long long v;
        /* "summary: <Ir>", the last line; with --cache-sim=no Ir is the
         * only event. */
        if (sscanf(line, "summary: %llu", &v) == 1) {
            *ir += v;
            found = true;
        }
    }
    fclose(f);
    if (!found)
        return tb_error_set(err, TB_ERR_IO,
                            "%s: no 'summary:' line (cachegrind killed "
                            "before it wrote its totals?)",
                            path);
    return TB_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static tb_err end_valgrind(tb_counter *c, struct tb_count *out, tb_error *err)
{
    DIR *d = opendir(c->dir);
    struct dirent *de;
    size_t n = strlen(c->tag), k = 0;
    tb_err e = TB_OK;

    if (d == NULL)
        return tb_error_set(err, TB_ERR_IO, "opendir %s: %s", c->dir,
                            strerror(errno));
    while ((de = readdir(d)) != NULL && k < MAX_FILES) {
        const char *pid = de->d_name + n + 1;
        if (strncmp(de->d_name, c->tag, n) != 0 || de->d_name[n] != '.' ||
            *pid == '\0' || strspn(pid, "0123456789") != strlen(pid))
            continue;
        if (asprintf(&c->files[k], "%s/%s", c->dir, de->d_name) < 0) {
            c->files[k] = NULL;
            e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
            break;
        }
        k++;
    }
    closedir(d);
    if (e != TB_OK)
        return e;
    if (k == 0)
        return tb_error_set(err, TB_ERR_IO,
                            "valgrind wrote no %s/%s.<pid> file", c->dir,
                            c->tag);
    qsort(c->files, k, sizeof(char *), cmp_str);
    for (size_t i = 0; i < k; i++) {
        uint64_t ir;
        if ((e = tb_counter_read_cachegrind(c->files[i], &ir, err)) != TB_OK)
            return e;
        out->instructions += ir;
    }
    return TB_OK;
}

tb_err tb_counter_end(tb_counter *c, struct tb_count *out, tb_error *err)
{
    tb_err e = TB_OK;

    memset(out, 0, sizeof(*out));
    out->backend = c->kind;
    if (c->kind == TB_COUNTER_PERF) {
        uint64_t v;
        if (c->fd_ins < 0 || read(c->fd_ins, &v, sizeof(v)) != sizeof(v))
            e = tb_error_set(err, TB_ERR_IO, "reading the perf counter: %s",
                             c->fd_ins < 0 ? "not begun" : strerror(errno));
        else
            out->instructions = v;
        if (e == TB_OK && c->fd_cyc >= 0 &&
            read(c->fd_cyc, &v, sizeof(v)) == sizeof(v)) {
            out->cycles = v;
            out->has_cycles = true;
        }
        close_perf(c);
    } else if (c->kind == TB_COUNTER_VALGRIND) {
        e = end_valgrind(c, out, err);
    }
    return e;
}
