/*
 * keeps-listener.c - each child keeps the listening socket open.
 *
 * Defect: a child that inherits the listening socket keeps the port bound
 * after the parent is gone, and could accept connections meant for the
 * parent.
 * Expected: fails SPEC clause S-FD-2 (no child holds the listening socket),
 * and so S-LIFE-3 (the port cannot be bound again while a child lives).
 */
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd;

	if (set_handler(SIGCHLD, reap_all) < 0)
		die("sigaction");
	for (;;) {
		connfd = accept_or_die(lfd);
		if (fork() == 0)
			echo_and_exit(connfd);	/* DEFECT: without close(lfd) first */
		(void)close(connfd);
	}
}
