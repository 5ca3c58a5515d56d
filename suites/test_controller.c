/* The controller's contract with clients: the control endpoint, flags,
 * /result, and every way a client can fail. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "common.h"

TestSuite(controller, .timeout = 120);

/* True when some process's command line holds marker. */
static int process_with(const char *marker)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    int found = 0;

    while (d != NULL && (de = readdir(d)) != NULL && !found) {
        char path[300], buf[4096];
        FILE *f;
        size_t n;
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (buf[i] == '\0')
                buf[i] = ' ';
        buf[n] = '\0';
        found = strstr(buf, marker) != NULL && strstr(buf, "test_") == NULL;
    }
    if (d != NULL)
        closedir(d);
    return found;
}

Test(controller, hanging_client_is_killed_at_timeout_and_reaped)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    /* A client that hangs and leaves a grandchild behind: both must go. */
    TB_TEST_CONTROLLER(ctl, "hang",
                       "/bin/sh -c 'sleep 977.5 & sleep 977.5; wait'");
    struct tb_benchmark_opts bo = {
        .spans_per_second = 10, .runtime_s = 1, .timeout_s = 2};
    tb_err e = tb_controller_benchmark(ctl, &bo, &r, &err);

    cr_assert_eq(e, TB_ERR_CLIENT_TIMEOUT, "%s", err.msg);
    cr_assert_not_null(r, "a timeout still returns the partial figures");
    cr_assert(r->timed_out);
    cr_assert(r->clock_time_s >= 2.0 && r->clock_time_s < 3.0,
              "killed at its timeout (2 s), not after %.2f s", r->clock_time_s);
    cr_assert_geq(r->n_samples, 1, "sampled each second while it ran");
    cr_assert(strstr(err.msg, "hang") != NULL, "%s", err.msg);
    /* No zombie child, and the grandchild died with the group. */
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
    cr_assert_eq(errno, ECHILD);
    usleep(100000);
    cr_assert_not(process_with("977.5"), "a grandchild was left running");
    tb_result_free(r);
    tb_controller_free(ctl);
}

Test(controller, crash_by_signal_is_reported)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    TB_TEST_CONTROLLER(ctl, "segv",
                       "/bin/sh -c 'echo about to fail >&2; kill -SEGV $$'");
    struct tb_benchmark_opts bo = {.spans_per_second = 10, .runtime_s = 2};

    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err),
                 TB_ERR_CLIENT_CRASHED);
    cr_assert_not_null(r);
    cr_assert_eq(r->term_signal, SIGSEGV);
    cr_assert(strstr(err.msg, "signal 11") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "about to fail") != NULL,
              "the last stderr lines are in the message: %s", err.msg);
    tb_result_free(r);
    tb_controller_free(ctl);
}

Test(controller, nonzero_exit_is_reported_with_status)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    TB_TEST_CONTROLLER(ctl, "exit7", "/bin/sh -c 'echo boom >&2; exit 7'");
    struct tb_benchmark_opts bo = {.spans_per_second = 10, .runtime_s = 2};

    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err),
                 TB_ERR_CLIENT_CRASHED);
    cr_assert_eq(r->exit_status, 7);
    cr_assert(strstr(err.msg, "status 7") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "boom") != NULL, "%s", err.msg);
    tb_result_free(r);
    tb_controller_free(ctl);
}

Test(controller, missing_executable_fails_to_start)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    TB_TEST_CONTROLLER(ctl, "ghost", "/nonexistent/tracer-client --x");
    struct tb_benchmark_opts bo = {.spans_per_second = 10, .runtime_s = 1};

    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err),
                 TB_ERR_CLIENT_START);
    cr_assert_null(r);
    cr_assert(strstr(err.msg, "/nonexistent/tracer-client") != NULL, "%s",
              err.msg);
    tb_controller_free(ctl);
}

Test(controller, unknown_client_lists_registered_names)
{
    struct tb_controller_opts o = {.client_name = "no-such-tracer",
                                   .control_port = 0};
    tb_controller *ctl = NULL;
    tb_error err = {0};

    cr_assert_eq(tb_controller_new(&o, &ctl, &err), TB_ERR_INVALID_CLIENT);
    cr_assert_null(ctl);
    cr_assert(strstr(err.msg, "no-such-tracer") != NULL, "%s", err.msg);
    /* The whole list, each name whole: "c" alone, not a letter of
     * "python-cpp". */
    tb_registry *reg;
    char want[1024] = "(registered: ";
    tb_error rerr = {0};
    cr_assert_eq(tb_registry_load(NULL, &reg, &rerr), TB_OK, "%s", rerr.msg);
    cr_assert_gt(tb_registry_count(reg), 2);
    for (size_t i = 0; i < tb_registry_count(reg); i++) {
        size_t n = strlen(want);
        snprintf(want + n, sizeof(want) - n, "%s%s", i ? ", " : "",
                 tb_client_name(tb_registry_at(reg, i)));
    }
    strncat(want, ")", sizeof(want) - strlen(want) - 1);
    tb_registry_free(reg);
    cr_assert(strstr(err.msg, want) != NULL, "'%s' not in: %s", want, err.msg);
}

