/*
 * self-pipe-server.c - a correct fork-per-connection server with the
 * self-pipe trick: the SIGCHLD handler only writes a byte into a pipe that
 * poll() watches, and the main loop reaps.  `make mutants` requires it to
 * pass.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

static int wake[2];

static void
wake_up(int signo)
{
	int saved_errno = errno;

	(void)signo;
	/* A full pipe already holds a wake-up: losing this byte loses nothing. */
	(void)write(wake[1], "", 1);
	errno = saved_errno;
}

static void
drain(int fd)
{
	char bytes[64];

	while (read(fd, bytes, sizeof bytes) > 0)
		continue;
	if (errno != EAGAIN && errno != EINTR)
		die("read self-pipe");
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv);

	if (pipe(wake) < 0 || set_nonblocking(wake[0]) < 0 || set_nonblocking(wake[1]) < 0)
		die("pipe");
	if (set_handler(SIGCHLD, wake_up) < 0)
		die("sigaction");
	serve_polling(lfd, wake[0], drain, echo_and_exit);
}
