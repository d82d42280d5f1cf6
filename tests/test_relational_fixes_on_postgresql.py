"""databases-relational claims that only a real PostgreSQL can prove or refute.

The skill folder runs on SQLite and cannot use the course's fixtures, so what needs
locks, deadlock detection, concurrent index builds, transactional DDL or multi-statement
queries is tested here, on the throwaway server of ``postgres_url`` (tests/conftest.py).
The example's package is imported from its folder and the migration guide's revisions
are read out of the guide, not copied, so these tests hold the shipped text to its word.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command, op
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from backend_skills.examples import example_dir

SHOP_DIR = example_dir("databases-relational", "python-sqlalchemy")
MIGRATION_GUIDE = SHOP_DIR.parents[1] / "references" / "migration-patterns.md"
MIGRATION_MARKER = "# migration-revisions:"
if str(SHOP_DIR) not in sys.path:
    sys.path.insert(0, str(SHOP_DIR))

from shop_db import repository as repo  # noqa: E402
from shop_db.db import make_engine, make_session_factory  # noqa: E402
from shop_db.models import Base, Order, Product  # noqa: E402

WAIT_SECONDS = 20  # a generous ceiling on any wait; the happy path takes milliseconds


# --- place_order: row locks in one global order ----------------------------------------


class FirstLockRendezvous:
    """Hold each thread after its first product UPDATE until the other thread has either
    taken its own first lock or is queued behind ours in PostgreSQL.

    Both outcomes are observed, not slept for: "taken" is an Event set by the other
    thread's hook, "queued" is that thread's backend showing ``wait_event_type = 'Lock'``
    in pg_stat_activity. With opposite lock orders both threads then hold one row each,
    which is the textbook deadlock; with one global order the second thread queues on the
    first row and the first thread runs on.
    """

    def __init__(self, engine: sa.Engine, monitor: sa.Engine) -> None:
        self.monitor = monitor
        self.pids: dict[int, int] = {}  # thread ident -> backend pid
        self.holding: dict[int, threading.Event] = {}
        self.local = threading.local()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def register(self) -> None:
        self.holding[threading.get_ident()] = threading.Event()

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.pids[threading.get_ident()] = cursor.connection.info.backend_pid

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not statement.startswith("UPDATE products") or getattr(self.local, "done", False):
            return
        self.local.done = True
        me = threading.get_ident()
        self.holding[me].set()
        (other,) = [ident for ident in self.holding if ident != me]
        deadline = time.monotonic() + WAIT_SECONDS
        while not self.holding[other].is_set() and not self._waits_on_a_lock(other):
            assert time.monotonic() < deadline, "the other order neither locked nor queued"
            time.sleep(0.01)

    def _waits_on_a_lock(self, ident: int) -> bool:
        pid = self.pids.get(ident)
        if pid is None:
            return False
        with self.monitor.connect() as conn:
            waiting = conn.scalar(
                sa.text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": pid},
            )
        return waiting == "Lock"


PlaceOrder = Callable[[Session, int, list[repo.OrderLine]], Any]


def _two_orders_at_once(
    postgres_url: Callable[[], str], place: PlaceOrder
) -> tuple[list[BaseException], sa.Engine, list[int]]:
    """Place [A, B] and [B, A] concurrently; return the errors, the engine and product ids."""
    url = postgres_url()
    engine, monitor = make_engine(url), make_engine(url)
    Base.metadata.create_all(engine)
    with make_session_factory(engine)() as session:
        customer = repo.create_customer(session, email="ada@example.com", name="Ada")
        a = repo.create_product(session, sku="A", name="A", price_cents=100, stock=10)
        b = repo.create_product(session, sku="B", name="B", price_cents=200, stock=10)
        customer_id, ids = customer.id, [a.id, b.id]
    rendezvous = FirstLockRendezvous(engine, monitor)
    errors: list[BaseException] = []
    start = threading.Barrier(2, timeout=WAIT_SECONDS)

    def run(product_ids: list[int]) -> None:
        rendezvous.register()
        start.wait()
        try:
            with make_session_factory(engine)() as session:
                place(session, customer_id, [repo.OrderLine(p, 1) for p in product_ids])
        except BaseException as error:  # noqa: BLE001 - collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(order,)) for order in (ids, ids[::-1])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS * 2)
    assert not any(thread.is_alive() for thread in threads), "an order never finished"
    monitor.dispose()
    return errors, engine, ids


def _lock_in_client_order(session: Session, customer_id: int, lines: list[repo.OrderLine]):
    """The locking pattern place_order had before the fix: one UPDATE per line, in the
    order the client listed them."""
    with repo.unit_of_work(session):
        for line in lines:
            session.execute(
                update(Product)
                .where(Product.id == line.product_id)
                .values(stock=Product.stock - line.quantity)
            )


def test_opposite_orders_do_not_deadlock(postgres_url: Callable[[], str]) -> None:
    errors, engine, ids = _two_orders_at_once(postgres_url, repo.place_order)
    assert errors == []
    with make_session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 2
        stock = session.scalars(select(Product.stock).where(Product.id.in_(ids)))
        assert sorted(stock) == [8, 8]
    engine.dispose()


def test_locking_in_client_order_deadlocks(postgres_url: Callable[[], str]) -> None:
    """The control: the same race with the old lock order ends in PostgreSQL's deadlock
    detector killing one transaction, so the test above can fail."""
    errors, engine, _ = _two_orders_at_once(postgres_url, _lock_in_client_order)
    assert len(errors) == 1
    assert isinstance(errors[0], OperationalError)
    assert "deadlock detected" in str(errors[0])
    engine.dispose()


# --- injection: the stacked query SQLite cannot run ------------------------------------


def test_stacked_drop_table_runs_only_when_pasted_into_sql(
    postgres_url: Callable[[], str],
) -> None:
    engine = make_engine(postgres_url())
    Base.metadata.create_all(engine)
    evil = "x'); DROP TABLE customers CASCADE;--"
    with make_session_factory(engine)() as session:
        stored = repo.create_customer(session, email="evil@example.com", name=evil)
        assert repo.get_customer(session, stored.id).name == evil
    assert "customers" in sa.inspect(engine).get_table_names()

    # The failure mode the example's SQLite test cannot show: psycopg sends a query
    # without parameters as one simple-protocol string, so both statements run.
    raw = engine.raw_connection()
    try:
        raw.cursor().execute(
            f"INSERT INTO customers (email, name) VALUES ('pasted@example.com', '{evil}')"
        )
        raw.commit()
    finally:
        raw.close()
    assert "customers" not in sa.inspect(engine).get_table_names()
    engine.dispose()


# --- migration-patterns.md: NOT NULL and an index without downtime ----------------------


def _guide_revisions() -> dict[str, Any]:
    """Run the guide's marked block and return its names: the revisions under test are
    the ones printed in the guide, so prose and test cannot drift apart."""
    text = MIGRATION_GUIDE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)
    (source,) = [block for block in blocks if block.startswith(MIGRATION_MARKER)]
    namespace: dict[str, Any] = {"__name__": "migration_revisions"}
    exec(compile(source, str(MIGRATION_GUIDE), "exec"), namespace)  # noqa: S102
    return namespace


# The guide's target_metadata names CHECK constraints this way (its NAMING_CONVENTION).
GUIDE_METADATA = sa.MetaData(naming_convention={"ck": "ck_%(table_name)s_%(constraint_name)s"})
ACCOUNT_ROWS = 2000
# A statement of the migration -> the name its observations are filed under.
STEPS = {"ADD COLUMN plan": "add", "VALIDATE CONSTRAINT": "validate", "SET NOT NULL": "not_null"}
CONCURRENT_WRITES = {
    "insert": "INSERT INTO account (email, display_name) VALUES ('new@example.com', 'New')",
    "update": "UPDATE account SET display_name = 'Renamed' WHERE id = 1",
}


def _account_table(url: str) -> sa.Engine:
    """The state before revision 0004: display_name backfilled but still nullable."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE account (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " email text NOT NULL UNIQUE, display_name text)"
        )
        conn.exec_driver_sql(
            "INSERT INTO account (email, display_name) SELECT 'user' || i || '@example.com',"
            f" 'User ' || i FROM generate_series(1, {ACCOUNT_ROWS}) AS i"
        )
    return engine


