/*
 * plumbing-server.c - the shared plumbing with no defect: a correct
 * fork-per-connection server.  `make mutants` requires it to pass, which
 * shows that every server mutant fails for its own defect and nothing else.
 */
#include "plumbing.h"

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), reap_all, echo_and_exit);
}
