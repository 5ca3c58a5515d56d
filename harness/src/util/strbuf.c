/* A growable text buffer, and writing files in one piece. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"

static bool reserve(struct tb__buf *b, size_t more)
{
    size_t cap;
    char *d;

    if (b->failed)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    d = realloc(b->data, cap);
    if (d == NULL) {
        b->failed = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

void tb__buf_append(struct tb__buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void tb__buf_puts(struct tb__buf *b, const char *s)
{
    tb__buf_append(b, s, strlen(s));
}

void tb__buf_escape(struct tb__buf *b, const char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        switch (*s) {
        case '&':
            tb__buf_puts(b, "&amp;");
            break;
        case '<':
            tb__buf_puts(b, "&lt;");
            break;
        case '>':
            tb__buf_puts(b, "&gt;");
            break;
        case '"':
            tb__buf_puts(b, "&quot;");
            break;
        case '\'':
            tb__buf_puts(b, "&#39;");
            break;
        default:
            tb__buf_append(b, s, 1);
            break;
        }
    }
}

void tb__buf_printf(struct tb__buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void tb__buf_free(struct tb__buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

tb_err tb__buf_write_file(const struct tb__buf *b, const char *path,
                          tb_error *err)
{
    char tmp[4096];
    FILE *f;
    int e;

    if (b->failed)
        return tb_error_set(err, TB_ERR_NOMEM, "%s: out of memory", path);
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >=
        sizeof(tmp))
        return tb_error_set(err, TB_ERR_INVALID_ARG, "path too long: %s", path);
    if ((f = fopen(tmp, "wb")) == NULL)
        return tb_error_set(err, TB_ERR_IO, "%s: %s", tmp, strerror(errno));
    if (b->len > 0 && fwrite(b->data, 1, b->len, f) != b->len) {
        e = errno;
        fclose(f);
        unlink(tmp);
        return tb_error_set(err, TB_ERR_IO, "%s: %s", tmp, strerror(e));
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(e));
    }
    return TB_OK;
}

tb_err tb__mkdir_p(const char *dir, tb_error *err)
{
    char path[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(path))
        return tb_error_set(err, TB_ERR_INVALID_ARG, "bad directory '%s'", dir);
    memcpy(path, dir, n + 1);
    /* Each prefix in turn; an existing one is fine, a file is not. */
    for (size_t i = 1; i <= n; i++) {
        struct stat st;
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            return tb_error_set(err, TB_ERR_IO, "mkdir %s: %s", path,
                                strerror(e));
        }
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            return tb_error_set(err, TB_ERR_IO, "%s is not a directory", path);
        path[i] = i < n ? '/' : '\0';
    }
    return TB_OK;
}