Test(controller, control_port_in_use_is_named)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t alen = sizeof(a);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    tb_controller *ctl = NULL;
    tb_client *cl;
    tb_error err = {0};
    char want[32];

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(s, 1), 0);
    getsockname(s, (struct sockaddr *)&a, &alen);
    cr_assert_eq(tb_client_from_command("x", "/bin/true", &cl, &err), TB_OK);
    struct tb_controller_opts o = {.client = cl,
                                   .control_port = ntohs(a.sin_port),
                                   .calibration = &tb_test_cal};
    cr_assert_eq(tb_controller_new(&o, &ctl, &err), TB_ERR_PORT_IN_USE);
    snprintf(want, sizeof(want), "port %u", (unsigned)ntohs(a.sin_port));
    cr_assert(strstr(err.msg, want) != NULL, "%s", err.msg);
    tb_client_free(cl);
    close(s);
}

Test(controller, bad_benchmark_options_are_rejected)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    TB_TEST_CONTROLLER(ctl, "t", "/bin/true");
    struct tb_benchmark_opts zero = {.spans_per_second = 0, .runtime_s = 1};
    struct tb_benchmark_opts neg = {.spans_per_second = 10, .runtime_s = -1};

    cr_assert_eq(tb_controller_benchmark(ctl, &zero, &r, &err),
                 TB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "spans_per_second") != NULL, "%s", err.msg);
    tb_error_clear(&err);
    cr_assert_eq(tb_controller_benchmark(ctl, &neg, &r, &err),
                 TB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "runtime") != NULL, "%s", err.msg);
    cr_assert_null(r);
    tb_controller_free(ctl);
}

Test(controller, flags_reach_the_client)
{
    char dir[] = "/tmp/tb-flags-XXXXXX", cmd[1024], path[300], buf[1024];
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    FILE *f;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/args", dir);
    snprintf(cmd, sizeof(cmd),
             "/bin/sh -c 'echo \"$@\" > %s; echo \"$TB_SATELLITE_PORTS "
             "$TB_CONTROL_URL\" >> %s' client",
             path, path);
    TB_TEST_CONTROLLER(ctl, "echo", cmd);
    /* 1e6 units/s at 200 spans/s: Work 5000, Repeat 10000 over 10 s. */
    struct tb_benchmark_opts bo = {
        .spans_per_second = 200, .runtime_s = 10, .trace = true};
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    f = fopen(path, "r");
    cr_assert_not_null(f);
    buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
    fclose(f);
    cr_assert(strstr(buf, "--trace 1 --sleep 5000 --sleep_interval 100000000 "
                          "--work 5000 --repeat 2000 --no_flush 0 "
                          "--num_tags 10 --num_logs 15") != NULL,
              "%s", buf);
    cr_assert(strstr(buf, "8360 http://127.0.0.1:") != NULL, "%s", buf);
    /* Asked for 2000; it reported nothing, so it made an unknown number. */
    cr_assert_eq(r->repeat, 2000);
    cr_assert(!r->spans_sent_reported);
    tb_result_free(r);
    tb_controller_free(ctl);
    unlink(path);
    rmdir(dir);
}

struct fetch {
    uint16_t port;
    char body[4096];
    long status;
};

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    struct fetch *f = ud;
    size_t len = strlen(f->body), add = size * n;

    if (len + add < sizeof(f->body))
        memcpy(f->body + len, p, add), f->body[len + add] = '\0';
    return add;
}

static void *fetch_control(void *arg)
{
    struct fetch *f = arg;
    char url[64];
    CURL *h = curl_easy_init();

    usleep(500000); /* the benchmark's client is running by now */
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/control",
             (unsigned)f->port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &f->status);
    curl_easy_cleanup(h);
    return NULL;
}

