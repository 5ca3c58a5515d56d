/* The project's own configuration: every registered client has thresholds
 * that load in both profiles, and every gate a client runs has a limit. */
#include <stdio.h>

#include <criterion/criterion.h>

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
