/* Loopback listeners, for the satellites and the control endpoint. We bind
 * the sockets ourselves and hand them to libmicrohttpd, so that a taken
 * port is reported as exactly that (bind's errno is ours to read).
 *
 * Both loopbacks: a tracer told "localhost" may resolve it to ::1 first
 * (Node 17 and later keep the system's order), so each server listens on
 * 127.0.0.1 and on [::1] at the same port, where the kernel has IPv6. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

#define PAIR_TRIES 16 /* port 0: a free v4 port may be taken on ::1 */

/* One listening socket on the loopback of family af. Returns the fd, or
 * -1 with errno set. */
static int listen_one(int af, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1, s, e;

    memset(&ss, 0, sizeof(ss));
    if (af == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*a);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        a->sin6_addr = in6addr_loopback;
        len = sizeof(*a);
    }
    if ((s = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    /* SO_REUSEADDR lets a restarted satellite take its port back while old
     * connections sit in TIME_WAIT; it does not allow two listeners.
     * IPV6_V6ONLY: [::1] only, never the v4-mapped addresses. */
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (af == AF_INET6)
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(s, (struct sockaddr *)&ss, len) != 0 || listen(s, 128) != 0) {
        e = errno;
        close(s);
        errno = e;
        return -1;
    }
    return s;
}

static uint16_t port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);

    if (getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
        return 0;
    return ntohs(a.sin_port);
}

tb_err tb__listen_loopback(int port, const char *what,
                           struct tb__listeners *out, tb_error *err)
{
    if (port < 0 || port > 65535)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "%s port %d is not in 0-65535", what, port);
    for (int attempt = 0; attempt < PAIR_TRIES; attempt++) {
        int fd4 = listen_one(AF_INET, (uint16_t)port), fd6, e;
        uint16_t got;

        if (fd4 < 0) {
            e = errno;
            if (e == EADDRINUSE || e == EACCES)
                return tb_error_set(err, TB_ERR_PORT_IN_USE,
                                    "%s port %d is in use (127.0.0.1): %s",
                                    what, port, strerror(e));
            return tb_error_set(err, TB_ERR_IO,
                                "%s: listen on "
                                "127.0.0.1:%d: %s",
                                what, port, strerror(e));
        }
        got = port_of(fd4);
        fd6 = listen_one(AF_INET6, got);
        if (fd6 < 0) {
            e = errno;
            if (e == EADDRINUSE && port == 0) {
                close(fd4); /* try another free port */
                continue;
            }
            if (e == EADDRINUSE) {
                close(fd4);
                return tb_error_set(err, TB_ERR_PORT_IN_USE,
                                    "%s port %d is in use ([::1]): %s", what,
                                    port, strerror(e));
            }
            /* No IPv6 here (EAFNOSUPPORT, EADDRNOTAVAIL): 127.0.0.1 only. */
        }
        out->fd4 = fd4;
        out->fd6 = fd6;
        out->port = got;
        return TB_OK;
    }
    return tb_error_set(err, TB_ERR_PORT_IN_USE,
                        "%s: no free port on both 127.0.0.1 and [::1] after "
                        "%d tries",
                        what, PAIR_TRIES);
}