Test(controller, control_endpoint_serves_the_control_message)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    struct fetch f = {0};
    pthread_t th;
    TB_TEST_CONTROLLER(ctl, "sleeper", "/bin/sh -c 'sleep 1.5' client");
    struct tb_benchmark_opts bo = {
        .spans_per_second = 100, .runtime_s = 5, .no_flush = true};

    f.port = tb_controller_port(ctl);
    cr_assert_neq(f.port, 0);
    pthread_create(&th, NULL, fetch_control, &f);
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    pthread_join(th, NULL);
    cr_assert_eq(f.status, 200);
    cJSON *o = cJSON_Parse(f.body);
    cr_assert_not_null(o, "%s", f.body);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItem(o, "Trace")));
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(o, "NoFlush")));
    cr_assert_eq(cJSON_GetObjectItem(o, "Work")->valuedouble, 10000);
    cr_assert_eq(cJSON_GetObjectItem(o, "Repeat")->valuedouble, 500);
    cr_assert_eq(cJSON_GetObjectItem(o, "Sleep")->valuedouble, 10000);
    cr_assert_eq(cJSON_GetObjectItem(o, "SleepInterval")->valuedouble, 1e8);
    cr_assert_eq(cJSON_GetObjectItem(o, "NumTags")->valuedouble, 10);
    cr_assert_eq(cJSON_GetObjectItem(o, "NumLogs")->valuedouble, 15);
    cJSON *ports = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "Satellites"),
                                       "Ports");
    cr_assert_eq(cJSON_GetArrayItem(ports, 0)->valuedouble, 8360);
    cJSON_Delete(o);
    cr_assert(r->clock_time_s > r->program_time_s,
              "a sleeping client uses less CPU than wall time");
    tb_result_free(r);
    tb_controller_free(ctl);
}

/* A client that only POSTs json (no single quotes in it) as its result. */
#define POSTER(json)                                                           \
    "/usr/bin/python3 -c \"import os, urllib.request; "                        \
    "urllib.request.urlopen(urllib.request.Request("                           \
    "os.environ['TB_RESULT_URL'], data=b'" json "'))\""

static void read_text(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");

    cr_assert_not_null(f, "%s", path);
    buf[fread(buf, 1, size - 1, f)] = '\0';
    fclose(f);
}

Test(controller, posted_result_sets_spans_sent)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    /* A client that made fewer spans than asked says so. */
    TB_TEST_CONTROLLER(ctl, "poster", POSTER("{\\\"SpansSent\\\": 1234}"));
    struct tb_benchmark_opts bo = {.spans_per_second = 500, .runtime_s = 2};

    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    cr_assert_eq(r->repeat, 1000);
    cr_assert_eq(r->spans_sent, 1234);
    tb_result_free(r);
    tb_controller_free(ctl);
}

Test(controller, work_cpu_and_loop_overhead_come_back_bad_ones_are_ignored)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    TB_TEST_CONTROLLER(ctl, "poster",
                       POSTER("{\\\"SpansSent\\\": 1000, "
                              "\\\"WorkCpuNs\\\": 250000000, "
                              "\\\"LoopOverheadNs\\\": 40000000, "
                              "\\\"LoopCpuNs\\\": 700000000, "
                              "\\\"LoopWallNs\\\": 1000000000}"));
    struct tb_benchmark_opts bo = {.spans_per_second = 500, .runtime_s = 2};

    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    cr_assert(r->has_work_cpu);
    cr_assert_float_eq(r->work_cpu_s, 0.25, 1e-12);
    cr_assert(r->has_loop_overhead);
    cr_assert_float_eq(r->loop_overhead_s, 0.04, 1e-12);
    /* The loop's window is what calibration and the cpu gates read. */
    cr_assert(r->has_loop_window);
    cr_assert_float_eq(r->loop_cpu_s, 0.7, 1e-12);
    cr_assert_float_eq(r->loop_wall_s, 1.0, 1e-12);
    cr_assert_float_eq(tb_result_cpu(r), 0.7, 1e-12);
    cr_assert_float_eq(tb_result_cpu_outside_work(r), 0.7 - 0.25, 1e-12);
    tb_result_free(r);
    tb_controller_free(ctl);

    /* Negative: a figure, not the count, so the run stands without it. */
    TB_TEST_CONTROLLER(ctl, "poster",
                       POSTER("{\\\"SpansSent\\\": 1000, "
                              "\\\"WorkCpuNs\\\": -5, "
                              "\\\"LoopOverheadNs\\\": \\\"x\\\", "
                              "\\\"LoopCpuNs\\\": 5, "
                              "\\\"LoopWallNs\\\": 0}"));
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    cr_assert_eq(r->spans_sent, 1000);
    cr_assert_not(r->has_work_cpu);
    cr_assert_not(r->has_loop_overhead);
    cr_assert_not(r->has_loop_window, "a window of no wall time");
    cr_assert(isnan(tb_result_cpu_outside_work(r)));
    cr_assert_float_eq(tb_result_cpu(r), r->cpu_usage, 1e-12);
    tb_result_free(r);
    tb_controller_free(ctl);
}

