/*
 * stage3.c - stage2 with accept() retried after EINTR, so a handler running
 * while the server waits for a connection no longer kills it.
 *
 * Defect (row "stage3" of tests/mutants/expect.tsv): the handler still
 * calls wait() once per signal.  Signals of one kind do not queue: when five
 * children end at the same moment the handler may run once or twice, and
 * the rest stay zombies.  And wait() blocks while only live children are
 * left, so a stray SIGCHLD freezes the server inside its handler.
 * Expected verdict: fails SPEC clause S-REAP-2 (zombies after simultaneous closes),
 * and for the blocking wait(), S-SIG-3 (back to accepting after SIGCHLD);
 * in most runs also S-REAP-3, S-REAP-4 and S-RES-1, whenever the scheduler
 * bunches the exits those clauses cause and signals are lost there too.
 * Next: stage4.c loops waitpid() with WNOHANG.
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
