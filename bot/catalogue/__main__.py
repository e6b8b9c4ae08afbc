"""``python -m bot.catalogue import PATH [--dry-run] [--prune]`` on ``DATABASE_URL``.

Exit codes: 0 imported (or would be, with --dry-run), 2 the files have errors (every
error printed with its file and line; nothing written).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from bot.booking.db import database_url, engine_for, upgrade
from bot.catalogue.importer import ImportFailed, import_path, summary

INVALID = 2


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.catalogue",
                                     description="Load catalogue files into the database.")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("import", help="import a file or a folder of import files "
                                              "(knowledge_base/catalogue/README.md)")
    load.add_argument("path", type=Path)
    load.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    load.add_argument("--prune", action="store_true",
                      help="remove items the files no longer hold (booked ones are kept)")
    load.add_argument("--database-url", default=None, help="default: DATABASE_URL")
    args = parser.parse_args(argv)
    url = args.database_url or database_url()
    engine = engine_for(url)
    try:
        upgrade(engine=engine)
        report = import_path(args.path, engine, dry_run=args.dry_run, prune=args.prune)
    except ImportFailed as failure:
        for error in failure.report.errors:
            print(error, file=sys.stderr)
        print(f"{len(failure.report.errors)} error(s); nothing was imported.", file=sys.stderr)
        return INVALID
    finally:
        engine.dispose()
    for line in summary(report):
        print(line)
    for note in report.notes:
        print(note)
    if args.dry_run:
        print("dry run: nothing was written.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
