"""``crawler fakeoutlets serve``: run the fake outlets on loopback for crawls and demos.

``crawler fakeoutlets serve [--port 8081] [--articles N]`` serves every fake outlet until
Ctrl-C and prints the ``ARCHIVE_MIRRORS`` JSON that routes a crawl to it.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

from crawler.commands import Command
from crawler.fakeoutlets.corpus import DEFAULT_ARTICLES, MAX_ARTICLES, Corpus
from crawler.fakeoutlets.server import FakeOutletServer

if TYPE_CHECKING:
    import argparse

    from scrapy.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``serve`` with ``--host``, ``--port``, ``--articles``, ``--seed`` and ``--now``."""
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    serve = actions.add_parser("serve", help="serve the fake outlets until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=8081, help="port (0 picks a free one)")
    serve.add_argument(
        "--articles",
        type=int,
        default=DEFAULT_ARTICLES,
        help=f"synthetic articles per outlet (0..{MAX_ARTICLES}, default {DEFAULT_ARTICLES})",
    )
    serve.add_argument("--seed", type=int, default=20260210, help="corpus seed")
    serve.add_argument(
        "--now", help="ISO time of the newest synthetic article (default: a fixed date)"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until Ctrl-C."""
    try:
        now = datetime.fromisoformat(args.now) if args.now else None
        corpus = Corpus(args.articles, seed=args.seed, now=now)
    except ValueError as exc:
        print(f"crawler fakeoutlets: {exc}", file=sys.stderr)
        return 2
    try:
        server = FakeOutletServer(corpus, args.host, args.port).start()
    except OSError as exc:
        print(
            f"crawler fakeoutlets: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    print(f"Serving {len(corpus.outlets)} fake outlets ({len(corpus)} articles) at {server.origin}")
    print("Crawl them with:")
    print(f"  crawler -s 'ARCHIVE_MIRRORS={server.mirrors_json}' crawl ...")
    print(f"ARCHIVE_MIRRORS={server.mirrors_json}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.stop()
    return 0


COMMAND = Command(
    name="fakeoutlets",
    help="serve the fake news outlets on loopback (for tests, demos and benchmarks)",
    add_arguments=add_arguments,
    run=run,
)
