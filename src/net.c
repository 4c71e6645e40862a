/*
 * net.c - sockets: listen, connect, accept, and printing addresses.
 */
/* accept4() and SOCK_CLOEXEC: Linux and the BSDs, and POSIX.1-2024. */
#define _GNU_SOURCE

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

/* What to do with each address getaddrinfo() offers. */
enum use { USE_LISTEN, USE_CONNECT };

static int
try_address(const struct addrinfo *ai, enum use use, int backlog)
{
	int fd, saved, on = 1, off = 0;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (use == USE_CONNECT) {
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return fd;
		goto fail;
	}
	/* Lets a restarted server bind at once while old connections sit in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
		goto fail;
	/* "::" then takes IPv4 too, whatever the system default says. */
	if (ai->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off) < 0)
		goto fail;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
		return fd;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

static int
open_socket(const char *host, const char *port, enum use use, int backlog, int *gaierr)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, saved = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = use == USE_LISTEN ? AI_PASSIVE : 0;
	*gaierr = getaddrinfo(host, port, &hints, &res);
	if (*gaierr != 0) {
		/* EAI_SYSTEM means errno holds the real reason. */
		if (*gaierr == EAI_SYSTEM)
			*gaierr = 0;
		return -1;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = try_address(ai, use, backlog);
		if (fd < 0)
			saved = errno;
	}
	freeaddrinfo(res);
	if (fd < 0)
		errno = saved;
	return fd;
}

int
tcp_listen(const char *host, const char *port, int backlog, int *gaierr)
{
	return open_socket(host, port, USE_LISTEN, backlog, gaierr);
}

int
tcp_connect(const char *host, const char *port, int *gaierr)
{
	return open_socket(host, port, USE_CONNECT, 0, gaierr);
}

/*
 * accept(2) hands over errors of connections that died in the queue; they
 * concern that connection only, and the next accept() may well succeed.
 * Linux's page lists EOPNOTSUPP among them too, but it is also the error of
 * a socket that can never accept: retrying it could spin forever.
 */
static int
accept_transient_error(int err)
{
	switch (err) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
	case ENETDOWN:
	case ENETUNREACH:
	case EHOSTDOWN:
	case EHOSTUNREACH:
	case ENOPROTOOPT:
#ifdef ENONET
	case ENONET:
#endif
		return 1;
	default:
		return 0;
	}
}

int
accept_retry(int lfd)
{
	int fd;

	do
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && accept_transient_error(errno));
	return fd;
}

int
accept_resource_error(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

int
sockaddr_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len)
{
	char host[NI_MAXHOST], serv[NI_MAXSERV];
	int n;

	if (getnameinfo(sa, salen, host, sizeof host, serv, sizeof serv,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		goto unknown;
	n = snprintf(buf, len, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
	    host, serv);
	if (n < 0 || (size_t)n >= len)
		goto unknown;
	return 0;
unknown:
	(void)snprintf(buf, len, "?");
	return -1;
}

/* getsockname and getpeername share one signature. */
typedef int (*name_fn)(int, struct sockaddr *, socklen_t *);

static int
format_name(int fd, name_fn fn, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;

	if (fn(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		(void)snprintf(buf, len, "?");
		return -1;
	}
	return sockaddr_format((struct sockaddr *)&ss, sslen, buf, len);
}

int
local_name(int fd, char *buf, size_t len)
{
	return format_name(fd, getsockname, buf, len);
}

int
peer_name(int fd, char *buf, size_t len)
{
	return format_name(fd, getpeername, buf, len);
}
