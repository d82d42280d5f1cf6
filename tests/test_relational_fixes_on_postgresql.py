"""databases-relational claims that only a real PostgreSQL can prove or refute.

The skill folder runs on SQLite and cannot use the course's fixtures, so what needs
locks, deadlock detection and concurrent index builds is tested here, on the throwaway
server of ``postgres_url`` (tests/conftest.py). The example's own code is imported from
its folder, not copied, so these tests hold the shipped code to its word.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from backend_skills.examples import example_dir

SHOP_DIR = example_dir("databases-relational", "python-sqlalchemy")
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
