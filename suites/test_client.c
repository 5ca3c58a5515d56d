/* The client registry: the real clients.json, bad files, one-off commands. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "tracebench.h"

TestSuite(client, .timeout = 60);

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
    cr_assert(strstr(err.msg, want) != NULL, "'%s' not in: %s", want,
              err.msg);
    unlink(path);
    rmdir(tmpdir);
}

Test(client, the_project_registry_loads)
{
    tb_registry *reg;
    tb_error err = {0};
    const tb_client *c;

    cr_assert_eq(tb_registry_load(NULL, &reg, &err), TB_OK, "%s", err.msg);
    cr_assert_geq(tb_registry_count(reg), 1);
    c = tb_registry_find(reg, "c", &err);
    cr_assert_not_null(c, "%s", err.msg);
    cr_assert(strstr(tb_client_argv(c)[0], tb_build_dir()) == tb_client_argv(c)[0],
              "${TB_BUILD_DIR} expanded: %s", tb_client_argv(c)[0]);
    cr_assert(tb_client_passes_flags(c));
    cr_assert_eq(tb_client_check(c, &err), TB_OK, "%s", err.msg);
    tb_registry_free(reg);
}

Test(client, unknown_name_lists_the_registered_ones)
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

Test(client, malformed_json_reports_the_line)
{
    bad_registry("{\n \"a\": {\"argv\": [\"/bin/true\"]},\n \"b\": {,\n}\n",
                 "malformed JSON at line 3");
}

Test(client, unknown_key_is_named)
{
    bad_registry("{\"a\": {\"argv\": [\"/bin/true\"], \"agrv\": []}}",
                 "a.agrv: unknown key");
}

Test(client, argv_must_be_a_list_of_strings)
{
    bad_registry("{\"a\": {\"argv\": \"/bin/true\"}}", "a.argv: expected");
    bad_registry("{\"a\": {\"argv\": [\"/bin/true\", 3]}}",
                 "a.argv[1]: expected a string");
}

Test(client, env_and_flags_are_typed)
{
    bad_registry("{\"a\": {\"argv\": [\"x\"], \"env\": {\"K\": 1}}}",
                 "a.env.K: expected a string");
    bad_registry("{\"a\": {\"argv\": [\"x\"], \"flags\": \"no\"}}",
                 "a.flags: expected true or false");
}

Test(client, env_entries_become_key_value_pairs)
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

Test(client, check_reports_the_missing_package)
{
    const char *path = write_registry(
        "{\"a\": {\"argv\": [\"/bin/true\"], \"check\": [\"/bin/false\"],"
        " \"missing\": \"apt-get install tracer-x\"},"
        " \"b\": {\"argv\": [\"no-such-program-here\"]}}");
    tb_registry *reg;
    tb_error err = {0};

    cr_assert_eq(tb_registry_load(path, &reg, &err), TB_OK, "%s", err.msg);
    cr_assert_eq(tb_client_check(tb_registry_at(reg, 0), &err),
                 TB_ERR_CLIENT_START);
    cr_assert(strstr(err.msg, "apt-get install tracer-x") != NULL, "%s",
              err.msg);
    tb_error_clear(&err);
    cr_assert_eq(tb_client_check(tb_registry_at(reg, 1), &err),
                 TB_ERR_CLIENT_START);
    cr_assert(strstr(err.msg, "no-such-program-here") != NULL, "%s",
              err.msg);
    tb_registry_free(reg);
    unlink(path);
    rmdir(tmpdir);
}

Test(client, command_lines_split_like_a_shell)
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