Test(controller, mark_reaches_the_client_and_its_count_comes_back)
{
    char dir[] = "/tmp/tb-mark-XXXXXX", cmd[1024], path[300], buf[1024];
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    FILE *f;

    cr_assert_not_null(mkdtemp(dir));
    /* Writes its flags, then POSTs a count after the mark. */
    snprintf(cmd, sizeof(cmd), "%s/client.sh", dir);
    f = fopen(cmd, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "echo \"$@\" > %s/args\n"
            "exec /usr/bin/python3 -c 'import os, urllib.request; "
            "urllib.request.urlopen(urllib.request.Request("
            "os.environ[\"TB_RESULT_URL\"], data=b\"{\\\"SpansSent\\\": "
            "90, \\\"SpansSentAfterMark\\\": 40}\"))'\n",
            dir);
    fclose(f);
    snprintf(path, sizeof(path), "%s/args", dir);
    snprintf(cmd, sizeof(cmd), "/bin/sh %s/client.sh", dir);
    TB_TEST_CONTROLLER(ctl, "marker", cmd);
    struct tb_benchmark_opts bo = {.spans_per_second = 100,
                                   .runtime_s = 1,
                                   .mark_unix_ns = 1795970260123456789ull};
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    read_text(path, buf, sizeof(buf));
    cr_assert(strstr(buf, "--num_logs 15 --mark 1795970260123456789") != NULL,
              "%s", buf);
    cr_assert_eq(r->mark_ns, 1795970260123456789ull);
    cr_assert_eq(r->spans_sent, 90);
    cr_assert_eq(r->spans_sent_after_mark, 40);
    tb_result_free(r);

    /* Without a mark neither the flag nor a count. */
    bo.mark_unix_ns = 0;
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    read_text(path, buf, sizeof(buf));
    cr_assert(strstr(buf, "--mark") == NULL, "%s", buf);
    cr_assert_eq(r->spans_sent_after_mark, -1);
    tb_result_free(r);
    tb_controller_free(ctl);
    unlink(path);
    snprintf(path, sizeof(path), "%s/client.sh", dir);
    unlink(path);
    rmdir(dir);
}

Test(controller, after_mark_count_over_spans_sent_is_refused)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    TB_TEST_CONTROLLER(ctl, "poster",
                       POSTER("{\\\"SpansSent\\\": 10, "
                              "\\\"SpansSentAfterMark\\\": 11}"));
    struct tb_benchmark_opts bo = {
        .spans_per_second = 500, .runtime_s = 2, .mark_unix_ns = 1};

    /* The client's POST gets a 400, so it exits non-zero. */
    tb_err e = tb_controller_benchmark(ctl, &bo, &r, &err);
    cr_assert_eq(e, TB_ERR_CLIENT_CRASHED, "%s", err.msg);
    cr_assert(strstr(err.msg, "400") != NULL, "%s", err.msg);
    cr_assert(!r->spans_sent_reported,
              "the bad POST is not taken, and "
              "nothing is made up: %llu",
              (unsigned long long)r->spans_sent);
    cr_assert_eq(r->spans_sent_after_mark, -1);
    tb_result_free(r);
    tb_controller_free(ctl);
}

Test(controller, client_without_flags_reads_control_over_http)
{
    char dir[] = "/tmp/tb-reg-XXXXXX", path[300];
    tb_controller *ctl = NULL;
    tb_result *r = NULL;
    tb_error err = {0};
    FILE *f;

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/clients.json", dir);
    f = fopen(path, "w");
    fprintf(f, "{\"c-http\": {\"argv\": "
               "[\"${TB_BUILD_DIR}/clients/c/tb-client-c\"], "
               "\"flags\": false}}");
    fclose(f);
    struct tb_controller_opts o = {.client_name = "c-http",
                                   .registry_path = path,
                                   .control_port = 0,
                                   .calibration = &tb_test_cal};
    cr_assert_eq(tb_controller_new(&o, &ctl, &err), TB_OK, "%s", err.msg);
    struct tb_benchmark_opts bo = {.spans_per_second = 500, .runtime_s = 2};
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    /* It exited 0 only if it got Repeat from /control, and POSTed it. */
    cr_assert_eq(r->spans_sent, 1000);
    cr_assert_eq(r->exit_status, 0);
    tb_result_free(r);
    tb_controller_free(ctl);
    unlink(path);
    rmdir(dir);
}

