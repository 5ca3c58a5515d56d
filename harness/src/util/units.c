/* Numbers with units, for the command line and config. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tracebench/util/units.h"

static int number(const char *s, double *v, char **end)
{
    errno = 0;
    *v = strtod(s, end);
    return errno == 0 && *end != s && isfinite(*v) && *v >= 0;
}

tb_err tb_units_parse_count(const char *what, const char *s, double *out,
                            tb_error *err)
{
    char *end;
    double v, mult = 1;

    if (!number(s, &v, &end))
        goto bad;
    if (*end == 'k' || *end == 'K')
        mult = 1e3, end++;
    else if (*end == 'M')
        mult = 1e6, end++;
    else if (*end == 'G')
        mult = 1e9, end++;
    if (*end != '\0')
        goto bad;
    *out = v * mult;
    return TB_OK;
bad:
    return tb_error_set(err, TB_ERR_INVALID_ARG,
                        "%s: '%s' is not a number >= 0 (suffixes k, M, G)",
                        what, s);
}

tb_err tb_units_parse_duration(const char *what, const char *s, double *out_s,
                               tb_error *err)
{
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {{"", 1}, {"s", 1}, {"ms", 1e-3}, {"m", 60}, {"h", 3600}};
    char *end;
    double v;

    if (number(s, &v, &end))
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (strcmp(end, units[i].suffix) == 0) {
                *out_s = v * units[i].mult;
                return TB_OK;
            }
    return tb_error_set(err, TB_ERR_INVALID_ARG,
                        "%s: '%s' is not a duration (e.g. 10, 10s, 500ms, "
                        "2m)",
                        what, s);
}

tb_err tb_units_parse_fraction(const char *what, const char *s, double *out,
                               tb_error *err)
{
    char *end;
    double v;

    if (number(s, &v, &end)) {
        if (*end == '%' && end[1] == '\0')
            v /= 100, end++;
        if (*end == '\0' && v > 0 && v <= 1) {
            *out = v;
            return TB_OK;
        }
    }
    return tb_error_set(err, TB_ERR_INVALID_ARG,
                        "%s: '%s' is not a fraction in (0, 1] (e.g. 0.7 or "
                        "70%%)",
                        what, s);
}
