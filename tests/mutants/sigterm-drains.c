/*
 * sigterm-drains.c - treats SIGTERM as "stop once the last client is gone".
 *
 * Defect: while any connection is open SIGTERM changes nothing; the server
 * exits (status 0) only when its last child ends, which a silent client
 * may put off for ever.  It looks right when tried while idle.
 * Expected: fails SPEC clause S-LIFE-1 (SIGTERM stops the server within T);
 * the other clauses that send SIGTERM while a client is connected cannot
 * be judged (S-LIFE-2, S-LIFE-3, S-LIFE-4, S-LIFE-5), and S-LIFE-6 (a clean
 * exit) fails with them.
 */
#include <signal.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

static volatile sig_atomic_t draining;

/* Both signals come here; set_handler() blocks each while the other runs. */
static void
reap_or_finish(int signo)
{
	if (signo == SIGTERM)
		draining = 1;	/* DEFECT: instead of stopping now */
	if (!children_left() && draining)
		_exit(0);
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv);

	if (set_handler(SIGTERM, reap_or_finish) < 0)
		die("sigaction");
	serve_forever(lfd, reap_or_finish, echo_and_exit);
}
