/* Limits that keep a satellite alive against a hostile or broken client:
 * a watchdog thread cuts request bodies that are read too slowly or for
 * too long (a chunked upload that never ends, a byte every 0.5 s: data
 * keeps arriving, so the idle timeout never fires), and one budget bounds
 * the body memory of all requests in flight (N concurrent gzip bombs
 * cannot cost N x max_body). The connection limit is in satellite_http.c,
 * where connections are accepted. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "satellite_internal.h"
#include "tracebench/util/log.h"

#define WATCH_PERIOD_MS 200
#define UPLOAD_GRACE_NS 1000000000ull /* rate judged after 1 s */

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Returns 1 for too slow, 2 for past the deadline, 0 when fine. */
static int verdict(const struct tb_satellites *g,
                   const struct tb__conn_watch *w, uint64_t now)
{
    uint64_t start, age, got;

    if (!atomic_load(&w->reading))
        return 0;
    start = atomic_load(&w->start_ns);
    if (start == 0 || now <= start)
        return 0;
    age = now - start;
    if (age > g->request_deadline_ns)
        return 2;
    got = atomic_load(&w->received);
    if (age > UPLOAD_GRACE_NS &&
        (double)got < (double)g->min_upload_bytes_per_s * ((double)age / 1e9))
        return 1;
    return 0;
}

static void *watchdog(void *arg)
{
    struct tb_satellites *g = arg;

    pthread_mutex_lock(&g->conns_lock);
    while (!g->watchdog_stop) {
        struct timespec dl;
        uint64_t now = mono_ns();

        for (struct tb__conn_watch *w = g->conns.next; w != &g->conns;
             w = w->next) {
            int v = w->cut ? 0 : verdict(g, w, now);
            if (v == 0)
                continue;
            /* Counted before the cut: whoever sees the connection close
             * then finds it in /stats. (Lock order: conns_lock, lock.) */
            pthread_mutex_lock(&g->lock);
            if (v == 1)
                g->cut_slow++;
            else
                g->cut_deadline++;
            pthread_mutex_unlock(&g->lock);
            /* The connection's thread then reads EOF and closes it; the
             * fd is still open: the list is unlinked before it closes. */
            w->cut = true;
            shutdown(w->fd, SHUT_RDWR);
            tb_log(TB_LOG_DEBUG, "satellite", "cut a%s upload",
                   v == 1 ? " slow" : "n overdue");
        }
        clock_gettime(CLOCK_MONOTONIC, &dl);
        dl.tv_nsec += WATCH_PERIOD_MS * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->conns_wake, &g->conns_lock, &dl);
    }
    pthread_mutex_unlock(&g->conns_lock);
    return NULL;
}

tb_err tb__limits_start(struct tb_satellites *g, tb_error *err)
{
    int rc;

    g->watchdog_stop = false;
    if ((rc = pthread_create(&g->watchdog, NULL, watchdog, g)) != 0)
        return tb_error_set(err, TB_ERR_IO, "satellite watchdog thread: %s",
                            strerror(rc));
    g->watchdog_running = true;
    return TB_OK;
}

void tb__limits_stop(struct tb_satellites *g)
{
    if (!g->watchdog_running)
        return;
    pthread_mutex_lock(&g->conns_lock);
    g->watchdog_stop = true;
    pthread_cond_broadcast(&g->conns_wake);
    pthread_mutex_unlock(&g->conns_lock);
    pthread_join(g->watchdog, NULL);
    g->watchdog_running = false;
}

void tb__conn_watch_add(struct tb_satellites *g, struct tb__conn_watch *w,
                        int fd)
{
    w->fd = fd;
    atomic_init(&w->reading, false);
    atomic_init(&w->start_ns, 0);
    atomic_init(&w->received, 0);
    w->cut = false;
    pthread_mutex_lock(&g->conns_lock);
    w->next = g->conns.next;
    w->prev = &g->conns;
    g->conns.next->prev = w;
    g->conns.next = w;
    pthread_mutex_unlock(&g->conns_lock);
}

void tb__conn_watch_remove(struct tb_satellites *g, struct tb__conn_watch *w)
{
    pthread_mutex_lock(&g->conns_lock);
    if (w->next != NULL) {
        w->prev->next = w->next;
        w->next->prev = w->prev;
        w->next = w->prev = NULL;
    }
    pthread_mutex_unlock(&g->conns_lock);
}

bool tb__body_reserve(struct tb_satellites *g, size_t n)
{
    size_t old = atomic_load(&g->body_reserved);

    do {
        if (n > g->body_memory_bytes - old || old > g->body_memory_bytes)
            return false;
    } while (!atomic_compare_exchange_weak(&g->body_reserved, &old, old + n));
    return true;
}

void tb__body_release(struct tb_satellites *g, size_t n)
{
    atomic_fetch_sub(&g->body_reserved, n);
}

/* Body buffers are mapped, not malloc'd: growth is mremap (no copy, no
 * second buffer at once) and a release unmaps, so what is resident is what
 * the budget counted. From the heap, freed bodies stayed resident in
 * malloc's per-thread arenas and grew by copying: 32 gzip bombs under the
 * 128 MiB budget reached 128-275 MiB of RSS. */
uint8_t *tb__body_resize(uint8_t *p, size_t cap, size_t new_cap)
{
    void *q;

    if (p == NULL)
        q = mmap(NULL, new_cap, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    else
        q = mremap(p, cap, new_cap, MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
}

void tb__body_unmap(uint8_t *p, size_t cap)
{
    if (p != NULL)
        munmap(p, cap);
}
