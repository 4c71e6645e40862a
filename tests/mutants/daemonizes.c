/*
 * daemonizes.c - detaches at start-up, as daemon(3) does: forks, and the
 * parent exits with status 0 while the child, in a session of its own,
 * serves.
 *
 * Defect: the process started is gone at once, so nothing can watch or
 * stop the server by its process (a service manager expects it in the
 * foreground), and it is a stranger's to end.
 * Expected: fails SPEC clause S-END-3 (the server runs in the
 * foreground); every other clause is then moot: its row judges S-END-3
 * and the smoke clause S-ECHO-1, which fails too since the server cannot
 * be started.
 */
#include <unistd.h>

#include "plumbing.h"

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv);
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid > 0)
		_exit(0);	/* DEFECT: the parent leaves, the orphan serves */
	if (setsid() < 0)
		die("setsid");
	serve_forever(lfd, reap_all, echo_and_exit);
}