def _write_from_another_connection(other: sa.Engine) -> dict[str, str]:
    outcome = {}
    for name, statement in CONCURRENT_WRITES.items():
        try:
            with other.begin() as conn:
                conn.exec_driver_sql("SET LOCAL lock_timeout = '1s'")
                conn.exec_driver_sql(statement)
            outcome[name] = "committed"
        except OperationalError as error:
            outcome[name] = type(error.orig).__name__
    return outcome


def _migrate_observed(url: str, *, one_transaction: bool) -> dict[str, Any]:
    """Run revisions 0004-0006 of the guide; after each DDL statement record the table
    locks the migration's backend holds, and right after VALIDATE try an INSERT and an
    UPDATE from another connection.

    Table locks are held until the transaction ends, so the locks held when VALIDATE
    returns are the locks its scan ran under, and they stay until the step commits: a
    write that gets through now would get through during the scan.
    """
    guide = _guide_revisions()
    engine, other = _account_table(url), sa.create_engine(url)
    seen: dict[str, Any] = {"locks": {}, "writes": {}, "notices": []}

    @event.listens_for(engine, "after_cursor_execute")
    def observe(conn, cursor, statement, parameters, context, executemany) -> None:
        step = next((name for key, name in STEPS.items() if key in statement), None)
        if step is None:
            return
        with other.connect() as probe:
            seen["locks"][step] = set(
                probe.scalars(
                    sa.text(
                        "SELECT mode FROM pg_locks WHERE pid = :pid AND granted"
                        " AND relation = 'account'::regclass"
                    ),
                    {"pid": cursor.connection.info.backend_pid},
                )
            )
        if step == "validate":
            seen["writes"] = _write_from_another_connection(other)

    with engine.connect() as conn:
        # SET NOT NULL reports at DEBUG1 when an existing constraint spares it the scan.
        conn.connection.dbapi_connection.add_notice_handler(
            lambda notice: seen["notices"].append(notice.message_primary)
        )
        conn.exec_driver_sql("SET client_min_messages = debug1")
        conn.commit()
        context = MigrationContext.configure(conn, opts={"target_metadata": GUIDE_METADATA})
        revisions = guide["REVISIONS"][:3]
        if one_transaction:  # the guide's version before the fix
            with Operations.context(context), context.begin_transaction():
                for upgrade in revisions:
                    upgrade()
        else:
            guide["run_revisions"](context, revisions)
    with engine.connect() as conn:
        seen["columns"] = {
            c["name"]: c["nullable"] for c in sa.inspect(conn).get_columns("account")
        }
        seen["checks"] = sa.inspect(conn).get_check_constraints("account")
    engine.dispose()
    other.dispose()
    return seen


