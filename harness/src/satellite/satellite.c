/* The satellite group: starting and stopping its servers, the counts they
 * share, modes and faults. One request's handling is in satellite_http.c.
 *
 * The whole group shares one span-id set: a span sent twice to two
 * satellites of the group is a duplicate too. The set has a lock per
 * shard, so connections record their ids in parallel; the group lock is
 * taken once per request, for a few additions to the counts. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "satellite_internal.h"
#include "tracebench/util/log.h"

#define DEFAULT_SETTLE_MS 100
#define DEFAULT_MAX_WAIT_MS 1000
#define COLLECT_POLL_MS 5

static uint64_t delay_ps(double us)
{
    return us <= 0 ? 0 : (uint64_t)(us * 1e6 + 0.5);
}

static uint64_t now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* Wakes handlers sleeping in a delay or a hang and stops every server;
 * the admin lock is held. */
static void stop_all(tb_satellites *g)
{
    pthread_mutex_lock(&g->lock);
    g->stopping = true;
    pthread_cond_broadcast(&g->wake);
    pthread_mutex_unlock(&g->lock);
    for (size_t i = 0; i < g->n; i++)
        tb__satellite_stop(&g->sats[i]);
    pthread_mutex_lock(&g->lock);
    g->stopping = false;
    pthread_mutex_unlock(&g->lock);
}

/* Starts every stopped server; on failure none is left listening. The
 * admin lock is held. */
static tb_err start_all(tb_satellites *g, tb_error *err)
{
    tb_err rc;

    for (size_t i = 0; i < g->n; i++) {
        if ((rc = tb__satellite_listen(&g->sats[i], err)) != TB_OK) {
            stop_all(g);
            return rc;
        }
        g->ports[i] = g->sats[i].port;
    }
    return TB_OK;
}

static tb_err check_opts(const struct tb_satellites_opts *o, tb_error *err)
{
    if ((unsigned)o->mode >= TB_MODE__COUNT)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "satellite mode %d out "
                            "of range",
                            (int)o->mode);
    if ((unsigned)o->fault >= TB_FAULT__COUNT)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "satellite fault %d "
                            "out of range",
                            (int)o->fault);
    if (o->ports != NULL && o->n_ports == 0)
        return tb_error_set(err, TB_ERR_INVALID_ARG, "no satellite ports");
    return TB_OK;
}

static void init_sync(tb_satellites *g)
{
    pthread_rwlockattr_t ra;
    pthread_condattr_t ca;

    /* Writer first: under steady load the readers' holds overlap, and a
     * reset must not wait for a gap. */
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&g->reset_rw, &ra);
    pthread_rwlockattr_destroy(&ra);
    pthread_mutex_init(&g->admin, NULL);
    pthread_mutex_init(&g->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->wake, &ca);
    pthread_cond_init(&g->conns_wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&g->conns_lock, NULL);
    g->conns.next = g->conns.prev = &g->conns;
}

static void destroy(tb_satellites *g)
{
    for (size_t i = 0; g->sats != NULL && i < g->n; i++)
        pthread_mutex_destroy(&g->sats[i].bw_lock);
    free(g->sats);
    free(g->ports);
    tb__dedup_free(g->dedup);
    pthread_cond_destroy(&g->wake);
    pthread_cond_destroy(&g->conns_wake);
    pthread_mutex_destroy(&g->conns_lock);
    pthread_mutex_destroy(&g->lock);
    pthread_rwlock_destroy(&g->reset_rw);
    pthread_mutex_destroy(&g->admin);
    free(g);
}

