/*
 * gcov-exit.c - linked into `make coverage`'s build only, never a shipped
 * one: writes a process's coverage counts where gcov alone would lose them.
 *
 * gcov writes its counts from an exit() handler.  The server's children
 * end with _exit() (their stdio buffers belong to the parent), which skips
 * it, so -Wl,--wrap=_exit sends them here first: without this, the code
 * only children run (the echo loop) would show as never run.  And the
 * reference tests end a server with SIGKILL, which nothing can catch: the
 * server's parent writes its counts each time it goes back to waiting for
 * a connection instead (--wrap=pselect and ppoll, whichever it uses), then
 * starts again from zero, so nothing is counted twice (children forked
 * later no longer carry the parent's counts either).
 * __gcov_dump() is not async-signal-safe: _exit() is called from no
 * handler in src/.
 */
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

void __gcov_dump(void);
void __gcov_reset(void);

void __real__exit(int status);
void __wrap__exit(int status);
int __real_pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
    const sigset_t *mask);
int __wrap_pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
    const sigset_t *mask);
int __real_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask);
int __wrap_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask);

void
__wrap__exit(int status)
{
	__gcov_dump();
	__real__exit(status);
}

/*
 * gcov needs a descriptor to open its file, and tests/reference runs the
 * server at its descriptor limit: the counts then stay in memory for a
 * later turn (or for exit), rather than be dropped by the reset.
 */
static void
write_counts(void)
{
	int fd = dup(STDERR_FILENO);

	if (fd < 0)
		return;
	(void)close(fd);
	__gcov_dump();
	__gcov_reset();
}

int
__wrap_pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
    const sigset_t *mask)
{
	write_counts();
	return __real_pselect(n, r, w, e, t, mask);
}

int
__wrap_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask)
{
	write_counts();
	return __real_ppoll(fds, n, t, mask);
}
