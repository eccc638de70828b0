/* pty.c: pseudo-terminals for a container's process: the pair, the controlling tty, raw mode. */
#include "pty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"

/* /dev/ptmx and devpts' own ptmx node are both char 5:2 (TTYAUX_MAJOR, minor 2). */
#define PTMX_MAJOR 5
#define PTMX_MINOR 2

int pty_open(int *master, int *slave, struct error *err)
{
	/* O_NONBLOCK also keeps a FIFO planted at /dev/ptmx from blocking the open. */
	cleanup_fd int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (m < 0)
		return error_sys(err, "open /dev/ptmx in the container");
	struct stat st;
	if (fstat(m, &st) < 0)
		return error_sys(err, "stat /dev/ptmx in the container");
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != PTMX_MAJOR || minor(st.st_rdev) != PTMX_MINOR)
		return error_msg(err, "/dev/ptmx in the container is not the pty multiplexer (char 5:2)");

	int unlock = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
		return error_sys(err, "unlock the pty");
	int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0 && (errno == EINVAL || errno == ENOTTY)) {
		/* Before Linux 4.13: by name, in the devpts the master came from. */
		unsigned int n;
		char path[64];
		if (ioctl(m, TIOCGPTN, &n) < 0)
			return error_sys(err, "get the pty number");
		snprintf(path, sizeof path, "/dev/pts/%u", n);
		s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	}
	if (s < 0)
		return error_sys(err, "open the pty slave");
	*master = steal_fd(&m);
	*slave = s;
	return 0;
}

int pty_make_controlling(int slave, struct error *err)
{
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return error_sys(err, "make the pty the controlling terminal");
	for (int fd = 0; fd <= 2; fd++) {
		if (dup2(slave, fd) < 0)
			return error_sys(err, "dup the pty to fd %d", fd);
	}
	return 0;
}

bool pty_copy_size(int from, int master)
{
	struct winsize size;
	if (ioctl(from, TIOCGWINSZ, &size) < 0)
		return false;
	return ioctl(master, TIOCSWINSZ, &size) == 0;
}

int term_set_raw(int fd, struct termios *saved, struct error *err)
{
	if (tcgetattr(fd, saved) < 0)
		return error_sys(err, "read the terminal settings");
	struct termios raw = *saved;
	/* Output processing goes too: the container's pty already turned "\n" into "\r\n". */
	cfmakeraw(&raw);
	if (tcsetattr(fd, TCSADRAIN, &raw) < 0)
		return error_sys(err, "put the terminal into raw mode");
	return 0;
}

void term_restore(int fd, const struct termios *saved)
{
	int saved_errno = errno;
	while (tcsetattr(fd, TCSADRAIN, saved) < 0 && errno == EINTR)
		;
	errno = saved_errno;
}
