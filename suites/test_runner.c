/* The run loop's hardening: SIGINT/SIGTERM stop the client's whole group
 * and leave no process or port, processes that left the client's session
 * are reaped, and client output is logged within a bound, with what was
 * not logged said. Clients are shell one-liners: no tracer, no lock. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "common.h"

TestSuite(runner, .timeout = 120);

static char tmp[256];

/* A fresh directory for this test's logs and pid files. */
static void use_tmp(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/tb-runner-XXXXXX");
    cr_assert_not_null(mkdtemp(tmp));
    setenv("TB_LOG_DIR", tmp, 1);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The pid written into path, waiting up to 10 s for it to appear. */
static pid_t read_pid(const char *path)
{
    for (int i = 0; i < 1000; i++) {
        FILE *f = fopen(path, "r");
        int pid = 0;
        if (f != NULL) {
            int ok = fscanf(f, "%d", &pid) == 1;
            fclose(f);
            if (ok && pid > 0)
                return (pid_t)pid;
        }
        sleep_ms(10);
    }
    return -1;
}

/* True while pid is alive and not a zombie. */
static int alive(pid_t pid)
{
    char path[64], buf[512], *p;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p != NULL && p[2] != 'Z' && p[2] != 'X';
}

/* True when nothing listens on 127.0.0.1:port (we can bind it). */
static int port_free(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1, ok;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static int file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[8192];
    int found = 0;

    while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL)
        found = strstr(line, needle) != NULL;
    if (f != NULL)
        fclose(f);
    return found;
}

/* The library path a command takes, in a child process that a signal
 * interrupts: satellites on free ports, a controller, a benchmark of a
 * client that hangs with a grandchild in its own session. The child
 * records the partial result and exits as the CLI does. */
static void interrupted_child(const char *results, const char *ports_file)
{
    static const uint16_t any[2] = {0, 0};
    struct tb_satellites_opts so = {.ports = any, .n_ports = 2};
    tb_satellites *sats = NULL;
    tb_controller *ctl = NULL;
    tb_result *r = NULL;
    tb_error err = {0};
    const uint16_t *ports;
    char cmd[1024];
    FILE *f;

    tb_interrupt_install();
    if (tb_satellites_start(&so, &sats, &err) != TB_OK)
        _exit(90);
    tb_satellites_ports(sats, &ports);
    snprintf(cmd, sizeof(cmd),
             "/bin/sh -c 'setsid sh -c \"echo \\$\\$ > "
             "%s/gc; exec sleep 977.61\" & echo $$ > %s/client; "
             "exec sleep 977.62' x",
             tmp, tmp);
    tb_client *cl = NULL;
    if (tb_client_from_command("hang", cmd, &cl, &err) != TB_OK)
        _exit(91);
    struct tb_controller_opts co = {
        .client = cl, .control_port = 0, .calibration = &tb_test_cal};
    if (tb_controller_new(&co, &ctl, &err) != TB_OK)
        _exit(92);
    if ((f = fopen(ports_file, "w")) == NULL)
        _exit(93);
    fprintf(f, "%u %u %u\n", ports[0], ports[1], tb_controller_port(ctl));
    fclose(f);
    struct tb_benchmark_opts bo = {
        .satellites = sats, .spans_per_second = 10, .runtime_s = 60};
    tb_err e = tb_controller_benchmark(ctl, &bo, &r, &err);
    if (e != TB_ERR_INTERRUPTED || r == NULL || !r->interrupted)
        _exit(94);
    if (tb_record_run(results, "sig", "hang", "run", "", "interrupted", r,
                      &err) != TB_OK)
        _exit(95);
    tb_result_free(r);
    tb_controller_free(ctl);
    tb_satellites_free(sats);
    tb_client_free(cl);
    _exit(tb_interrupt_exit_status(tb_interrupted()));
}

