"""python3 -m echo_conformance: the echo-conformance command."""

import sys

from echo_conformance.cli import main

sys.exit(main())
