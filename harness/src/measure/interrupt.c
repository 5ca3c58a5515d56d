/* SIGINT, SIGTERM and SIGHUP: a flag and a self-pipe. The handler does no
 * more than that (async-signal-safe); the run loop polls the pipe's read
 * end beside the client's pidfd, so a signal ends the wait at once. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "internal.h"
#include "tracebench/measure/interrupt.h"

static volatile sig_atomic_t caught;
static int pipe_fds[2] = {-1, -1};
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int install_rc;

static void on_signal(int sig)
{
    int saved = errno;

    if (caught) {
        /* A second signal while the first is being handled: whatever is
         * in the way, the user means it. Die of it, as without a handler. */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    caught = sig;
    if (pipe_fds[1] >= 0) {
        ssize_t n = write(pipe_fds[1], "!", 1);
        (void)n; /* a full pipe already wakes the loop */
    }
    errno = saved;
}

static void install(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;

    if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        pipe_fds[0] = pipe_fds[1] = -1;
        install_rc = -1;
    }
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_signal;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
}

int tb_interrupt_install(void)
{
    pthread_once(&once, install);
    return install_rc;
}

int tb_interrupted(void)
{
    return (int)caught;
}

int tb__interrupt_fd(void)
{
    return pipe_fds[0];
}

int tb_interrupt_exit_status(int sig)
{
    return sig > 0 ? 128 + sig : 1;
}