static void interrupt_with(int sig, int want_status)
{
    char results[300], ports_file[300], path[300];
    unsigned sp[3] = {0, 0, 0};
    pid_t child, client, gc;
    int st = 0;
    FILE *f;

    TB_SKIP_UNDER_TSAN("the forked run starts threads in the child of a "
                       "multi-threaded process, which TSan does not support "
                       "(cli_run_sigint_kills_the_client execs, and runs)");
    use_tmp();
    snprintf(results, sizeof(results), "%s/results.jsonl", tmp);
    snprintf(ports_file, sizeof(ports_file), "%s/ports", tmp);
    child = fork();
    cr_assert_geq(child, 0);
    if (child == 0)
        interrupted_child(results, ports_file);
    snprintf(path, sizeof(path), "%s/client", tmp);
    client = read_pid(path);
    snprintf(path, sizeof(path), "%s/gc", tmp);
    gc = read_pid(path);
    cr_assert(client > 0 && gc > 0, "the client did not start");
    cr_assert(alive(client) && alive(gc));
    f = fopen(ports_file, "r");
    cr_assert_not_null(f);
    cr_assert_eq(fscanf(f, "%u %u %u", &sp[0], &sp[1], &sp[2]), 3);
    fclose(f);
    sleep_ms(300); /* into the run proper */
    kill(child, sig);
    cr_assert_eq(waitpid(child, &st, 0), child);
    cr_assert(WIFEXITED(st),
              "the command died of signal %d instead of "
              "cleaning up",
              WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    cr_assert_eq(WEXITSTATUS(st), want_status);
    /* No process: the client and the grandchild in its own session. */
    cr_assert_not(alive(client), "the client %d is still running", client);
    cr_assert_not(alive(gc), "the setsid grandchild %d is still running", gc);
    /* No port: the satellites' and the control endpoint's are free. */
    for (int i = 0; i < 3; i++)
        cr_assert(port_free((uint16_t)sp[i]), "port %u still bound", sp[i]);
    cr_assert(file_has(results, "\"interrupted\":true"),
              "no interrupted result in %s", results);
    cr_assert(file_has(results, "\"stray_processes\":1"),
              "the grandchild was not counted as a stray");
    tb_test_rm_tree(tmp);
}

Test(runner, sigint_leaves_no_process_and_no_port)
{
    interrupt_with(SIGINT, 130);
}

Test(runner, sigterm_exits_143)
{
    interrupt_with(SIGTERM, 143);
}

/* The CLI: SIGINT to `tracebench run` while the client runs (here during
 * calibration) exits 130 and leaves no client behind. */
Test(runner, cli_run_sigint_kills_the_client)
{
    char exe[1024], cmd[1024], path[300];
    pid_t child, client;
    int st = 0;

    use_tmp();
    snprintf(exe, sizeof(exe), "%s/tracebench", tb_build_dir());
    snprintf(path, sizeof(path), "%s/client", tmp);
    snprintf(cmd, sizeof(cmd), "/bin/sh -c 'echo $$ > %s; exec sleep 977.63' x",
             path);
    setenv("TB_CACHE_DIR", tmp, 1);
    child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(exe, exe, "run", "hang", "--client-cmd", cmd, "--satellites",
              "none", "--control-port", "0", (char *)NULL);
        _exit(127);
    }
    client = read_pid(path);
    cr_assert_gt(client, 0, "the client did not start");
    kill(child, SIGINT);
    cr_assert_eq(waitpid(child, &st, 0), child);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 130,
              "tracebench run ended with status 0x%x, not exit 130", st);
    cr_assert_not(alive(client), "the client %d was left running", client);
    tb_test_rm_tree(tmp);
}

/* A client that exits at once but leaves a grandchild in a new session:
 * the grandchild is killed and reaped, and counted. */
Test(runner, setsid_grandchild_is_reaped)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    char cmd[1024], path[300];
    pid_t gc;

    use_tmp();
    snprintf(path, sizeof(path), "%s/gc", tmp);
    snprintf(cmd, sizeof(cmd),
             "/bin/sh -c 'setsid sh -c \"echo \\$\\$ > %s; exec sleep "
             "977.64\" & while [ ! -s %s ]; do sleep 0.01; done' x",
             path, path);
    TB_TEST_CONTROLLER(ctl, "leaver", cmd);
    struct tb_benchmark_opts bo = {.spans_per_second = 10, .runtime_s = 30};
    tb_err e = tb_controller_benchmark(ctl, &bo, &r, &err);
    cr_assert_eq(e, TB_OK, "%s", err.msg);
    gc = read_pid(path);
    cr_assert_gt(gc, 0);
    cr_assert_not(alive(gc), "the setsid grandchild %d outlived the run", gc);
    cr_assert_geq(r->stray_processes, 1);
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "a zombie was left");
    tb_result_free(r);
    tb_controller_free(ctl);
    tb_test_rm_tree(tmp);
}

