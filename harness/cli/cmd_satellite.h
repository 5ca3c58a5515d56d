/* tracebench satellite: a satellite group in the foreground, for pointing
 * a tracer at by hand. */
#ifndef TB_CMD_SATELLITE_H
#define TB_CMD_SATELLITE_H

/* argv[0] is "satellite". Returns the exit status: 128 + the signal after
 * SIGINT, SIGTERM or SIGHUP (130, 143, 129), 1 when the group cannot start, 2
 * on bad options. */
int tb_cli_satellite(int argc, char **argv);

#endif
