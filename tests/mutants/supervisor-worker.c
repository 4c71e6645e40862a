/*
 * supervisor-worker.c - a correct echo server of another design: the
 * process started is a supervisor that forks one worker, forwards SIGTERM
 * to it and exits once it has ended; the worker accepts and forks a child
 * per connection, as the classic server does.  The listening socket is
 * the worker's alone.  `make mutants` requires it to pass.
 */
#include "plumbing.h"

static void
work(int lfd)
{
	serve_forever(lfd, reap_all, echo_and_exit);
}

int
main(int argc, char **argv)
{
	supervise(listen_from_args(argc, argv), 1, work);
}
