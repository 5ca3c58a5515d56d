/* The calibration cache. Criterion runs each test in its own process, so a
 * calibration is kept in a file rather than in memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "internal.h"
#include "tracebench/measure/calibration.h"
#include "tracebench/util/log.h"

void tb_calibration_path(const char *client, unsigned long argv_hash,
                         double target_cpu, char *buf, size_t size)
{
    char host[128] = "host";
    const char *dir = tb__config_env(TB__CONFIG_CACHE_DIR);

    gethostname(host, sizeof(host) - 1);
    if (dir == NULL || dir[0] == '\0')
        dir = tb_log_dir();
    snprintf(buf, size, "%s/calibration/%s-%08lx-%.2f-%s.json", dir, client,
             argv_hash & 0xffffffffUL, target_cpu, host);
}

/* What a calibration measured: bumped when that changes, so a cache from
 * before is recalibrated, not trusted. 2: the loop's window (LoopCpuNs,
 * LoopWallNs) where the client sends it; before, the whole run. */
#define CAL_FORMAT 2

static double num(cJSON *o, const char *key, int *ok)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (!cJSON_IsNumber(v)) {
        *ok = 0;
        return 0;
    }
    return v->valuedouble;
}

tb_err tb_calibration_load(const char *path, double ttl_s,
                           struct tb_calibration *out, tb_error *err)
{
    struct tb_calibration c;
    char *text;
    cJSON *o;
    int ok = 1;
    tb_err e;

    if ((e = tb__read_file(path, &text, NULL, err)) != TB_OK)
        return e;
    o = cJSON_Parse(text);
    free(text);
    c.target_cpu = num(o, "target_cpu", &ok);
    c.sleep_per_work_ns = num(o, "sleep_per_work_ns", &ok);
    c.work_per_second = num(o, "work_per_second", &ok);
    c.last_cpu = num(o, "last_cpu", &ok);
    c.created = (time_t)num(o, "created", &ok);
    int fok = 1;
    double format = num(o, "format", &fok);
    cJSON_Delete(o);
    if (!ok || c.work_per_second <= 0 || c.sleep_per_work_ns < 0)
        return tb_error_set(err, TB_ERR_IO, "%s: not a calibration", path);
    if (!fok || format != CAL_FORMAT)
        return tb_error_set(err, TB_ERR_IO,
                            "%s: made by an older tracebench (format %.0f, "
                            "not %d)",
                            path, fok ? format : 1.0, CAL_FORMAT);
    if (ttl_s >= 0 && difftime(time(NULL), c.created) > ttl_s)
        return tb_error_set(err, TB_ERR_IO, "%s: older than %.0f s", path,
                            ttl_s);
    *out = c;
    return TB_OK;
}

tb_err tb_calibration_save(const char *path, const struct tb_calibration *c,
                           tb_error *err)
{
    char dir[1024], tmp[1100];
    char *slash, *text;
    cJSON *o = cJSON_CreateObject();
    FILE *f;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            cJSON_Delete(o);
            return tb_error_set(err, TB_ERR_IO, "mkdir %s: %s", dir,
                                strerror(errno));
        }
    }
    cJSON_AddNumberToObject(o, "format", CAL_FORMAT);
    cJSON_AddNumberToObject(o, "target_cpu", c->target_cpu);
    cJSON_AddNumberToObject(o, "sleep_per_work_ns", c->sleep_per_work_ns);
    cJSON_AddNumberToObject(o, "work_per_second", c->work_per_second);
    cJSON_AddNumberToObject(o, "last_cpu", c->last_cpu);
    cJSON_AddNumberToObject(o, "created", (double)c->created);
    text = cJSON_Print(o);
    cJSON_Delete(o);
    if (text == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    /* Write then rename, so a reader never sees half a file. */
    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
    f = fopen(tmp, "w");
    if (f == NULL) {
        free(text);
        return tb_error_set(err, TB_ERR_IO, "%s: %s", tmp, strerror(errno));
    }
    fputs(text, f);
    free(text);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return tb_error_set(err, TB_ERR_IO, "%s: %s", path, strerror(errno));
    }
    return TB_OK;
}
