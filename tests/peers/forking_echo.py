#!/usr/bin/env python3
"""An echo server built the textbook way on Python's socketserver: one
forked child per connection (ForkingTCPServer), reaped by the library.
Usage: forking_echo.py PORT.  A correct peer for the conformance suite."""

import socketserver
import sys


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(65536):
            self.request.sendall(data)


class Server(socketserver.ForkingTCPServer):
    allow_reuse_address = True


if __name__ == "__main__":
    with Server(("127.0.0.1", int(sys.argv[1])), Echo) as server:
        server.serve_forever()
