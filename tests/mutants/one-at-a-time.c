/*
 * one-at-a-time.c - an iterative server: serves each connection itself.
 *
 * Defect: no fork, so while one client is connected every other one waits.
 * Expected: fails SPEC clause S-CONC-1 (many clients served at once), and
 * every clause whose test needs two connections served at once: S-CONC-2,
 * S-CONC-3, S-CONC-4, S-FD-2, S-FD-3, S-IDLE-1, S-LIFE-2, S-LIFE-4,
 * S-LIFE-5, S-REAP-2, S-REAP-3, S-REAP-4, S-REAP-5, S-RES-3, S-SIG-2,
 * S-SIG-3, S-EXH-2, S-LIFE-7, S-DRIFT-1 (S-DRIFT-2, judged on the same
 * rounds, is then not judged).  (S-RES-1 it passes: connections reset before it reads them
 * cost it one accept and one read each, one after another.)
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
