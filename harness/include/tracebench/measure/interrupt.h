/* Interruption: SIGINT, SIGTERM and SIGHUP while clients or satellites run.
 * The handler only records the signal and wakes the run loop; the run loop
 * then kills and reaps the client's whole group, the caller records what
 * was measured (the result says interrupted) and stops its satellites, and
 * the command exits with tb_interrupt_exit_status(). A second signal
 * kills the process at once (the default action), in case something else
 * is in the way. */
#ifndef TRACEBENCH_INTERRUPT_H
#define TRACEBENCH_INTERRUPT_H

/* Installs the handlers for SIGINT, SIGTERM and SIGHUP (once; later calls
 * do nothing). Every command or library path that starts a client calls it:
 * tb_controller_new does. Returns 0, or -1 when the wake-up pipe could not
 * be made (the flag still works, the run loop then notices within 1 s). */
int tb_interrupt_install(void);

/* The signal that interrupted us, or 0. */
int tb_interrupted(void);

/* The exit status for a command stopped by sig: 130 for SIGINT, 143 for
 * SIGTERM, 129 for SIGHUP (128 + the signal, as a shell reports it). */
int tb_interrupt_exit_status(int sig);

#endif
