/* Logging: logs/benchmark.log (info and up), logs/benchmark_verbose.log
 * (everything), warnings and errors on stderr. The directory is
 * $TB_LOG_DIR, else <project root>/logs. Thread-safe. */
#ifndef TRACEBENCH_LOG_H
#define TRACEBENCH_LOG_H

#include "tracebench/util/err.h"

typedef enum tb_log_level {
    TB_LOG_DEBUG = 0,
    TB_LOG_INFO,
    TB_LOG_WARN,
    TB_LOG_ERROR,
    TB_LOG_OFF
} tb_log_level;

/* Writes one line: timestamp, level, component, message. Opens the log
 * files on first use; if they cannot be opened, logs go to stderr only. */
void tb_log(tb_log_level level, const char *component, const char *fmt, ...)
    TB_FORMAT(3, 4);

/* The least level copied to stderr (default TB_LOG_WARN, or $TB_LOG_LEVEL:
 * debug|info|warn|error|off). */
void tb_log_set_console_level(tb_log_level level);

/* The directory the log files go to; borrowed, valid until tb_log_close. */
const char *tb_log_dir(void);

/* Closes the files; the next tb_log opens them again. */
void tb_log_close(void);

#endif
