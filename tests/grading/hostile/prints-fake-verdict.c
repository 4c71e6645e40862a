/*
 * prints-fake-verdict.c - a hostile submission whose output forges the
 * grader's words: a server that listens, writes a fake verdict on stderr
 * wrapped in terminal escapes (clear the screen, retitle the window, a
 * hidden hyperlink, a carriage return over the line before) and a
 * right-to-left override, then ends at its first client.  The suite quotes
 * a dead server's output in its reasons: they must show this text as the
 * program's own, with every control and bidi character made inert, in
 * conformance.json, results.json and the page's hovers alike.
 */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
	ssize_t n;

	n = write(STDERR_FILENO, forged, strlen(forged));
	if (n < 0)
		die("write");
	(void)accept_or_die(lfd);
	return 3;		/* gone at the first client, with the forgery in its log */
}
