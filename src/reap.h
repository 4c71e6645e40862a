/*
 * reap.h - the parent's book of live children, and the SIGCHLD handler
 * that collects their exit status.
 */
#ifndef REAP_H
#define REAP_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * children_init: room for max live children.  Call once, before any fork.
 * Returns 0, or -1 with errno set (ENOMEM).
 */
int children_init(size_t max);

/*
 * children_add: record a child just forked.  Call with SIGCHLD blocked
 * from before the fork, so the handler cannot reap the child before it is
 * recorded.  Returns 0, or -1 with errno set to EAGAIN when the book is full.
 */
int children_add(pid_t pid);

/* children_live: how many recorded children are not reaped yet. */
size_t children_live(void);

/*
 * children_signal: send signo to every recorded live child.  Call with
 * SIGCHLD blocked, so no pid is reaped (and perhaps reused by an unrelated
 * process) between reading it and signalling it.
 */
void children_signal(int signo);

/*
 * reap_children: the SIGCHLD handler.  Calls waitpid(-1, &status, WNOHANG)
 * until it returns 0 (children left, none finished) or -1 (no children),
 * because signals do not queue: one SIGCHLD may stand for many exits.
 * Crosses each reaped pid off the book, if children_init() made one.
 * Async-signal-safe; leaves errno as it found it; never blocks.
 */
void reap_children(int signo);

/*
 * set_handler: install fn for signo with sigaction(), without SA_RESTART
 * (so a wait the handler interrupts returns EINTR on every system, see
 * reap.c), and with every signal blocked while fn runs.
 * Returns 0, or -1 with errno set.
 */
int set_handler(int signo, void (*fn)(int));

#endif
