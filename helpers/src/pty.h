/* pty.h: pseudo-terminals for a container's process: the pair, the controlling tty, raw mode. */
#ifndef SKIFF_PTY_H
#define SKIFF_PTY_H

#include <stdbool.h>
#include <termios.h>

#include "error.h"

/*
 * A new pty pair from /dev/ptmx of the caller's current root (a container's, after
 * joining its mount namespace and root), so the slave lives in the container's devpts
 * and reads as /dev/pts/N there. The file opened must really be a ptmx (char 5:2): the
 * container owns its /dev. The slave comes from TIOCGPTPEER, not from a path the
 * container could swap. Both fds are close-on-exec, the master non-blocking.
 */
int pty_open(int *master, int *slave, struct error *err);

/*
 * In a child that has just called setsid(): make slave its controlling terminal and its
 * stdin, stdout and stderr. The slave fd itself stays open; the caller closes it.
 */
int pty_make_controlling(int slave, struct error *err);

/* Copy the window size of the terminal on from (if it is one) to the pty master. */
bool pty_copy_size(int from, int master);

/* Put the terminal on fd into raw mode, keeping its settings in *saved. */
int term_set_raw(int fd, struct termios *saved, struct error *err);

/* Put back what term_set_raw() saved (best effort: it runs on the way out). */
void term_restore(int fd, const struct termios *saved);

#endif
