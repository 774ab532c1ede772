"""Run the test inputs (a pose PUB and a state PUB, :class:`tests.cluster.helpers.Inputs`) as a process, for tests
that need them inside a network namespace.

    python -m tests.cluster.feed --bind 10.231.4.1

Prints ``feed: pose ENDPOINT state ENDPOINT`` on stderr, then runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from tests.cluster.helpers import Inputs


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bind", default="127.0.0.1")
    args = parser.parse_args()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    inputs = Inputs(bind=args.bind)
    print(f"feed: pose {inputs.pose_endpoint} state {inputs.state_endpoint}", file=sys.stderr, flush=True)
    done.wait()
    inputs.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
