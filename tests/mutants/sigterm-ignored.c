/*
 * sigterm-ignored.c - ignores SIGTERM.
 *
 * Defect: `kill PID` does not stop it; only SIGKILL does.
 * Expected: fails SPEC clause S-LIFE-1 (exits promptly on SIGTERM); the
 * clauses about what follows the stop cannot be judged (S-LIFE-2, S-LIFE-3,
 * S-LIFE-4, S-LIFE-5) and the clean exit of S-LIFE-6 never comes; nor does
 * SIGTERM to its whole process group end it (S-LIFE-7).
 */
#include <signal.h>

#include "plumbing.h"
#include "reap.h"

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv);

	if (set_handler(SIGTERM, SIG_IGN) < 0)	/* DEFECT */
		die("sigaction");
	serve_forever(lfd, reap_all, echo_and_exit);
}
