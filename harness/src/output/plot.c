/* The gnuplot driver: find the program, run it without a shell and with a
 * deadline, and turn its complaints into one error message. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "internal.h"
#include "tracebench/output/plot.h"

#define INSTALL_HINT                                                           \
    "install the Debian package gnuplot-nox (apt-get install gnuplot-nox), "   \
    "or name the program with $TB_GNUPLOT or --gnuplot"
#define ERR_TAIL_BYTES 600 /* of gnuplot's stderr kept */

static const char *program_name(const struct tb_plot_opts *o)
{
    const char *env = tb__config_env(TB__CONFIG_GNUPLOT);

    if (o != NULL && o->gnuplot != NULL && o->gnuplot[0] != '\0')
        return o->gnuplot;
    if (env != NULL && env[0] != '\0')
        return env;
    return "gnuplot";
}

tb_err tb_plot_find(const struct tb_plot_opts *o, char *path, size_t size,
                    tb_error *err)
{
    const char *name = program_name(o);
    const char *dirs = getenv("PATH");

    if (tb__find_program(name, path, size))
        return TB_OK;
    if (strchr(name, '/') != NULL)
        return tb_error_set(err, TB_ERR_IO,
                            "gnuplot not found: %s is not an executable "
                            "file; " INSTALL_HINT,
                            name);
    return tb_error_set(
        err, TB_ERR_IO,
        "gnuplot not found: no '%s' in PATH (%s); " INSTALL_HINT, name,
        dirs ? dirs : "unset");
}

/* Appends what fd has to tail, keeping only its last ERR_TAIL_BYTES. */
static void drain(int fd, char *tail, size_t *len)
{
    char buf[1024];
    ssize_t n;

    if (fd < 0)
        return;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (*len == ERR_TAIL_BYTES) {
                memmove(tail, tail + 1, ERR_TAIL_BYTES - 1);
                (*len)--;
            }
            tail[(*len)++] = buf[i] == '\n' ? ' ' : buf[i];
        }
    }
}

tb_err tb_plot_render(const char *dir, const char *script,
                      const struct tb_plot_opts *o, tb_error *err)
{
    unsigned timeout_ms = TB_PLOT_DEFAULT_TIMEOUT_MS;
    char prog[4096], tail[ERR_TAIL_BYTES + 1];
    size_t tail_len = 0;
    const char *argv[3];
    struct tb__proc p;
    double deadline;
    int status = 0;
    tb_err e;

    if (o != NULL && o->timeout_ms > 0)
        timeout_ms = o->timeout_ms;
    if ((e = tb_plot_find(o, prog, sizeof(prog), err)) != TB_OK)
        return e;
    argv[0] = prog;
    argv[1] = script;
    argv[2] = NULL;
    struct tb__spawn_opts so = {.argv = argv, .cwd = dir, .capture = true};
    if ((e = tb__spawn(&so, &p, err)) != TB_OK)
        return e;
    /* Read the pipes while it runs: a chatty gnuplot must not block on a
     * full pipe while we wait for it to exit. */
    deadline = tb__now_s() + timeout_ms / 1000.0;
    for (;;) {
        struct pollfd fds[2] = {{.fd = p.out_fd, .events = POLLIN},
                                {.fd = p.err_fd, .events = POLLIN}};
        size_t ignored = 0;
        char sink[ERR_TAIL_BYTES + 1];
        poll(fds, 2, 50);
        drain(p.out_fd, sink, &ignored);
        drain(p.err_fd, tail, &tail_len);
        if (tb__proc_wait(&p, 0, &status, NULL))
            break;
        if (tb__now_s() > deadline) {
            tb__proc_kill(&p);
            return tb_error_set(err, TB_ERR_IO,
                                "gnuplot %s ran past %u ms and was killed",
                                script, timeout_ms);
        }
    }
    drain(p.err_fd, tail, &tail_len);
    tb__proc_close(&p);
    tail[tail_len] = '\0';
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return TB_OK;
    if (strstr(tail, "unknown or ambiguous terminal") != NULL)
        return tb_error_set(err, TB_ERR_IO,
                            "%s has no pngcairo terminal; install the Debian "
                            "package gnuplot-nox",
                            prog);
    if (WIFEXITED(status))
        return tb_error_set(err, TB_ERR_IO,
                            "gnuplot %s/%s failed with status %d: %s", dir,
                            script, WEXITSTATUS(status), tail);
    return tb_error_set(err, TB_ERR_IO, "gnuplot %s/%s died of signal %d: %s",
                        dir, script, WTERMSIG(status), tail);
}

static uint32_t be32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           (uint32_t)b[3];
}

tb_err tb_plot_png_size(const char *path, uint32_t *width, uint32_t *height,
                        tb_error *err)
{
    static const unsigned char sig[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    unsigned char h[24];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
    n = fread(h, 1, sizeof(h), f);
    fclose(f);
    if (n < sizeof(h) || memcmp(h, sig, sizeof(sig)) != 0)
        return tb_error_set(err, TB_ERR_DECODE, "%s: not a PNG (bad signature)",
                            path);
    /* The first chunk must be IHDR, 13 bytes: width, height, ... */
    if (be32(h + 8) != 13 || memcmp(h + 12, "IHDR", 4) != 0)
        return tb_error_set(err, TB_ERR_DECODE,
                            "%s: not a PNG (no IHDR chunk first)", path);
    if (be32(h + 16) == 0 || be32(h + 20) == 0)
        return tb_error_set(err, TB_ERR_DECODE, "%s: PNG of zero size", path);
    *width = be32(h + 16);
    *height = be32(h + 20);
    return TB_OK;
}
