/* A JUnit XML file from the gate lines of a results file, for CI systems
 * that show test results (GitHub, GitLab, Jenkins): one testsuite per
 * client, one testcase per figure ("<gate> <figure>"); a failed figure is a
 * <failure>, a gate that could not run an <error>, an inconclusive figure
 * passes with its message in <system-out>. */
#ifndef TRACEBENCH_JUNIT_H
#define TRACEBENCH_JUNIT_H

#include "tracebench/util/err.h"

/* Reads every gate line of results_path (run_id NULL) or those of one run
 * and writes out_path. TB_ERR_IO names the file. */
tb_err tb_junit_write(const char *results_path, const char *run_id,
                      const char *out_path, tb_error *err);

#endif