Test(controller, ports_are_released_on_free)
{
    tb_controller *ctl;
    tb_client *cl;
    tb_error err = {0};
    uint16_t port;

    TB_TEST_CONTROLLER(ctl, "t", "/bin/true");
    port = tb_controller_port(ctl);
    tb_controller_free(ctl);
    /* The same port again, at once: nothing was left listening. */
    cr_assert_eq(tb_client_from_command("x", "/bin/true", &cl, &err), TB_OK);
    struct tb_controller_opts o = {
        .client = cl, .control_port = port, .calibration = &tb_test_cal};
    cr_assert_eq(tb_controller_new(&o, &ctl, &err), TB_OK, "%s", err.msg);
    tb_controller_free(ctl);
    tb_client_free(cl);
}

Test(controller, chatty_client_never_blocks)
{
    tb_controller *ctl;
    tb_result *r = NULL;
    tb_error err = {0};
    /* 2 MB on each of stdout and stderr, far past any pipe buffer; the
     * stderr lines are logged, not shown on the console. */
    tb_log_set_console_level(TB_LOG_OFF);
    TB_TEST_CONTROLLER(ctl, "chatty",
                       "/bin/sh -c 'head -c 2000000 /dev/zero | tr \"\\\\0\" "
                       "x | fold -w 100; head -c 2000000 /dev/zero | tr "
                       "\"\\\\0\" y | fold -w 100 >&2' x");
    struct tb_benchmark_opts bo = {.spans_per_second = 100, .runtime_s = 10};
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    cr_assert_lt(r->clock_time_s, 10.0);
    tb_result_free(r);
    tb_controller_free(ctl);
}

/* spans_sent is what the client reported, never Repeat: a client that
 * exits 0 without reporting is an error, unless it is declared unable to
 * report; then its count is unknown (null), and with satellites its drops
 * are an estimate, labelled so. */
Test(controller, spans_sent_is_reported_never_made_up)
{
    uint16_t ports[1] = {0};
    struct tb_satellites_opts so = {.ports = ports, .n_ports = 1};
    tb_satellites *sats;
    tb_controller *ctl;
    tb_client *cl;
    tb_result *r = NULL;
    tb_error err = {0};

    cr_assert_eq(tb_satellites_start(&so, &sats, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(tb_client_from_command("quiet", "/bin/true", &cl, &err),
                 TB_OK);
    struct tb_controller_opts o = {
        .client = cl, .control_port = 0, .calibration = &tb_test_cal};
    cr_assert_eq(tb_controller_new(&o, &ctl, &err), TB_OK, "%s", err.msg);
    struct tb_benchmark_opts bo = {.satellites = sats,
                                   .trace = true,
                                   .spans_per_second = 100,
                                   .runtime_s = 1};
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err),
                 TB_ERR_CLIENT_PROTOCOL, "%s", err.msg);
    cr_assert(strstr(err.msg, "without reporting") != NULL, "%s", err.msg);
    tb_result_free(r);
    r = NULL;
    tb_controller_free(ctl);

    tb_error_clear(&err);
    tb_client_set_reports(cl, false);
    cr_assert_eq(tb_controller_new(&o, &ctl, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(tb_controller_benchmark(ctl, &bo, &r, &err), TB_OK, "%s",
                 err.msg);
    cr_assert(!r->spans_sent_reported);
    cr_assert(r->dropped_known && r->dropped_estimated);
    cr_assert_eq(r->dropped_spans, (int64_t)r->repeat);
    char *json = tb_result_to_json(r);
    cr_assert(strstr(json, "\"spans_sent\":null") != NULL, "%s", json);
    cr_assert(strstr(json, "\"dropped_estimated\":true") != NULL, "%s", json);
    free(json);
    char text[1024] = "";
    FILE *f = fmemopen(text, sizeof(text), "w");
    tb_result_print(r, f);
    fclose(f);
    cr_assert(strstr(text, "not reported") != NULL, "%s", text);
    cr_assert(strstr(text, "estimate") != NULL, "%s", text);
    tb_result_free(r);
    tb_controller_free(ctl);
    tb_client_free(cl);
    tb_satellites_free(sats);
}
