/* The project's own configuration: every registered client has thresholds
 * that load in both profiles, and every gate a client runs has a limit;
 * and the library's TB_* environment variables (harness/src/util/config.c):
 * each named once, "" read as unset, a change seen at the next read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "../harness/src/util/config.h"
#include "tracebench.h"

TestSuite(config, .timeout = 30);

Test(config, every_client_has_loadable_thresholds)
{
    char dir[1100];
    tb_registry *reg;
    tb_error err = {0};

    snprintf(dir, sizeof(dir), "%s/thresholds", tb_root_dir());
    cr_assert_eq(tb_registry_load(NULL, &reg, &err), TB_OK, "%s", err.msg);
    cr_assert_geq(tb_registry_count(reg), 5);
    for (size_t i = 0; i < tb_registry_count(reg); i++) {
        const char *name = tb_client_name(tb_registry_at(reg, i));
        static const char *const profiles[] = {"full", "quick"};
        for (int p = 0; p < 2; p++) {
            tb_thresholds *t = NULL;
            cr_assert_eq(tb_thresholds_load(dir, name, profiles[p], &t, &err),
                         TB_OK, "%s %s: %s", name, profiles[p], err.msg);
            cr_assert_gt(t->cpu.max_overhead_points, 0);
            cr_assert_gt(t->throughput.rates_sps.n, 0);
            tb_thresholds_free(t);
        }
    }
    tb_registry_free(reg);
}

Test(config, every_variable_is_named_once_with_the_tb_prefix)
{
    for (int i = 0; i < TB__CONFIG__COUNT; i++) {
        const char *name = tb__config_name((enum tb__config_var)i);
        cr_assert(strncmp(name, "TB_", 3) == 0, "variable %d: \"%s\"", i, name);
        for (int j = 0; j < i; j++)
            cr_assert(strcmp(name, tb__config_name((enum tb__config_var)j)),
                      "%s named twice", name);
    }
}

Test(config, empty_is_unset_and_a_change_is_seen)
{
    unsetenv("TB_COUNTER");
    cr_assert_null(tb__config_env(TB__CONFIG_COUNTER));
    setenv("TB_COUNTER", "", 1);
    cr_assert_null(tb__config_env(TB__CONFIG_COUNTER));
    setenv("TB_COUNTER", "valgrind", 1);
    cr_assert_str_eq(tb__config_env(TB__CONFIG_COUNTER), "valgrind");
}

Test(config, strict_is_any_value_but_empty_or_zero)
{
    static const struct {
        const char *value;
        bool strict;
    } cases[] = {{"", false}, {"0", false}, {"1", true}, {"yes", true}};

    unsetenv("TB_STRICT");
    cr_assert_not(tb_strict());
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setenv("TB_STRICT", cases[i].value, 1);
        cr_assert_eq(tb_strict(), cases[i].strict, "TB_STRICT=\"%s\"",
                     cases[i].value);
    }
}
