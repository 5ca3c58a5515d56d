/* Unit-aware option parsing: good values parse, bad ones are named. */
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "tracebench.h"

/* Arrays, not pointers: Criterion copies parameters into another process,
 * where pointers into this one's memory would not be valid. */
struct dcase {
    char text[16];
    double want_s;
};

ParameterizedTestParameters(units, durations)
{
    static struct dcase cases[] = {
        {"10", 10},  {"10s", 10},  {"500ms", 0.5},
        {"2m", 120}, {"1h", 3600}, {"0.25", 0.25},
    };
    return cr_make_param_array(struct dcase, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct dcase *c, units, durations)
{
    double v = -1;
    tb_error err = {0};

    cr_assert_eq(tb_units_parse_duration("--runtime", c->text, &v, &err), TB_OK,
                 "%s", err.msg);
    cr_assert_float_eq(v, c->want_s, 1e-12, "%s", c->text);
}

Test(units, bad_durations_are_rejected_by_name)
{
    static const char *bad[] = {"", "ten", "10x", "-5", "5 s", "1e999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tb_error err = {0};
        double v = 42;
        cr_assert_eq(tb_units_parse_duration("--runtime", bad[i], &v, &err),
                     TB_ERR_INVALID_ARG, "'%s' accepted", bad[i]);
        cr_assert(strstr(err.msg, "--runtime") != NULL, "%s", err.msg);
        cr_assert_float_eq(v, 42, 0, "output untouched on failure");
    }
}

Test(units, counts_take_suffixes)
{
    double v;
    cr_assert_eq(tb_units_parse_count("--sps", "10k", &v, NULL), TB_OK);
    cr_assert_float_eq(v, 10000, 0);
    cr_assert_eq(tb_units_parse_count("--sps", "1.5M", &v, NULL), TB_OK);
    cr_assert_float_eq(v, 1.5e6, 0);
    cr_assert_eq(tb_units_parse_count("--sps", "3q", &v, NULL),
                 TB_ERR_INVALID_ARG);
}

Test(units, fractions_are_in_zero_one)
{
    double v;
    cr_assert_eq(tb_units_parse_fraction("--target-cpu", "70%", &v, NULL),
                 TB_OK);
    cr_assert_float_eq(v, 0.7, 1e-12);
    cr_assert_eq(tb_units_parse_fraction("--target-cpu", "0.8", &v, NULL),
                 TB_OK);
    cr_assert_eq(tb_units_parse_fraction("--target-cpu", "0", &v, NULL),
                 TB_ERR_INVALID_ARG);
    cr_assert_eq(tb_units_parse_fraction("--target-cpu", "1.2", &v, NULL),
                 TB_ERR_INVALID_ARG);
}
