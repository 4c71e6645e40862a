/*
 * sigchld-ignored-server.c - a correct fork-per-connection server that sets
 * SIGCHLD to SIG_IGN, so that the kernel reaps its children (POSIX.1-2001)
 * and it needs no handler.  `make mutants` requires it to pass.
 */
#include <signal.h>

#include "plumbing.h"

int
main(int argc, char **argv)
{
	serve_forever(listen_from_args(argc, argv), SIG_IGN, echo_and_exit);
}
