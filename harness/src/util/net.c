/* Loopback listeners. We bind the socket ourselves and hand it to
 * libmicrohttpd, so that a taken port is reported as exactly that. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

tb_err tb__listen_loopback(int port, int *fd, uint16_t *bound, tb_error *err)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int one = 1;
    int s;

    if (port < 0 || port > 65535)
        return tb_error_set(err, TB_ERR_INVALID_ARG,
                            "port %d is not in 0-65535", port);
    s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return tb_error_set(err, TB_ERR_IO, "socket: %s", strerror(errno));
    /* SO_REUSEADDR lets a restarted satellite take its port back while old
     * connections sit in TIME_WAIT; it does not allow two listeners. */
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
        int e = errno;
        close(s);
        if (e == EADDRINUSE)
            return tb_error_set(err, TB_ERR_PORT_IN_USE,
                                "port %d on 127.0.0.1 is already in use",
                                port);
        return tb_error_set(err, TB_ERR_IO, "bind 127.0.0.1:%d: %s", port,
                            strerror(e));
    }
    if (listen(s, 128) != 0) {
        int e = errno;
        close(s);
        return tb_error_set(err, TB_ERR_IO, "listen 127.0.0.1:%d: %s", port,
                            strerror(e));
    }
    getsockname(s, (struct sockaddr *)&a, &alen);
    *fd = s;
    *bound = ntohs(a.sin_port);
    return TB_OK;
}
