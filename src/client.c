/*
 * client.c - echo-client: standard input to an echo server, its echo to
 * standard output.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "echo.h"
#include "net.h"
#include "opt.h"

static void
usage(FILE *to)
{
	(void)fprintf(to,
	    "usage: echo-client [-n connections] host [port]\n"
	    "  -n connections  open this many at once, echo over the first, and\n"
	    "                  close them all together at exit (default 1)\n"
	    "  port            default " DEFAULT_PORT "\n"
	    "  -h, --help      this text;  -V, --version  the version\n");
}

/* Closes the first n of fds and frees them; exits if a close fails. */
static void
close_all(int *fds, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (close(fds[i]) < 0)
			err(1, "close");
	free(fds);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *host, *port = DEFAULT_PORT;
	long nconn = 1, i;
	int c, gaierr, saved_errno, *fds;
	enum cli_status status;

	while ((c = getopt_long(argc, argv, "hn:V", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_number(optarg, 1, 1000, &nconn) < 0) {
				warnx("-n wants a number from 1 to 1000, not \"%s\"", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': (void)printf("echo-client %s\n", ECHO_KIT_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		warnx(argc - optind < 1 ? "no host given" : "too many arguments");
		usage(stderr);
		return 2;
	}
	host = argv[optind];
	if (argc - optind == 2)
		port = argv[optind + 1];
	/* getaddrinfo() would take 99999 and quietly wrap it to 34463. */
	if (parse_number(port, 1, 65535, &i) < 0) {
		warnx("port wants a number from 1 to 65535, not \"%s\"", port);
		usage(stderr);
		return 2;
	}

	/* A write to a server that has gone must fail with EPIPE, not kill us. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		err(1, "signal");

	fds = calloc((size_t)nconn, sizeof *fds);
	if (fds == NULL)
		err(1, "calloc");
	for (i = 0; i < nconn; i++) {
		fds[i] = tcp_connect(host, port, &gaierr);
		if (fds[i] < 0)
			break;
	}
	if (i < nconn) {
		saved_errno = errno;
		close_all(fds, i);
		if (gaierr != 0)
			errx(1, "%s port %s: %s", host, port, gai_strerror(gaierr));
		errno = saved_errno;
		err(1, "connect to %s port %s", host, port);
	}

	status = str_cli(STDIN_FILENO, STDOUT_FILENO, fds[0]);
	saved_errno = errno;
	/*
	 * All at once, so that the server's children end at the same moment;
	 * and before the error exits too, so that no descriptor outlives its
	 * use on any path (valgrind --track-fds holds us to that).
	 */
	close_all(fds, nconn);

	errno = saved_errno;
	switch (status) {
	case CLI_OK:
		break;
	case CLI_PREMATURE:
		errx(1, "server terminated prematurely");
	case CLI_NET_ERROR:
		if (errno == ECONNRESET || errno == EPIPE)
			err(1, "server terminated prematurely");
		err(1, "connection to %s port %s", host, port);
	case CLI_IO_ERROR:
		err(1, "standard input or output");
	}
	return 0;
}
