/*
 * lingering-child.c - a child that outlives its connection.
 *
 * Defect: after the client's EOF the child closes the socket (so the echo
 * itself is right) but never exits; children pile up.
 * Expected: fails SPEC clause S-REAP-5 (number of children returns to baseline),
 * and the other clauses where no process may outlive its connection:
 * S-LIFE-5 (after SIGTERM), S-RES-1 (thousands of resets), S-END-1
 * (thousands of sequential connections), S-DRIFT-1 (rounds of clients,
 * each round's processes ending with it; S-DRIFT-2, judged on the same
 * rounds, is then not judged).
 */
#include "plumbing.h"

int
main(int argc, char **argv)
{
	/* DEFECT: echo_then_hang() instead of echo_and_exit() */
	serve_forever(listen_from_args(argc, argv), reap_all, echo_then_hang);
}