tb_err tb_satellites_start(const struct tb_satellites_opts *opts,
                           tb_satellites **out, tb_error *err)
{
    struct tb_satellites_opts dflt = {0};
    const struct tb_satellites_opts *o = opts != NULL ? opts : &dflt;
    tb_satellites *g;
    tb_err rc;

    if ((rc = check_opts(o, err)) != TB_OK)
        return rc;
    g = calloc(1, sizeof(*g));
    if (g == NULL)
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    init_sync(g);
    g->stats_json = tb_satellites_stats_json;
    g->n = o->ports != NULL ? o->n_ports : TB_SATELLITE_DEFAULT_COUNT;
    g->ports = calloc(g->n, sizeof(*g->ports));
    g->sats = calloc(g->n, sizeof(*g->sats));
    g->dedup = tb__dedup_new();
    if (g->ports == NULL || g->sats == NULL || g->dedup == NULL) {
        destroy(g);
        return tb_error_set(err, TB_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < g->n; i++) {
        g->sats[i].group = g;
        g->sats[i].port = o->ports != NULL
                              ? o->ports[i]
                              : (uint16_t)(TB_SATELLITE_DEFAULT_PORT + i);
        pthread_mutex_init(&g->sats[i].bw_lock, NULL);
        atomic_init(&g->sats[i].connections, 0);
    }
    atomic_init(&g->in_flight, 0);
    atomic_init(&g->activity, 0);
    atomic_init(&g->mode, (int)o->mode);
    atomic_init(&g->fault, (int)TB_FAULT_NONE);
    g->delay_overridden = o->span_delay_us != 0;
    atomic_init(&g->span_delay_ps,
                delay_ps(o->span_delay_us != 0
                             ? o->span_delay_us
                             : tb_satellite_mode_delay_us(o->mode)));
    atomic_init(&g->response_delay_ns,
                o->response_delay_ms > 0
                    ? (uint_fast64_t)(o->response_delay_ms * 1e6)
                    : 0);
    atomic_init(&g->connection_close, o->connection_close);
    atomic_init(&g->counted_faults, 0);
    g->bandwidth_bytes_per_s = o->bandwidth_bytes_per_s != 0
                                   ? o->bandwidth_bytes_per_s
                                   : TB_SATELLITE_DEFAULT_BANDWIDTH_BYTES_PER_S;
    g->max_body_bytes = o->max_body_bytes != 0
                            ? o->max_body_bytes
                            : TB_SATELLITE_DEFAULT_MAX_BODY_BYTES;
    g->idle_timeout_s = o->idle_timeout_s != 0
                            ? o->idle_timeout_s
                            : TB_SATELLITE_DEFAULT_IDLE_TIMEOUT_S;
    g->retry_after_s = o->retry_after_s != 0
                           ? o->retry_after_s
                           : TB_SATELLITE_DEFAULT_RETRY_AFTER_S;
    g->max_connections = o->max_connections != 0
                             ? o->max_connections
                             : TB_SATELLITE_DEFAULT_MAX_CONNECTIONS;
    g->request_deadline_ns =
        (uint64_t)((o->request_deadline_s > 0
                        ? o->request_deadline_s
                        : TB_SATELLITE_DEFAULT_REQUEST_DEADLINE_S) *
                   1e9);
    g->min_upload_bytes_per_s =
        o->min_upload_bytes_per_s != 0
            ? o->min_upload_bytes_per_s
            : TB_SATELLITE_DEFAULT_MIN_UPLOAD_BYTES_PER_S;
    g->body_memory_bytes = o->body_memory_bytes != 0
                               ? o->body_memory_bytes
                               : TB_SATELLITE_DEFAULT_BODY_MEMORY_BYTES;
    /* One body of the largest size must fit. */
    if (g->body_memory_bytes < g->max_body_bytes)
        g->body_memory_bytes = g->max_body_bytes;
    atomic_init(&g->body_reserved, 0);

    if ((rc = tb__limits_start(g, err)) != TB_OK) {
        destroy(g);
        return rc;
    }
    pthread_mutex_lock(&g->admin);
    rc = start_all(g, err);
    if (rc == TB_OK && o->fault == TB_FAULT_REFUSE)
        stop_all(g);
    atomic_store(&g->fault, (int)o->fault);
    pthread_mutex_unlock(&g->admin);
    if (rc != TB_OK) {
        tb__limits_stop(g);
        destroy(g);
        return rc;
    }
    tb_log(TB_LOG_INFO, "satellite",
           "%zu satellites on 127.0.0.1:%u%s, "
           "mode %s, fault %s",
           g->n, g->ports[0], g->n > 1 ? ".." : "",
           tb_satellite_mode_name(o->mode), tb_satellite_fault_name(o->fault));
    *out = g;
    return TB_OK;
}

size_t tb_satellites_ports(const tb_satellites *sats, const uint16_t **ports)
{
    *ports = sats->ports;
    return sats->n;
}

static void sum_proto(const struct tb__proto_stats *ps,
                      struct tb_satellite_counts *out)
{
    out->spans_received += ps->spans;
    out->duplicate_spans += ps->duplicate_spans;
    out->requests += ps->requests;
    out->rejected_requests += ps->rejected;
    out->failed_requests += ps->failed;
    out->bytes += ps->bytes;
    if (ps->first_start_ns != 0 &&
        (out->first_start_ns == 0 || ps->first_start_ns < out->first_start_ns))
        out->first_start_ns = ps->first_start_ns;
    if (ps->last_start_ns > out->last_start_ns)
        out->last_start_ns = ps->last_start_ns;
    out->spans_after_mark += ps->spans_after_mark;
}

/* The group lock is held. */
static void counts_locked(const tb_satellites *g,
                          struct tb_satellite_counts *out)
{
    memset(out, 0, sizeof(*out));
    for (int p = 0; p < TB_PROTO__COUNT; p++)
        sum_proto(&g->proto[p], out);
}

/* reset_rw is write-held and the group lock held. */
static void reset_locked(tb_satellites *g)
{
    memset(g->proto, 0, sizeof(g->proto));
    g->not_found = g->bad_method = 0;
    g->refused_connections = g->cut_slow = g->cut_deadline = 0;
    g->over_memory = 0;
    for (size_t i = 0; i < g->n; i++)
        g->sats[i].spans_received = g->sats[i].requests = 0;
    tb__dedup_clear(g->dedup);
}

void tb_satellites_counts(const tb_satellites *sats,
                          struct tb_satellite_counts *out)
{
    tb_satellites *g = (tb_satellites *)sats;

    pthread_mutex_lock(&g->lock);
    counts_locked(g, out);
    pthread_mutex_unlock(&g->lock);
}

void tb_satellites_protocol_counts(const tb_satellites *sats,
                                   tb_satellite_protocol proto,
                                   struct tb_satellite_counts *out)
{
    tb_satellites *g = (tb_satellites *)sats;

    memset(out, 0, sizeof(*out));
    if ((unsigned)proto >= TB_PROTO__COUNT)
        return;
    pthread_mutex_lock(&g->lock);
    sum_proto(&g->proto[proto], out);
    pthread_mutex_unlock(&g->lock);
}

uint64_t tb_satellites_spans_received(const tb_satellites *sats)
{
    struct tb_satellite_counts c;

    tb_satellites_counts(sats, &c);
    return c.spans_received;
}

tb_err tb_satellites_collect(tb_satellites *sats, unsigned settle_ms,
                             unsigned max_wait_ms,
                             struct tb_satellite_counts *out, tb_error *err)
{
    uint64_t start = now_ms(), changed = start;
    uint_fast64_t seen = atomic_load(&sats->activity);

    (void)err;
    if (settle_ms == 0 && max_wait_ms == 0) {
        settle_ms = DEFAULT_SETTLE_MS;
        max_wait_ms = DEFAULT_MAX_WAIT_MS;
    }
    for (;;) {
        struct timespec nap = {0, COLLECT_POLL_MS * 1000000L};
        uint_fast64_t a = atomic_load(&sats->activity);
        uint64_t now = now_ms();

        if (a != seen) {
            seen = a;
            changed = now;
        }
        if (atomic_load(&sats->in_flight) == 0 && now - changed >= settle_ms)
            break;
        if (now - start >= max_wait_ms) {
            tb_log(TB_LOG_WARN, "satellite",
                   "collect: still busy after "
                   "%u ms (%d requests in flight); reading counts anyway",
                   max_wait_ms, atomic_load(&sats->in_flight));
            break;
        }
        nanosleep(&nap, NULL);
    }
    pthread_rwlock_wrlock(&sats->reset_rw);
    pthread_mutex_lock(&sats->lock);
    counts_locked(sats, out);
    reset_locked(sats);
    pthread_mutex_unlock(&sats->lock);
    pthread_rwlock_unlock(&sats->reset_rw);
    tb_log(TB_LOG_DEBUG, "satellite",
           "collected %llu spans (%llu "
           "duplicates) from %llu requests",
           (unsigned long long)out->spans_received,
           (unsigned long long)out->duplicate_spans,
           (unsigned long long)out->requests);
    return TB_OK;
}

void tb_satellites_set_mark(tb_satellites *sats, uint64_t unix_ns)
{
    atomic_store(&sats->mark_ns, unix_ns);
}

void tb_satellites_reset(tb_satellites *sats)
{
    pthread_rwlock_wrlock(&sats->reset_rw);
    pthread_mutex_lock(&sats->lock);
    reset_locked(sats);
    pthread_mutex_unlock(&sats->lock);
    pthread_rwlock_unlock(&sats->reset_rw);
}

bool tb_satellites_all_running(const tb_satellites *sats)
{
    tb_satellites *g = (tb_satellites *)sats;
    bool all = true;

    pthread_mutex_lock(&g->admin);
    for (size_t i = 0; i < g->n; i++)
        all = all && g->sats[i].daemon != NULL;
    pthread_mutex_unlock(&g->admin);
    return all;
}

void tb_satellites_shutdown(tb_satellites *sats)
{
    pthread_mutex_lock(&sats->admin);
    stop_all(sats);
    pthread_mutex_unlock(&sats->admin);
    tb_log(TB_LOG_INFO, "satellite", "satellites shut down");
}

tb_err tb_satellites_restart(tb_satellites *sats, tb_error *err)
{
    tb_err rc;

    pthread_mutex_lock(&sats->admin);
    rc = start_all(sats, err);
    if (rc == TB_OK)
        atomic_store(&sats->fault,
                     (int)(atomic_load(&sats->fault) == TB_FAULT_REFUSE
                               ? TB_FAULT_NONE
                               : atomic_load(&sats->fault)));
    pthread_mutex_unlock(&sats->admin);
    if (rc == TB_OK)
        tb_log(TB_LOG_INFO, "satellite", "satellites restarted");
    return rc;
}

void tb_satellites_set_mode(tb_satellites *sats, tb_satellite_mode mode)
{
    if ((unsigned)mode >= TB_MODE__COUNT)
        return;
    pthread_mutex_lock(&sats->admin);
    atomic_store(&sats->mode, (int)mode);
    if (!sats->delay_overridden)
        atomic_store(&sats->span_delay_ps,
                     delay_ps(tb_satellite_mode_delay_us(mode)));
    pthread_mutex_unlock(&sats->admin);
    tb_log(TB_LOG_INFO, "satellite", "mode %s", tb_satellite_mode_name(mode));
}

void tb_satellites_set_span_delay(tb_satellites *sats, double delay_us)
{
    pthread_mutex_lock(&sats->admin);
    sats->delay_overridden = delay_us >= 0;
    atomic_store(&sats->span_delay_ps,
                 delay_ps(delay_us >= 0 ? delay_us
                                        : tb_satellite_mode_delay_us(
                                              atomic_load(&sats->mode))));
    pthread_mutex_unlock(&sats->admin);
}

void tb_satellites_set_response_delay(tb_satellites *sats, double delay_ms)
{
    atomic_store(&sats->response_delay_ns,
                 delay_ms > 0 ? (uint_fast64_t)(delay_ms * 1e6) : 0);
    tb_log(TB_LOG_INFO, "satellite", "response delay %.0f ms",
           delay_ms > 0 ? delay_ms : 0);
}

void tb_satellites_set_connection_close(tb_satellites *sats, bool close)
{
    atomic_store(&sats->connection_close, close);
    tb_log(TB_LOG_INFO, "satellite", "connections %s",
           close ? "closed after each answer" : "kept alive");
}

tb_err tb_satellites_set_fault(tb_satellites *sats, tb_satellite_fault fault,
                               tb_error *err)
{
    tb_satellite_fault old;
    tb_err rc = TB_OK;

    if ((unsigned)fault >= TB_FAULT__COUNT)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "satellite fault %d "
                            "out of range",
                            (int)fault);
    pthread_mutex_lock(&sats->admin);
    old = (tb_satellite_fault)atomic_load(&sats->fault);
    if (fault == TB_FAULT_REFUSE)
        stop_all(sats);
    else if (old == TB_FAULT_REFUSE)
        rc = start_all(sats, err);
    if (rc == TB_OK) {
        pthread_mutex_lock(&sats->lock);
        atomic_store(&sats->fault, (int)fault);
        pthread_cond_broadcast(&sats->wake); /* releases hung requests */
        pthread_mutex_unlock(&sats->lock);
    }
    pthread_mutex_unlock(&sats->admin);
    if (rc == TB_OK)
        tb_log(TB_LOG_INFO, "satellite", "fault %s",
               tb_satellite_fault_name(fault));
    return rc;
}

