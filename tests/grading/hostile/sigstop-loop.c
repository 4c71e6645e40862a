/*
 * sigstop-loop.c - a hostile submission: leaves behind a process that
 * sends SIGSTOP to every process it may signal, without end, and never
 * listens.  The grader's helper must not be one of them: it once took the
 * submission's uid as its real uid to kill the submission's processes, was
 * stopped, and the submission ran out the whole wall clock.
 */
#include <signal.h>
#include <unistd.h>

int
main(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		(void)setsid();
		for (;;)
			(void)kill(-1, SIGSTOP);	/* EPERM or ESRCH: go on */
	}
	for (;;)
		(void)pause();
}
