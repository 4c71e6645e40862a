/*
 * spins-after-idle.c - a fork-per-connection server that wakes up from
 * poll() for housekeeping 10 s after its last client.
 *
 * Defect: poll()'s timeout is the time left until that moment, and once
 * the moment has passed it is never moved on: the timeout stays 0, and
 * the server burns a whole CPU from 10 s after its last client until the
 * next.  It serves on, and every test of a few seconds sees it asleep.
 * Expected: fails SPEC clause S-TIME-2 (a server alone for a long
 * silence still sleeps).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "plumbing.h"
#include "reap.h"

#define HOUSEKEEPING_MS 10000L

static long
now_ms(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_MONOTONIC, &t) < 0)
		die("clock_gettime");
	return (long)t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

int
main(int argc, char **argv)
{
	struct pollfd pfd = { listen_from_args(argc, argv), POLLIN, 0 };
	long due = now_ms() + HOUSEKEEPING_MS, left;
	int connfd;

	if (set_nonblocking(pfd.fd) < 0 || set_handler(SIGCHLD, reap_all) < 0)
		die("setup");
	for (;;) {
		/* DEFECT: past due, nothing sets due = now_ms() + HOUSEKEEPING_MS */
		left = due - now_ms();
		if (poll(&pfd, 1, left > 0 ? (int)left : 0) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if ((pfd.revents & POLLIN) && (connfd = accept_if_any(pfd.fd)) >= 0) {
			if (spawn(pfd.fd, connfd, echo_and_exit) < 0)
				report_error("fork");
			(void)close(connfd);
			due = now_ms() + HOUSEKEEPING_MS;
		}
	}
}
