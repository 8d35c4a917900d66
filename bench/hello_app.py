"""The baseline: a Flask hello-world, served exactly like ``omd-gov serve``.

It goes through the same ``omd_gov.wsgi_server.run`` (gunicorn, same worker
class, access log and hooks), so the ratio against it measures the
application's own cost, not a different server. That runner's ``post_fork``
disposes the SQLAlchemy engine, so the app registers an (unused) in-memory
one.

    python -m bench.hello_app --port 8001 --workers 2
"""

from __future__ import annotations

import argparse

from flask import Flask

from omd_gov.db import db
from omd_gov.wsgi_server import run


def create_hello_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"  # never queried; see the docstring
    app.config["OMD_LOG_FORMAT"] = "json"  # the runner's access log, as the app's default
    db.init_app(app)

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    run(create_hello_app(), args.host, args.port, args.workers, args.threads)


if __name__ == "__main__":
    main()
