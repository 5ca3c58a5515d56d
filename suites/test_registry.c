/* The client registry: the real clients.json, bad files, one-off commands. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tracebench.h"

TestSuite(registry, .timeout = 60);

static char tmpdir[64];

static const char *write_registry(const char *text)
{
    static char path[128];
    FILE *f;

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/tb-client-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/clients.json", tmpdir);
    f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void bad_registry(const char *text, const char *want)
{
    const char *path = write_registry(text);
    tb_registry *reg = NULL;
    tb_error err = {0};

    cr_assert_eq(tb_registry_load(path, &reg, &err), TB_ERR_CONFIG);
    cr_assert_null(reg);
    cr_assert(strstr(err.msg, path) != NULL, "names the file: %s", err.msg);
    cr_assert(strstr(err.msg, want) != NULL, "'%s' not in: %s", want, err.msg);
    unlink(path);
    rmdir(tmpdir);
}

Test(registry, the_project_registry_loads)
{
    tb_registry *reg;
    tb_error err = {0};
    const tb_client *c;

    cr_assert_eq(tb_registry_load(NULL, &reg, &err), TB_OK, "%s", err.msg);
    cr_assert_geq(tb_registry_count(reg), 1);
    c = tb_registry_find(reg, "c", &err);
    cr_assert_not_null(c, "%s", err.msg);
    cr_assert(strstr(tb_client_argv(c)[0], tb_build_dir()) ==
                  tb_client_argv(c)[0],
              "${TB_BUILD_DIR} expanded: %s", tb_client_argv(c)[0]);
    cr_assert(tb_client_passes_flags(c));
    cr_assert_eq(tb_client_check(c, &err), TB_OK, "%s", err.msg);
    tb_registry_free(reg);
}

Test(registry, unknown_name_lists_the_registered_ones)
{
    const char *path = write_registry(
        "{\"alpha\": {\"argv\": [\"/bin/true\"]},"
        " \"beta\": {\"argv\": [\"/bin/true\"]}}");
    tb_registry *reg;
    tb_error err = {0};

    cr_assert_eq(tb_registry_load(path, &reg, &err), TB_OK, "%s", err.msg);
    cr_assert_null(tb_registry_find(reg, "gamma", &err));
    cr_assert_eq(err.code, TB_ERR_INVALID_CLIENT);
    cr_assert(strstr(err.msg, "'gamma'") && strstr(err.msg, "alpha, beta"),
              "%s", err.msg);
    tb_registry_free(reg);
    unlink(path);
    rmdir(tmpdir);
}

Test(registry, malformed_json_reports_the_line)
{
    bad_registry("{\n \"a\": {\"argv\": [\"/bin/true\"]},\n \"b\": {,\n}\n",
                 "malformed JSON at line 3");
}

Test(registry, unknown_key_is_named)
{
    bad_registry("{\"a\": {\"argv\": [\"/bin/true\"], \"agrv\": []}}",
                 "a.agrv: unknown key");
}

Test(registry, argv_must_be_a_list_of_strings)
{
    bad_registry("{\"a\": {\"argv\": \"/bin/true\"}}", "a.argv: expected");
    bad_registry("{\"a\": {\"argv\": [\"/bin/true\", 3]}}",
                 "a.argv[1]: expected a string");
}

Test(registry, reports_is_typed)
{
    bad_registry("{\"a\": {\"argv\": [\"x\"], \"reports\": 0}}",
                 "a.reports: expected true or false");
}

Test(registry, injectors_list_optional_flags_and_variants_inherit_them)
{
    const char *path = write_registry(
        "{\"z\": {\"argv\": [\"prog\"], \"injectors\": [\"dup_every\"]},"
        " \"z@2\": {\"base\": \"z\"},"
        " \"y\": {\"argv\": [\"prog\"]}}");
    tb_registry *reg;
    tb_error err = {0};

    cr_assert_eq(tb_registry_load(path, &reg, &err), TB_OK, "%s", err.msg);
    cr_assert(
        tb_client_has_injector(tb_registry_find(reg, "z", &err), "dup_every"));
    cr_assert(tb_client_has_injector(tb_registry_find(reg, "z@2", &err),
                                     "dup_every"));
    cr_assert_not(
        tb_client_has_injector(tb_registry_find(reg, "z", &err), "dup"));
    cr_assert_not(
        tb_client_has_injector(tb_registry_find(reg, "y", &err), "dup_every"));
    tb_registry_free(reg);
    unlink(path);
    rmdir(tmpdir);
    bad_registry("{\"a\": {\"argv\": [\"x\"], \"injectors\": \"dup_every\"}}",
                 "a.injectors: expected a non-empty array of strings");

    /* The project's python client (py_zipkin) resends spans itself. */
    cr_assert_eq(tb_registry_load(NULL, &reg, &err), TB_OK, "%s", err.msg);
    cr_assert(tb_client_has_injector(tb_registry_find(reg, "python", &err),
                                     "dup_every"));
    cr_assert_not(tb_client_has_injector(
        tb_registry_find(reg, "python-cpp", &err), "dup_every"));
    tb_registry_free(reg);
}