static cJSON *proto_json(const struct tb__proto_stats *ps)
{
    cJSON *o = cJSON_CreateObject(), *r;

    cJSON_AddNumberToObject(o, "requests", (double)ps->requests);
    cJSON_AddNumberToObject(o, "spans", (double)ps->spans);
    cJSON_AddNumberToObject(o, "duplicate_spans", (double)ps->duplicate_spans);
    cJSON_AddNumberToObject(o, "bytes", (double)ps->bytes);
    cJSON_AddNumberToObject(o, "rejected", (double)ps->rejected);
    cJSON_AddNumberToObject(o, "failed", (double)ps->failed);
    r = cJSON_AddObjectToObject(o, "reject_reasons");
    for (size_t i = 0; r != NULL && i < ps->n_reasons; i++)
        cJSON_AddNumberToObject(r, ps->reasons[i].text,
                                (double)ps->reasons[i].count);
    if (r != NULL && ps->other_reasons > 0)
        cJSON_AddNumberToObject(r, "other", (double)ps->other_reasons);
    return o;
}

char *tb_satellites_stats_json(const tb_satellites *sats)
{
    tb_satellites *g = (tb_satellites *)sats;
    struct tb_satellite_counts c;
    cJSON *root = cJSON_CreateObject(), *protos, *list;
    char *text;

    if (root == NULL)
        return NULL;
    cJSON_AddStringToObject(root, "mode",
                            tb_satellite_mode_name(atomic_load(&g->mode)));
    cJSON_AddStringToObject(root, "fault",
                            tb_satellite_fault_name(atomic_load(&g->fault)));
    cJSON_AddNumberToObject(root, "span_delay_us",
                            (double)atomic_load(&g->span_delay_ps) / 1e6);
    cJSON_AddNumberToObject(root, "response_delay_ms",
                            (double)atomic_load(&g->response_delay_ns) / 1e6);
    cJSON_AddStringToObject(root, "connection",
                            atomic_load(&g->connection_close) ? "close"
                                                              : "keep-alive");
    cJSON_AddNumberToObject(root, "bandwidth_bytes_per_s",
                            g->bandwidth_bytes_per_s ==
                                    TB_SATELLITE_NO_BANDWIDTH_CAP
                                ? 0
                                : (double)g->bandwidth_bytes_per_s);
    cJSON_AddNumberToObject(root, "in_flight", atomic_load(&g->in_flight));
    pthread_mutex_lock(&g->lock);
    counts_locked(g, &c);
    cJSON_AddNumberToObject(root, "spans_received", (double)c.spans_received);
    cJSON_AddNumberToObject(root, "duplicate_spans", (double)c.duplicate_spans);
    cJSON_AddNumberToObject(root, "requests", (double)c.requests);
    cJSON_AddNumberToObject(root, "rejected", (double)c.rejected_requests);
    cJSON_AddNumberToObject(root, "failed", (double)c.failed_requests);
    cJSON_AddNumberToObject(root, "not_found", (double)g->not_found);
    cJSON_AddNumberToObject(root, "bad_method", (double)g->bad_method);
    cJSON_AddNumberToObject(root, "refused_connections",
                            (double)g->refused_connections);
    cJSON_AddNumberToObject(root, "cut_slow_uploads", (double)g->cut_slow);
    cJSON_AddNumberToObject(root, "cut_overdue_requests",
                            (double)g->cut_deadline);
    cJSON_AddNumberToObject(root, "over_body_memory", (double)g->over_memory);
    cJSON_AddNumberToObject(root, "span_id_set_bytes",
                            (double)tb__dedup_bytes(g->dedup));
    protos = cJSON_AddObjectToObject(root, "protocols");
    for (int p = 0; protos != NULL && p < TB_PROTO__COUNT; p++)
        cJSON_AddItemToObject(protos, tb_satellite_protocol_name(p),
                              proto_json(&g->proto[p]));
    list = cJSON_AddArrayToObject(root, "satellites");
    for (size_t i = 0; list != NULL && i < g->n; i++) {
        cJSON *s = cJSON_CreateObject();

        cJSON_AddNumberToObject(s, "port", g->sats[i].port);
        cJSON_AddBoolToObject(s, "running", g->sats[i].daemon != NULL);
        cJSON_AddNumberToObject(s, "spans_received",
                                (double)g->sats[i].spans_received);
        cJSON_AddNumberToObject(s, "requests", (double)g->sats[i].requests);
        cJSON_AddItemToArray(list, s);
    }
    pthread_mutex_unlock(&g->lock);
    text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

void tb_satellites_free(tb_satellites *sats)
{
    if (sats == NULL)
        return;
    pthread_mutex_lock(&sats->admin);
    stop_all(sats);
    pthread_mutex_unlock(&sats->admin);
    tb__limits_stop(sats);
    destroy(sats);
}
