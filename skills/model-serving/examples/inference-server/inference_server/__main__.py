"""python -m inference_server [--host H] [--port P] [...]: serve the models with uvicorn.

Exit codes: 0 after a clean shutdown, 2 on bad arguments (one line ``error: ...``, never a
traceback; checked before any model loads). The API key is read from an environment
variable (``--api-key-env``), not the command line, where ``ps`` would show it.
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input: printed as one line, exit 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line and exit 2 (no usage block)."""

    def error(self, message: str):
        raise UsageError(message)


def build_parser() -> Parser:
    parser = Parser(prog="python -m inference_server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (8000)")
    parser.add_argument(
        "--max-batch-size", type=int, default=8, help="sequences decoded together (8)"
    )
    parser.add_argument("--embedding-batch-size", type=int, default=32, help="texts per call (32)")
    parser.add_argument(
        "--embedding-max-wait-ms", type=float, default=5.0, help="batch collection window (5.0)"
    )
    parser.add_argument(
        "--api-key-env", metavar="NAME", help="environment variable holding the API key to require"
    )
    return parser


def parse_settings(argv: list[str] | None):
    """The arguments checked and turned into (Settings, host, port), or UsageError."""
    args = build_parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, got {args.port}")
    for flag, value in (
        ("--max-batch-size", args.max_batch_size),
        ("--embedding-batch-size", args.embedding_batch_size),
    ):
        if value < 1:
            raise UsageError(f"{flag} must be at least 1, got {value}")
    if args.embedding_max_wait_ms < 0:
        raise UsageError(
            f"--embedding-max-wait-ms must be 0 or more, got {args.embedding_max_wait_ms}"
        )
    api_key = None
    if args.api_key_env is not None:
        api_key = os.environ.get(args.api_key_env, "")
        if not api_key:
            raise UsageError(
                f"--api-key-env: environment variable {args.api_key_env} is unset or empty"
            )
    from inference_server.app import Settings

    settings = Settings(
        max_batch_size=args.max_batch_size,
        embedding_batch_size=args.embedding_batch_size,
        embedding_max_wait_ms=args.embedding_max_wait_ms,
        api_key=api_key,
    )
    return settings, args.host, args.port


def main(argv: list[str] | None = None) -> int:
    try:
        settings, host, port = parse_settings(argv)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    import uvicorn

    from inference_server.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