Test(registry, env_and_flags_are_typed)
{
    bad_registry("{\"a\": {\"argv\": [\"x\"], \"env\": {\"K\": 1}}}",
                 "a.env.K: expected a string");
    bad_registry("{\"a\": {\"argv\": [\"x\"], \"flags\": \"no\"}}",
                 "a.flags: expected true or false");
}

Test(registry, env_entries_become_key_value_pairs)
{
    const char *path = write_registry(
        "{\"a\": {\"argv\": [\"/bin/true\"], \"flags\": false,"
        " \"env\": {\"ROOT\": \"${TB_ROOT}/x\"}}}");
    tb_registry *reg;
    tb_error err = {0};
    char want[1100];

    cr_assert_eq(tb_registry_load(path, &reg, &err), TB_OK, "%s", err.msg);
    const tb_client *c = tb_registry_at(reg, 0);
    snprintf(want, sizeof(want), "ROOT=%s/x", tb_root_dir());
    cr_assert_str_eq(tb_client_env(c)[0], want);
    cr_assert_null(tb_client_env(c)[1]);
    cr_assert_not(tb_client_passes_flags(c));
    tb_registry_free(reg);
    unlink(path);
    rmdir(tmpdir);
}

Test(registry, check_reports_the_missing_package)
{
    /* Only exit status 3 says "tracer not installed" (a skip); any other
     * failure of the check is a broken client (an error). */
    const char *path = write_registry(
        "{\"a\": {\"argv\": [\"/bin/true\"], \"check\": [\"/bin/sh\", "
        "\"-c\", \"exit 3\"], \"missing\": \"apt-get install tracer-x\"},"
        " \"b\": {\"argv\": [\"no-such-program-here\"]},"
        " \"c\": {\"argv\": [\"/bin/true\"], \"check\": [\"/bin/false\"],"
        " \"missing\": \"apt-get install tracer-x\"},"
        " \"d\": {\"argv\": [\"/bin/true\"], \"check\": [\"/bin/sh\", "
        "\"-c\", \"kill -SEGV $$\"]},"
        " \"e\": {\"argv\": [\"/nonexistent/build/tb-client\"]}}");
    tb_registry *reg;
    tb_error err = {0};

    cr_assert_eq(tb_registry_load(path, &reg, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(tb_client_check(tb_registry_at(reg, 0), &err),
                 TB_ERR_TRACER_MISSING, "%s", err.msg);
    cr_assert(strstr(err.msg, "apt-get install tracer-x") != NULL, "%s",
              err.msg);
    tb_error_clear(&err);
    cr_assert_eq(tb_client_check(tb_registry_at(reg, 1), &err),
                 TB_ERR_TRACER_MISSING, "%s", err.msg);
    cr_assert(strstr(err.msg, "no-such-program-here") != NULL, "%s", err.msg);
    tb_error_clear(&err);
    cr_assert_eq(tb_client_check(tb_registry_at(reg, 2), &err),
                 TB_ERR_CLIENT_START, "%s", err.msg);
    cr_assert(strstr(err.msg, "status 1") != NULL, "%s", err.msg);
    tb_error_clear(&err);
    cr_assert_eq(tb_client_check(tb_registry_at(reg, 3), &err),
                 TB_ERR_CLIENT_START, "%s", err.msg);
    cr_assert(strstr(err.msg, "signal 11") != NULL, "%s", err.msg);
    tb_error_clear(&err);
    cr_assert_eq(tb_client_check(tb_registry_at(reg, 4), &err),
                 TB_ERR_CLIENT_START, "%s", err.msg);
    cr_assert(strstr(err.msg, "/nonexistent/build/tb-client") != NULL, "%s",
              err.msg);
    tb_registry_free(reg);
    unlink(path);
}

Test(registry, command_lines_split_like_a_shell)
{
    tb_client *c;
    tb_error err = {0};

    cr_assert_eq(tb_client_from_command("x",
                                        "node  'a b.js' \"c d\" e\\ f "
                                        "--k=\"v\"",
                                        &c, &err),
                 TB_OK, "%s", err.msg);
    const char *const *argv = tb_client_argv(c);
    cr_assert_str_eq(argv[0], "node");
    cr_assert_str_eq(argv[1], "a b.js");
    cr_assert_str_eq(argv[2], "c d");
    cr_assert_str_eq(argv[3], "e f");
    cr_assert_str_eq(argv[4], "--k=v");
    cr_assert_null(argv[5]);
    tb_client_free(c);
    cr_assert_eq(tb_client_from_command("x", "node 'open", &c, &err),
                 TB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "unclosed") != NULL, "%s", err.msg);
    tb_error_clear(&err);
    cr_assert_eq(tb_client_from_command("x", "   ", &c, &err),
                 TB_ERR_INVALID_ARG);
}

/* A variant is its base with env set key by key and args appended, written
 * above or below its base; a variant of a variant works too. */
Test(registry, a_variant_derives_from_its_base)
{
    const char *path = write_registry(
        "{\"b@2\": {\"base\": \"b@1\", \"env\": {\"V\": \"2\"}, "
        "\"description\": \"second\"},"
        " \"b@1\": {\"base\": \"b\", \"env\": {\"V\": \"1\", \"W\": \"w\"},"
        " \"args\": [\"--x\", \"${TB_ROOT}\"]},"
        " \"b\": {\"argv\": [\"prog\", \"-a\"], \"env\": {\"V\": \"0\"},"
        " \"check\": [\"prog\", \"--check\"], \"description\": \"base\","
        " \"flags\": false}}");
    tb_registry *reg;
    tb_error err = {0};

    cr_assert_eq(tb_registry_load(path, &reg, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(tb_registry_count(reg), 3);
    const tb_client *v1 = tb_registry_find(reg, "b@1", &err);
    const tb_client *v2 = tb_registry_find(reg, "b@2", &err);
    cr_assert_not_null(v1);
    cr_assert_not_null(v2);
    const char *const *a = tb_client_argv(v1);
    cr_assert_str_eq(a[0], "prog");
    cr_assert_str_eq(a[1], "-a");
    cr_assert_str_eq(a[2], "--x");
    cr_assert_str_eq(a[3], tb_root_dir());
    cr_assert_null(a[4]);
    const char *const *env = tb_client_env(v1);
    cr_assert_str_eq(env[0], "V=1");
    cr_assert_str_eq(env[1], "W=w");
    cr_assert_null(env[2]);
    cr_assert_str_eq(tb_client_description(v1), "base");
    cr_assert_not(tb_client_passes_flags(v1));
    cr_assert_str_eq(tb_client_env(v2)[0], "V=2");
    cr_assert_str_eq(tb_client_env(v2)[1], "W=w");
    cr_assert_str_eq(tb_client_description(v2), "second");
    cr_assert_str_eq(tb_client_argv(v2)[2], "--x");
    /* The base is untouched. */
    const tb_client *b = tb_registry_find(reg, "b", &err);
    cr_assert_str_eq(tb_client_env(b)[0], "V=0");
    cr_assert_null(tb_client_argv(b)[2]);
    tb_registry_free(reg);
    unlink(path);
    rmdir(tmpdir);
}

Test(registry, a_bad_variant_is_named)
{
    bad_registry("{\"v\": {\"base\": \"nobody\"}}",
                 "v.base: no client named 'nobody'");
    bad_registry("{\"a\": {\"base\": \"b\"}, \"b\": {\"base\": \"a\"}}",
                 "loop");
    bad_registry("{\"b\": {\"argv\": [\"p\"]}, \"v\": {\"base\": \"b\", "
                 "\"argv\": [\"q\"]}}",
                 "v.argv: a variant takes its base's argv");
    bad_registry("{\"b\": {\"argv\": [\"p\"]}, \"v\": {\"base\": 3}}",
                 "v.base: expected a client's name");
}

Test(registry, set_env_replaces_or_adds_and_rejects_a_bare_word)
{
    tb_client *c;
    tb_error err = {0};

    cr_assert_eq(tb_client_from_command("x", "prog", &c, &err), TB_OK);
    cr_assert_eq(tb_client_set_env(c, "A=1", &err), TB_OK);
    cr_assert_eq(tb_client_set_env(c, "AB=2", &err), TB_OK);
    cr_assert_eq(tb_client_set_env(c, "A=3", &err), TB_OK);
    cr_assert_str_eq(tb_client_env(c)[0], "A=3");
    cr_assert_str_eq(tb_client_env(c)[1], "AB=2");
    cr_assert_null(tb_client_env(c)[2]);
    cr_assert_eq(tb_client_set_env(c, "NOEQUALS", &err), TB_ERR_INVALID_ARG);
    cr_assert(strstr(err.msg, "NOEQUALS") != NULL, "%s", err.msg);
    tb_client_free(c);
}

/* The project's own variants load the older tracers they name. */
Test(registry, the_project_variants_load_their_own_tracer_versions)
{
    static const struct {
        const char *name, *pkg, *version;
    } v[] = {{"js-otel@1", "@opentelemetry/sdk-trace-base", "1.30.1"},
             {"js@0.24", "lightstep-tracer", "0.24.2"}};
    tb_registry *reg;
    tb_error err = {0};

    cr_assert_eq(tb_registry_load(NULL, &reg, &err), TB_OK, "%s", err.msg);
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        const tb_client *c = tb_registry_find(reg, v[i].name, &err);
        char cmd[1024];
        const char *np = NULL;
        cr_assert_not_null(c, "%s", err.msg);
        for (const char *const *e = tb_client_env(c); *e; e++)
            if (strncmp(*e, "NODE_PATH=", 10) == 0)
                np = *e + 10;
        cr_assert_not_null(np, "%s sets NODE_PATH", v[i].name);
        /* What the client's loader resolves from NODE_PATH first. */
        snprintf(cmd, sizeof(cmd),
                 "cd %s && node -e \"const p=require('path');"
                 "const f=p.join(p.resolve('%s'),'%s','package.json');"
                 "process.stdout.write(require('fs').existsSync(f)?"
                 "require(f).version:'not installed: '+f)\" 2>&1",
                 tb_root_dir(), np, v[i].pkg);
        FILE *f = popen(cmd, "r");
        char got[512] = "";
        cr_assert_not_null(f);
        if (fgets(got, sizeof(got), f) == NULL)
            got[0] = '\0';
        int st = pclose(f);
        cr_assert_eq(st, 0,
                     "node failed (the js clients need Node.js 20, "
                     "from make deps): %s: %s",
                     cmd, got);
        cr_assert_str_eq(got, v[i].version,
                         "%s loads %s %s, not %s (make deps installs each "
                         "variant's packages)",
                         v[i].name, v[i].pkg, v[i].version, got);
    }
    tb_registry_free(reg);
}
