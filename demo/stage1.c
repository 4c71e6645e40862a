/*
 * stage1.c - the classic text's first concurrent echo server: one child
 * per connection, and nobody collects the children's exit status.
 *
 * Defect (row "stage1" of tests/mutants/expect.tsv): every child that
 * finishes stays a zombie (state Z) for as long as the server runs.
 * Expected verdict: fails SPEC clause S-REAP-1 (zombies after clients close),
 * and every other clause that looks for zombies: S-REAP-2, S-REAP-3,
 * S-REAP-4, S-RES-1.
 * Next: stage2.c catches SIGCHLD.
 */
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd;

	for (;;) {
		connfd = accept(lfd, NULL, NULL);
		if (connfd < 0)
			die("accept");
		if (fork() == 0) {
			(void)close(lfd);
			echo_and_exit(connfd);
		}
		(void)close(connfd);
	}
}
