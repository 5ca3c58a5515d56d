/* The gnuplot driver: finding gnuplot (and saying which package to install
 * when it is missing), running a script, and reading PNG headers. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "common.h"
#include "tracebench/output/plot.h"

TestSuite(plot, .timeout = 60);

static char dir[] = "/tmp/tb-test-plot-XXXXXX";

static void make_dir(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    tb_test_rm_tree(dir);
}

static void write_text(const char *name, const char *text, mode_t mode)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

Test(plot, renders_a_png_of_the_size_asked, .init = make_dir,
     .fini = remove_dir)
{
    char png[256];
    uint32_t w = 0, h = 0;
    tb_error err = {0};

    write_text("a.csv", "x,y\n1,2\n2,4\n3,9\n", 0644);
    write_text("a.gp",
               "set terminal pngcairo size 320,200\n"
               "set output 'a.png'\nset datafile separator ','\n"
               "plot 'a.csv' skip 1 using 1:2 with lines title 'y'\n",
               0644);
    cr_assert_eq(tb_plot_render(dir, "a.gp", NULL, &err), TB_OK, "%s", err.msg);
    snprintf(png, sizeof(png), "%s/a.png", dir);
    cr_assert_eq(tb_plot_png_size(png, &w, &h, &err), TB_OK, "%s", err.msg);
    cr_assert(eq(u32, w, 320));
    cr_assert(eq(u32, h, 200));
}

Test(plot, missing_gnuplot_in_path_names_the_package, .init = make_dir,
     .fini = remove_dir)
{
    tb_error err = {0};
    char prog[256];

    /* An empty directory as the whole PATH: no gnuplot anywhere. */
    setenv("PATH", dir, 1);
    unsetenv("TB_GNUPLOT");
    write_text("a.gp", "print 1\n", 0644);
    cr_assert_eq(tb_plot_find(NULL, prog, sizeof(prog), &err), TB_ERR_IO);
    cr_assert(strstr(err.msg, "gnuplot-nox") != NULL, "%s", err.msg);
    tb_error_clear(&err);
    cr_assert_eq(tb_plot_render(dir, "a.gp", NULL, &err), TB_ERR_IO);
    cr_assert(strstr(err.msg, "gnuplot not found") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "gnuplot-nox") != NULL, "%s", err.msg);
}

Test(plot, missing_gnuplot_by_option_names_the_package)
{
    struct tb_plot_opts o = {.gnuplot = "/nonexistent/bin/gnuplot"};
    tb_error err = {0};

    cr_assert_eq(tb_plot_render("/tmp", "x.gp", &o, &err), TB_ERR_IO);
    cr_assert(strstr(err.msg, "/nonexistent/bin/gnuplot") != NULL, "%s",
              err.msg);
    cr_assert(strstr(err.msg, "gnuplot-nox") != NULL, "%s", err.msg);
}

Test(plot, gnuplot_without_pngcairo_is_named, .init = make_dir,
     .fini = remove_dir)
{
    char fake[256];
    struct tb_plot_opts o = {.gnuplot = fake};
    tb_error err = {0};

    /* What a gnuplot built without cairo says, then its exit status. */
    write_text("gnuplot",
               "#!/bin/sh\necho 'line 1: unknown or ambiguous terminal "
               "type; type just \"set terminal\" for a list' >&2\nexit 1\n",
               0755);
    snprintf(fake, sizeof(fake), "%s/gnuplot", dir);
    cr_assert_eq(tb_plot_render(dir, "a.gp", &o, &err), TB_ERR_IO);
    cr_assert(strstr(err.msg, "pngcairo") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "gnuplot-nox") != NULL, "%s", err.msg);
}

Test(plot, script_error_carries_gnuplots_message, .init = make_dir,
     .fini = remove_dir)
{
    tb_error err = {0};

    write_text("bad.gp",
               "set terminal pngcairo\nset output 'b.png'\n"
               "plot frobnicate(x)\n",
               0644);
    cr_assert_eq(tb_plot_render(dir, "bad.gp", NULL, &err), TB_ERR_IO);
    cr_assert(strstr(err.msg, "status 1") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "frobnicate") != NULL, "%s", err.msg);
}

Test(plot, hung_gnuplot_is_killed_at_the_timeout, .init = make_dir,
     .fini = remove_dir)
{
    struct tb_plot_opts o = {.timeout_ms = 300};
    tb_error err = {0};

    write_text("slow.gp", "pause 30\n", 0644);
    cr_assert_eq(tb_plot_render(dir, "slow.gp", &o, &err), TB_ERR_IO);
    cr_assert(strstr(err.msg, "killed") != NULL, "%s", err.msg);
}

Test(plot, png_size_rejects_what_is_not_a_png, .init = make_dir,
     .fini = remove_dir)
{
    char path[256];
    uint32_t w = 7, h = 7;
    tb_error err = {0};
    /* A PNG signature followed by a chunk that is not IHDR. */
    static const char not_ihdr[24] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIDAT";
    FILE *f;

    write_text("text.png", "GIF89a, not a PNG at all", 0644);
    snprintf(path, sizeof(path), "%s/text.png", dir);
    cr_assert_eq(tb_plot_png_size(path, &w, &h, &err), TB_ERR_DECODE);
    cr_assert(strstr(err.msg, "signature") != NULL, "%s", err.msg);
    cr_assert(eq(u32, w, 7), "outputs untouched on failure");

    snprintf(path, sizeof(path), "%s/idat.png", dir);
    f = fopen(path, "wb");
    cr_assert_not_null(f);
    fwrite(not_ihdr, 1, sizeof(not_ihdr), f);
    fclose(f);
    tb_error_clear(&err);
    cr_assert_eq(tb_plot_png_size(path, &w, &h, &err), TB_ERR_DECODE);
    cr_assert(strstr(err.msg, "IHDR") != NULL, "%s", err.msg);

    tb_error_clear(&err);
    snprintf(path, sizeof(path), "%s/absent.png", dir);
    cr_assert_eq(tb_plot_png_size(path, &w, &h, &err), TB_ERR_IO);
}
