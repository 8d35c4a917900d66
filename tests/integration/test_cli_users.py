"""User administration from the command line: rotate a token, deactivate a
user, set a supervisor. Each is audited; a refused change writes nothing."""

from __future__ import annotations

import hashlib

from click.testing import CliRunner

from omd_gov.cli import main
from tests.integration.test_cli import TOKEN, _scalar, ready_db  # noqa: F401  (fixture)


def _create(runner: CliRunner, email: str, role: str = "legal_officer") -> str:
    done = runner.invoke(
        main, ["users", "create", "--email", email, "--name", email, "--role", role]
    )
    assert done.exit_code == 0, done.output
    return done.stdout.strip().splitlines()[-1]


def _token_hash(env: dict[str, str], email: str) -> str:
    return str(_scalar(env, "SELECT token_hash FROM users WHERE email = :e", e=email))


def test_rotate_token_replaces_the_old_one(ready_db: dict[str, str]) -> None:  # noqa: F811
    runner = CliRunner(env=ready_db)
    old = _create(runner, "rotate@city.example")
    done = runner.invoke(main, ["users", "rotate-token", "--email", "rotate@city.example"])
    assert done.exit_code == 0, done.output
    new = done.stdout.strip().splitlines()[-1]
    assert TOKEN.match(new) and new != old
    assert _token_hash(ready_db, "rotate@city.example") == hashlib.sha256(new.encode()).hexdigest()
    events = "SELECT count(*) FROM audit_events WHERE action = 'rotate_token'"
    assert _scalar(ready_db, events) == 1


def test_deactivate_and_set_supervisor(ready_db: dict[str, str]) -> None:  # noqa: F811
    runner = CliRunner(env=ready_db)
    _create(runner, "officer@city.example")
    _create(runner, "head@city.example")
    done = runner.invoke(
        main,
        [
            "users",
            "set-supervisor",
            "--email",
            "officer@city.example",
            "--supervisor",
            "head@city.example",
        ],
    )
    assert done.exit_code == 0, done.output
    supervisor = _scalar(
        ready_db,
        "SELECT s.email FROM users u JOIN users s ON s.id = u.supervisor_id WHERE u.email = :e",
        e="officer@city.example",
    )
    assert supervisor == "head@city.example"
    assert (
        runner.invoke(main, ["users", "deactivate", "--email", "head@city.example"]).exit_code == 0
    )
    assert _scalar(ready_db, "SELECT active FROM users WHERE email = 'head@city.example'") in (
        0,
        False,
    )


def test_refusals_write_nothing(ready_db: dict[str, str]) -> None:  # noqa: F811
    runner = CliRunner(env=ready_db)
    _create(runner, "self@city.example")
    before = _scalar(ready_db, "SELECT count(*) FROM audit_events")
    for args, message in [
        (["rotate-token", "--email", "nobody@city.example"], "no user"),
        (
            ["set-supervisor", "--email", "self@city.example", "--supervisor", "self@city.example"],
            "themselves",
        ),
    ]:
        done = runner.invoke(main, ["users", *args])
        assert done.exit_code == 1 and message in done.stderr
    assert _scalar(ready_db, "SELECT count(*) FROM audit_events") == before
