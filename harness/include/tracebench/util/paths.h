/* Where the project lives: relative paths in clients.json and thresholds/
 * resolve against the project root. */
#ifndef TRACEBENCH_PATHS_H
#define TRACEBENCH_PATHS_H

/* $TB_ROOT, else the source directory tracebench was built from. Borrowed. */
const char *tb_root_dir(void);

/* $TB_BUILD_DIR, else the build directory tracebench was built in. */
const char *tb_build_dir(void);

#endif
