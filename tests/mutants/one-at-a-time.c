/*
 * one-at-a-time.c - an iterative server: serves each connection itself.
 *
 * Defect: no fork, so while one client is connected every other one waits.
 * Expected: fails SPEC clause S-CONC-1 (many clients served at once).
 */
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd;

	for (;;) {
		connfd = accept_or_die(lfd);
		(void)str_echo(connfd, NULL);	/* DEFECT: in the parent, not a child */
		(void)close(connfd);
	}
}
