/*
 * unjoined-threads.c - a thread per connection, as thread-server.c, but
 * the threads are created joinable and never joined.
 *
 * Defect: a joinable thread that ends is gone from /proc/PID/task, but
 * its stack (8 MiB of address space, its guard page, the pages it
 * touched) stays mapped until someone joins it: the mappings and the
 * memory grow with every connection, until mmap() or the map count limit
 * fails pthread_create().
 * Expected: fails SPEC clause S-DRIFT-2 (memory mappings accumulate) and
 * S-END-2 (resident memory grows with the connections).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

static void *
serve(void *arg)
{
	int connfd = (int)(intptr_t)arg;

	(void)str_echo(connfd, NULL);
	(void)close(connfd);
	return NULL;
}

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv), connfd, e;
	pthread_t thread;

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		die("signal");
	for (;;) {
		connfd = accept_or_die(lfd);
		/* DEFECT: joinable, and never joined nor detached */
		e = pthread_create(&thread, NULL, serve, (void *)(intptr_t)connfd);
		if (e != 0) {
			errno = e;
			(void)report_error("pthread_create");
			(void)close(connfd);
		}
	}
}
