/* The tracebench command line: one function per subcommand. Each returns
 * the process exit status; only main() exits. */
#ifndef TB_CLI_H
#define TB_CLI_H

int tb_cli_run(int argc, char **argv);
int tb_cli_clients(int argc, char **argv);
int tb_cli_graph(int argc, char **argv);
int tb_cli_report(int argc, char **argv);
int tb_cli_compare(int argc, char **argv);
int tb_cli_cost(int argc, char **argv);
int tb_cli_merge(int argc, char **argv);
int tb_cli_history(int argc, char **argv);
int tb_cli_audit(int argc, char **argv);

/* Prints "tracebench: <msg>" to stderr and returns 1. */
int tb_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
