/* Small helpers with no better home. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

double tb__now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t tb__unix_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

char *tb__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    if (d != NULL)
        memcpy(d, s, n);
    return d;
}

bool tb__name_find(const char *const *names, size_t n, const char *name,
                   size_t *index)
{
    for (size_t i = 0; name != NULL && i < n; i++)
        if (strcmp(names[i], name) == 0) {
            *index = i;
            return true;
        }
    return false;
}

tb_err tb__read_file(const char *path, char **out, size_t *len, tb_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (f == NULL)
        return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
    for (;;) {
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return tb_error_set(err, TB_ERR_NOMEM, "%s: out of memory",
                                    path);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int e = errno;
        free(buf);
        fclose(f);
        return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(e));
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    if (len != NULL)
        *len = n;
    return TB_OK;
}

static bool executable_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           access(path, X_OK) == 0;
}

/* The search posix_spawnp makes, done first so that a missing program is
 * reported by name rather than as a failed spawn. */
bool tb__find_program(const char *name, char *path, size_t size)
{
    const char *dirs = getenv("PATH");

    if (strchr(name, '/') != NULL) {
        if (!executable_file(name))
            return false;
        snprintf(path, size, "%s", name);
        return true;
    }
    for (const char *p = dirs ? dirs : ""; *p != '\0';) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        char cand[4096];
        if (n > 0 &&
            (size_t)snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, p, name) <
                sizeof(cand) &&
            executable_file(cand)) {
            snprintf(path, size, "%s", cand);
            return true;
        }
        p += n;
        if (*p == ':')
            p++;
    }
    return false;
}

void tb__names_free(char **names, size_t n)
{
    for (size_t i = 0; names != NULL && i < n; i++)
        free(names[i]);
    free(names);
}

tb_err tb__list_dir(const char *dir,
                    bool (*keep)(const char *dir, const char *name),
                    int (*cmp)(const void *, const void *), char ***names,
                    size_t *n, tb_error *err)
{
    char **v = NULL;
    size_t len = 0, cap = 0;
    struct dirent *de;
    DIR *d = opendir(dir);
    tb_err e = TB_OK;

    if (d == NULL)
        return tb_error_set(err, TB_ERR_IO, "%s: %s", dir, strerror(errno));
    while ((de = readdir(d)) != NULL && e == TB_OK) {
        if (!keep(dir, de->d_name))
            continue;
        if (len == cap) {
            size_t c = cap ? cap * 2 : 16;
            char **g = realloc(v, c * sizeof(*g));
            if (g == NULL) {
                e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
                break;
            }
            v = g;
            cap = c;
        }
        if ((v[len] = tb__strdup(de->d_name)) == NULL)
            e = tb_error_set(err, TB_ERR_NOMEM, "out of memory");
        else
            len++;
    }
    closedir(d);
    if (e != TB_OK) {
        tb__names_free(v, len);
        return e;
    }
    if (len > 1)
        qsort(v, len, sizeof(*v), cmp);
    *names = v;
    *n = len;
    return TB_OK;
}
