"""An echo server as a Python user would write it: socketserver.ForkingTCPServer.

usage: forking_echo.py PORT   (listens on 127.0.0.1)

Only what holding many connections needs differs from the defaults:
ForkingMixIn stops accepting at max_children (40) live children, and the
benchmark holds a thousand.
"""
import socketserver
import sys


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(65536):
            self.request.sendall(data)


class Server(socketserver.ForkingTCPServer):
    allow_reuse_address = True
    max_children = 100_000


def main():
    with Server(("127.0.0.1", int(sys.argv[1])), Echo) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
