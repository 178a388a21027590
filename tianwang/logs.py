"""Log lines: one format for every room, the chatty libraries turned down."""

import logging

QUIET = ("amqtt", "transitions", "aiosqlite", "httpx", "httpcore", "asyncio", "alembic", "uvicorn")


def configure_logging(level: str = "INFO") -> None:
    """Timestamped lines on stderr: ``time level logger: message``."""
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        force=True,
    )
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
