/*
 * stage2.c - stage1 plus a SIGCHLD handler that calls wait() once, as the
 * classic text writes it first.  The handler is installed without
 * SA_RESTART (set_handler() in reap.h), so a signal that arrives while the
 * server sits in accept() makes accept() fail with EINTR.
 *
 * Defect (row "stage2" of tests/mutants/expect.tsv): the accept loop treats
 * EINTR as fatal, so the server exits the first time one of its children
 * does.
 * Expected verdict: fails SPEC clause S-SIG-1 (a SIGCHLD does not stop it accepting).
 * Next: stage3.c retries accept() after EINTR.
 */
#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

/* The text's first handler: one wait() for each signal it is handed. */
static void
sig_chld(int signo)
{
	int saved_errno = errno;
	pid_t pid;

	(void)signo;
	pid = wait(NULL);
	if (pid > 0)	/* -1 when the signal came with no child to wait for */
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
		if (connfd < 0)
			die("accept");
		if (fork() == 0) {
			(void)close(lfd);
			echo_and_exit(connfd);
		}
		(void)close(connfd);
	}
}
