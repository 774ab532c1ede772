"""``stage keys``: make (when missing) and show the CURVE keys that guard the control endpoint
(:mod:`stage.core.keys`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILURE = 0, 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="make (if missing) and show the CURVE keys of the control endpoint")
    p.add_argument("--keys", type=Path, metavar="DIR",
                   help="keys folder (default: $VPSTAGE_KEYS, else $XDG_CONFIG_HOME/vpstage/keys or "
                        "~/.config/vpstage/keys)")
    p.set_defaults(func=cmd_keys)


def cmd_keys(args: argparse.Namespace) -> int:
    from stage.core.keys import AUTHORIZED, CLIENT, SERVER, KeysError, default_dir, ensure_keys, key_paths, load_pair

    directory = args.keys or default_dir()
    try:
        made = ensure_keys(directory)
        server, client = load_pair(directory, SERVER), load_pair(directory, CLIENT)
    except KeysError as exc:
        print(f"stage keys: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"keys folder {directory} ({'made now' if made else 'already there'}; private to this user)")
    print(f"  server  {key_paths(directory, SERVER)[0].name:<12} {server.public.decode()}")
    print(f"  client  {key_paths(directory, CLIENT)[0].name:<12} {client.public.decode()}")
    authorized = sorted(p.name for p in (Path(directory) / AUTHORIZED).glob("*.key"))
    print(f"  authorized clients ({AUTHORIZED}/): {', '.join(authorized) or 'none'}")
    return EXIT_OK
