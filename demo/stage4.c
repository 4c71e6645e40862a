/*
 * stage4.c - stage3 with the handler the classic text ends with: waitpid()
 * in a loop, with WNOHANG, until no finished child is left.
 *
 * No known defect: one signal may stand for many exits, and the loop
 * collects them all; WNOHANG returns 0 instead of blocking when the
 * children left are still running.  The reference server (src/) has the
 * same handler (reap_children() in reap.c).
 * Expected verdict: passes the suite.
 */
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

/* The text's final handler: collect every finished child, never block. */
static void
sig_chld(int signo)
{
	int saved_errno = errno;
	pid_t pid;

	(void)signo;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		say_terminated(pid);
	errno = saved_errno;
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd;

	if (set_handler(SIGCHLD, sig_chld) < 0)
		die("sigaction");
	for (;;) {
		connfd = accept(lfd, NULL, NULL);
		if (connfd < 0) {
			if (errno == EINTR)
				continue;	/* a handler ran: wait for the next connection */
			die("accept");
		}
		if (fork() == 0) {
			(void)close(lfd);
			echo_and_exit(connfd);
		}
		(void)close(connfd);
	}
}
