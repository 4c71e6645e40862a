/*
 * double-fork-immortal.c - serves each connection in a grandchild (double
 * fork), and that grandchild outlives its connection.
 *
 * Defect: after the client's EOF the grandchild closes the socket (so the
 * echo is right) but never exits.  It is not the server's child, so
 * counting the server's children does not see it: the clauses must count
 * every process the program leaves behind.
 * Expected: fails SPEC clauses S-REAP-5 (no child outlives its connection),
 * S-LIFE-5 (no process outlives its connection after SIGTERM), S-RES-1
 * (thousands of resets), S-END-1 (thousands of sequential connections),
 * S-DRIFT-1 (rounds of clients, each round's processes ending with it;
 * S-DRIFT-2, judged on the same rounds, is then not judged).
 */
#include "plumbing.h"

static void
hand_over(int connfd)
{
	double_fork(connfd, echo_then_hang);	/* DEFECT: instead of echo_and_exit */
}

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, hand_over);
}