def test_writes_go_through_while_validate_scans(postgres_url: Callable[[], str]) -> None:
    seen = _migrate_observed(postgres_url(), one_transaction=False)
    assert seen["locks"]["add"] == {"AccessExclusiveLock"}
    assert seen["locks"]["validate"] == {"ShareUpdateExclusiveLock"}
    assert seen["writes"] == {"insert": "committed", "update": "committed"}
    assert "AccessExclusiveLock" in seen["locks"]["not_null"]
    assert any("sufficient to prove that it does not contain nulls" in n for n in seen["notices"])
    assert seen["columns"] == {"id": False, "email": False, "display_name": False, "plan": False}
    assert seen["checks"] == []


def test_one_transaction_blocks_writes_during_validate(postgres_url: Callable[[], str]) -> None:
    """The control: the same revisions in one transaction, as Alembic runs them without
    transaction_per_migration, scan under ADD COLUMN's ACCESS EXCLUSIVE lock."""
    seen = _migrate_observed(postgres_url(), one_transaction=True)
    assert "AccessExclusiveLock" in seen["locks"]["validate"]
    assert seen["writes"] == {"insert": "LockNotAvailable", "update": "LockNotAvailable"}


REVISION_FILE = """\
from alembic import op

revision = "{rev}"
down_revision = {down}
branch_labels = None
depends_on = None


def upgrade() -> None:
    {body}


def downgrade() -> None:
    pass
"""