/* Two runs at once (the cost gate's two arms): the first to end must
 * not take the other's client for a stray. Run a starts, then b, whose
 * client a's reaper finds among tracebench's children when a ends. */
struct par {
    tb_controller *ctl;
    tb_result *r;
    tb_err e;
    tb_error err;
};

static void *par_run(void *p)
{
    struct par *x = p;
    struct tb_benchmark_opts bo = {.spans_per_second = 10, .runtime_s = 30};

    x->e = tb_controller_benchmark(x->ctl, &bo, &x->r, &x->err);
    return NULL;
}

Test(runner, two_runs_at_once_leave_each_other_alone)
{
    struct par a = {0}, b = {0};
    pthread_t th;

    use_tmp();
    TB_TEST_CONTROLLER(a.ctl, "short", "/bin/sh -c 'sleep 0.5'");
    TB_TEST_CONTROLLER(b.ctl, "long", "/bin/sh -c 'sleep 2'");
    cr_assert_eq(pthread_create(&th, NULL, par_run, &a), 0);
    sleep_ms(200);
    par_run(&b);
    pthread_join(th, NULL);
    cr_assert_eq(a.e, TB_OK, "%s", a.err.msg);
    cr_assert_eq(b.e, TB_OK, "the long run: %s", b.err.msg);
    cr_assert_eq(a.r->stray_processes, 0);
    cr_assert_eq(b.r->stray_processes, 0);
    cr_assert_geq(b.r->clock_time_s, 1.9, "the long client ran %.2f s",
                  b.r->clock_time_s);
    tb_result_free(a.r);
    tb_result_free(b.r);
    tb_controller_free(a.ctl);
    tb_controller_free(b.ctl);
    tb_test_rm_tree(tmp);
}

/* Peak RSS of a client of size MiB (0: a shell that sleeps), run by a
 * harness that holds 256 MiB itself. */
static double peak_mib_beside_256(int mib)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    char cmd[512];
    size_t big = 256u << 20;
    volatile char *hold = malloc(big);

    cr_assert_not_null(hold);
    memset((char *)hold, 1, big); /* resident, as a grown harness is */
    use_tmp();
    if (mib > 0)
        snprintf(cmd, sizeof(cmd),
                 "/usr/bin/python3 -c 'import time; b = bytearray(%d << 20); "
                 "time.sleep(0.6)'",
                 mib);
    else
        snprintf(cmd, sizeof(cmd), "/bin/sh -c 'sleep 0.6'");
    TB_TEST_CONTROLLER(ctl, "rss", cmd);
    struct tb_benchmark_opts bo = {.spans_per_second = 10, .runtime_s = 30};
    tb_err e = tb_controller_benchmark(ctl, &bo, &r, &err);
    cr_assert_eq(e, TB_OK, "%s", err.msg);
    double peak = (double)r->peak_rss_bytes / 1048576.0;
    cr_log_info("client of %d MiB beside a 256 MiB harness: peak RSS %.1f MiB",
                mib, peak);
    tb_result_free(r);
    tb_controller_free(ctl);
    free((char *)hold);
    tb_test_rm_tree(tmp);
    return peak;
}

/* A client's peak RSS is its own, not the harness's: wait4's ru_maxrss
 * carried tracebench's RSS at spawn into every client's figure. */
Test(runner, peak_rss_is_the_clients_own)
{
    double shell = peak_mib_beside_256(0);
    double py = peak_mib_beside_256(64);

    cr_assert(shell > 0 && shell < 32,
              "a sleeping shell peaked at %.1f MiB (the harness holds 256)",
              shell);
    cr_assert(py >= 64 && py < 160,
              "a client that holds 64 MiB peaked at %.1f MiB", py);
}

