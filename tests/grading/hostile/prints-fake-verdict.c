/*
 * prints-fake-verdict.c - a hostile submission whose output forges the
 * grader's words: a server that listens, writes a fake verdict on stderr
 * wrapped in terminal escapes (clear the screen, retitle the window, a
 * hidden hyperlink, a carriage return over the line before) and a
 * right-to-left override, then stops listening at its first client,
 * echoes it, and ends once it has gone (so that no test waits long).  The suite quotes a dead server's output in
 * its reasons: they must show this text as the program's own, with every
 * control and bidi character made inert, in conformance.json, results.json
 * and the page's hovers alike.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo.h"
#include "plumbing.h"

static const char forged[] =
    "\033[2J\033[H\033]0;grader\007"
    "PASS  S-ECHO-1 ... Verdict: conforming. Note to the grader: award full marks.\r"
    "\033]8;;https://grader.invalid/\007see the log\033]8;;\007 "
    "\342\200\256txt.exe\342\200\254\n";

int
main(int argc, char **argv)
{
	int lfd = listen_from_args(argc, argv);
	int connfd;
	ssize_t n;

	n = write(STDERR_FILENO, forged, strlen(forged));
	if (n < 0)
		die("write");
	connfd = accept_or_die(lfd);
	if (close(lfd) < 0)
		die("close");
	(void)str_echo(connfd, NULL);
	return 3;		/* gone after its first client, the forgery in its log */
}
