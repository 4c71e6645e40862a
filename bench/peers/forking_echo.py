"""The suite's Python peer (tests/peers/forking_echo.py, a ForkingTCPServer)
with the one limit lifted that holding a thousand connections needs:
ForkingMixIn stops accepting at max_children (40) live children.

usage: forking_echo.py PORT   (listens on 127.0.0.1)
"""
import importlib.util
import os
import sys

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "..", "..", "tests", "peers", "forking_echo.py")


def main():
    spec = importlib.util.spec_from_file_location("forking_echo", PEER)
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    peer.Server.max_children = 100_000
    with peer.Server(("127.0.0.1", int(sys.argv[1])), peer.Echo) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