@pytest.mark.parametrize("per_migration", [True, False])
def test_alembic_commits_each_revision_only_when_told(
    postgres_url: Callable[[], str], tmp_path: Path, per_migration: bool
) -> None:
    """The guide's env.py setting: with transaction_per_migration a failed revision leaves
    the ones before it committed and recorded; without it, `alembic upgrade` runs all
    pending revisions in one transaction and the failure takes every one of them back."""
    url = postgres_url()
    config = Config(str(tmp_path / "alembic.ini"))
    command.init(config, str(tmp_path / "migrations"))
    env_py = tmp_path / "migrations" / "env.py"
    source = env_py.read_text()
    configure = "connection=connection, target_metadata=target_metadata"
    assert source.count(configure) == 1
    env_py.write_text(
        source.replace(configure, f"{configure}, transaction_per_migration={per_migration}")
    )
    versions = tmp_path / "migrations" / "versions"
    (versions / "0001_one.py").write_text(
        REVISION_FILE.format(rev="0001", down=None, body='op.execute("CREATE TABLE one (id int)")')
    )
    (versions / "0002_two.py").write_text(
        REVISION_FILE.format(rev="0002", down='"0001"', body='op.execute("SELECT 1 / 0")')
    )
    # No ini file: the template's env.py would hand it to logging.fileConfig, which
    # would switch off the loggers of this pytest process.
    config = Config()
    config.set_main_option("script_location", str(tmp_path / "migrations"))
    config.set_main_option("sqlalchemy.url", url)

    with pytest.raises(sa.exc.DataError, match="division by zero"):
        command.upgrade(config, "head")

    engine = sa.create_engine(url)
    tables = set(sa.inspect(engine).get_table_names())
    if per_migration:
        assert tables == {"one", "alembic_version"}
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0001"
    else:
        assert tables == set()
    engine.dispose()


def _plan_index(engine: sa.Engine) -> tuple[int, bool, bool] | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT indexrelid::int, indisvalid, indisunique FROM pg_index"
                " WHERE indexrelid = to_regclass('ix_account_plan')"
            )
        ).one_or_none()
    return None if row is None else tuple(row)


def _index_build_before_the_fix() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_account_plan", "account", ["plan"], postgresql_concurrently=True, if_not_exists=True
        )


def test_retried_index_build_replaces_an_invalid_index(postgres_url: Callable[[], str]) -> None:
    guide = _guide_revisions()
    engine = sa.create_engine(postgres_url())
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE account (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " plan text NOT NULL DEFAULT 'free')"
        )
        conn.exec_driver_sql("INSERT INTO account (plan) SELECT 'free' FROM generate_series(1, 50)")
    # A failed concurrent build (here: UNIQUE over duplicates) leaves its index INVALID.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        with pytest.raises(IntegrityError, match="could not create unique index"):
            conn.exec_driver_sql(
                "CREATE UNIQUE INDEX CONCURRENTLY ix_account_plan ON account (plan)"
            )
    assert _plan_index(engine)[1:] == (False, True)

    def run(upgrade: Callable[[], None]) -> None:
        with engine.connect() as conn:
            guide["run_revisions"](MigrationContext.configure(conn), [upgrade])

    run(_index_build_before_the_fix)  # IF NOT EXISTS sees the name and keeps the index
    assert _plan_index(engine)[1:] == (False, True)

    run(guide["upgrade_0007_index_plan"])
    rebuilt = _plan_index(engine)
    assert rebuilt is not None and rebuilt[1:] == (True, False)
    run(guide["upgrade_0007_index_plan"])  # once valid, a rerun keeps the same index
    assert _plan_index(engine) == rebuilt
    engine.dispose()
