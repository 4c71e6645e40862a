/*
 * prefork-child-holds-listener.c - three prefork workers, as
 * prefork-fork.c, but each child a worker forks for a connection keeps
 * the listening socket open.
 *
 * Defect: the workers may hold the listening socket (they accept), the
 * children started for connections must not: while any of them lives the
 * port stays taken, after the workers and the supervisor are gone.
 * Expected: fails SPEC clause S-FD-2 (no process started for a connection
 * holds the listening socket), and so S-LIFE-3 (the port cannot be bound
 * again while a child lives).
 */
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

static void
work(int lfd)
{
	int connfd;

	if (set_handler(SIGCHLD, reap_all) < 0)
		die("sigaction");
	for (;;) {
		connfd = accept_or_die(lfd);
		if (fork() == 0)
			echo_and_exit(connfd);	/* DEFECT: without close(lfd) first */
		(void)close(connfd);
	}
}

int
main(int argc, char **argv)
{
	supervise(listen_from_args(argc, argv), 3, work);
}