static void flood(const char *name, const char *cmd, const char *marker)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    char log[300];
    off_t size;

    use_tmp();
    unsetenv("TB_LOG_CLIENT_MAX"); /* the default, 10 MB */
    snprintf(log, sizeof(log), "%s/benchmark_verbose.log", tmp);
    TB_TEST_CONTROLLER(ctl, name, cmd);
    struct tb_benchmark_opts bo = {.spans_per_second = 10, .runtime_s = 60};
    tb_err e = tb_controller_benchmark(ctl, &bo, &r, &err);
    cr_assert_eq(e, TB_OK, "%s", err.msg);
    size = file_size(log);
    /* 10 MB of output plus the log's own prefix per line. */
    cr_assert(size > 0 && size < 10 * 1000 * 1000 + 100 * 1000,
              "the log grew by %lld bytes", (long long)size);
    cr_assert_gt(r->output_unlogged_bytes, 150ull * 1000 * 1000,
                 "only %llu bytes counted as not logged",
                 (unsigned long long)r->output_unlogged_bytes);
    cr_assert(file_has(log, "bytes of the client's output were not logged"),
              "no line says what was not logged");
    if (marker != NULL)
        cr_assert(file_has(log, marker), "no '%s' in the log", marker);
    tb_result_free(r);
    tb_controller_free(ctl);
    tb_test_rm_tree(tmp);
}

Test(runner, output_of_200mb_is_bounded)
{
    flood("chatty",
          "/bin/sh -c 'yes 0123456789abcdefghijklmnopqrstuvwxyz "
          "| head -c 200000000' x",
          NULL);
}

Test(runner, one_200mb_line_is_cut_with_a_marker)
{
    flood("oneline",
          "/bin/sh -c 'head -c 200000000 /dev/zero | tr "
          "\"\\\\0\" x' x",
          "[... line cut: ");
}

/* A client's stderr is logged as errors (benchmark.log and the console),
 * but valgrind's own notes under the instruction counter ("--pid--
 * warning: L3 cache found", six lines a Node run on some hosts) go to the
 * verbose log only. */
Test(runner, valgrind_notes_are_not_client_errors)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    char info[300], verbose[300];

    use_tmp();
    snprintf(info, sizeof(info), "%s/benchmark.log", tmp);
    snprintf(verbose, sizeof(verbose), "%s/benchmark_verbose.log", tmp);
    TB_TEST_CONTROLLER(ctl, "vg",
                       "/bin/sh -c 'echo \"--4242-- warning: L3 cache "
                       "found\" >&2; echo \"--x-- a client line\" >&2' x");
    struct tb_benchmark_opts bo = {.spans_per_second = 10, .runtime_s = 5};
    tb_err e = tb_controller_benchmark(ctl, &bo, &r, &err);
    cr_assert_eq(e, TB_OK, "%s", err.msg);
    tb_log_close();
    cr_assert(file_has(verbose, "--4242-- warning: L3 cache found"),
              "valgrind's note is not in the verbose log");
    cr_assert(!file_has(info, "--4242-- warning"),
              "valgrind's note was logged as an error");
    cr_assert(file_has(info, "ERROR vg: --x-- a client line"),
              "the client's own stderr line is not an error");
    tb_result_free(r);
    tb_controller_free(ctl);
    tb_test_rm_tree(tmp);
}

/* The control endpoint answers on [::1] too, on the same port, where the
 * kernel has IPv6 (a client told "localhost" may resolve it to ::1). */
Test(runner, control_endpoint_answers_on_ipv6_loopback)
{
    tb_controller *ctl;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6,
                             .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    char req[] = "GET /control HTTP/1.0\r\n\r\n", buf[256] = "";
    int fd = socket(AF_INET6, SOCK_STREAM, 0), probe;
    ssize_t n = 0;

    probe = socket(AF_INET6, SOCK_STREAM, 0);
    if (probe < 0 || bind(probe, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (probe >= 0)
            close(probe);
        close(fd);
        cr_skip_test("no IPv6 loopback on this machine");
    }
    close(probe);
    TB_TEST_CONTROLLER(ctl, "t", "/bin/true");
    a.sin6_port = htons(tb_controller_port(ctl));
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0,
                 "nothing listens on [::1]:%u", tb_controller_port(ctl));
    cr_assert_eq(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL),
                 (ssize_t)sizeof(req) - 1);
    for (ssize_t r;
         (size_t)n < sizeof(buf) - 1 &&
         (r = recv(fd, buf + n, sizeof(buf) - 1 - (size_t)n, 0)) > 0;)
        n += r;
    buf[n] = '\0';
    cr_assert(strncmp(buf, "HTTP/1.", 7) == 0 && strstr(buf, " 200 "),
              "answered: %s", buf);
    close(fd);
    tb_controller_free(ctl);
}
