/* Logging to two files and the console. One mutex: the satellites' threads
 * and the controller log at the same time, and lines must not interleave. */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include "tracebench/util/log.h"
#include "tracebench/util/paths.h"
#include "config.h"
#include "internal.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *info_file;
static FILE *verbose_file;
static int opened;             /* 1 once we tried to open the files */
static int console_level = -1; /* -1: not read from the environment */
static char dir[1024];

static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

static int parse_level(const char *s)
{
    static const char *const words[] = {"debug", "info", "warn", "error",
                                        "off"};

    for (int i = 0; i < 5; i++)
        if (strcasecmp(s, words[i]) == 0)
            return i;
    return -1;
}

static void resolve_dir(void)
{
    const char *env = tb__config_env(TB__CONFIG_LOG_DIR);

    if (env != NULL)
        snprintf(dir, sizeof(dir), "%s", env);
    else
        snprintf(dir, sizeof(dir), "%s/logs", tb_root_dir());
}

static void open_files(void)
{
    char path[1200];

    opened = 1;
    resolve_dir();
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tracebench: cannot create log directory %s: %s\n", dir,
                strerror(errno));
        return;
    }
    snprintf(path, sizeof(path), "%s/benchmark.log", dir);
    info_file = fopen(path, "a");
    snprintf(path, sizeof(path), "%s/benchmark_verbose.log", dir);
    verbose_file = fopen(path, "a");
    if (info_file == NULL || verbose_file == NULL)
        fprintf(stderr, "tracebench: cannot open logs in %s: %s\n", dir,
                strerror(errno));
}

void tb_log_set_console_level(tb_log_level level)
{
    pthread_mutex_lock(&lock);
    console_level = (int)level;
    pthread_mutex_unlock(&lock);
}

const char *tb_log_dir(void)
{
    pthread_mutex_lock(&lock);
    if (dir[0] == '\0')
        resolve_dir();
    pthread_mutex_unlock(&lock);
    return dir;
}

void tb_log_close(void)
{
    pthread_mutex_lock(&lock);
    if (info_file != NULL)
        fclose(info_file);
    if (verbose_file != NULL)
        fclose(verbose_file);
    info_file = verbose_file = NULL;
    opened = 0;
    dir[0] = '\0';
    pthread_mutex_unlock(&lock);
}

/* Returns the bytes written to the verbose log. */
static size_t vlog(tb_log_level level, const char *component, bool flush,
                   const char *fmt, va_list ap)
{
    char msg[8192], stamp[64];
    struct timeval tv;
    struct tm tm;
    int saved = errno, w = 0;

    if (level >= TB_LOG_OFF)
        return 0;
    vsnprintf(msg, sizeof(msg), fmt, ap);

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);

    pthread_mutex_lock(&lock);
    if (!opened)
        open_files();
    if (console_level < 0) {
        const char *env = tb__config_env(TB__CONFIG_LOG_LEVEL);
        int l = env != NULL ? parse_level(env) : -1;
        console_level = l >= 0 ? l : TB_LOG_WARN;
    }
    if (verbose_file != NULL) {
        w = fprintf(verbose_file, "%s.%03ld %-5s %s: %s\n", stamp,
                    (long)tv.tv_usec / 1000, level_names[level], component,
                    msg);
        if (flush)
            fflush(verbose_file);
    }
    if (info_file != NULL && level >= TB_LOG_INFO) {
        fprintf(info_file, "%s.%03ld %-5s %s: %s\n", stamp,
                (long)tv.tv_usec / 1000, level_names[level], component, msg);
        if (flush)
            fflush(info_file);
    }
    if ((int)level >= console_level)
        fprintf(stderr, "%s %s: %s\n", level_names[level], component, msg);
    pthread_mutex_unlock(&lock);
    errno = saved;
    return w > 0 ? (size_t)w : 0;
}

void tb_log(tb_log_level level, const char *component, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(level, component, true, fmt, ap);
    va_end(ap);
}

size_t tb__log_nf(tb_log_level level, const char *component, const char *fmt,
                  ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = vlog(level, component, false, fmt, ap);
    va_end(ap);
    return n;
}

void tb__log_flush(void)
{
    pthread_mutex_lock(&lock);
    if (verbose_file != NULL)
        fflush(verbose_file);
    if (info_file != NULL)
        fflush(info_file);
    pthread_mutex_unlock(&lock);
}
