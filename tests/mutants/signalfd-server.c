/*
 * signalfd-server.c - a correct fork-per-connection server that takes
 * SIGCHLD through a signalfd(2) instead of a handler: the signal stays
 * blocked, and poll() wakes up to reap outside any handler.  `make mutants`
 * requires it to pass.
 */
#include <errno.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "plumbing.h"

/* drain: read every pending siginfo; children_left() then reaps. */
static void
drain(int sfd)
{
	struct signalfd_siginfo info;

	while (read(sfd, &info, sizeof info) == (ssize_t)sizeof info)
		continue;
	if (errno != EAGAIN && errno != EINTR)
		die("read signalfd");
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), sfd;
	sigset_t chld;

	if (sigemptyset(&chld) < 0 || sigaddset(&chld, SIGCHLD) < 0 ||
	    sigprocmask(SIG_BLOCK, &chld, NULL) < 0)
		die("sigprocmask");
	if ((sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		die("signalfd");
	serve_polling(lfd, sfd, drain, echo_and_exit);
}
