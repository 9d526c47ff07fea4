"""Failed-login throttle: the counting class with a fake clock, and the login route that uses it (SQLite)."""

from __future__ import annotations

import logging
import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from cardiowatch.dashboard import install_dashboard
from cardiowatch.dashboard.throttle import (
    MAX_FAILURES_PER_ADDRESS,
    MAX_FAILURES_PER_NAME,
    WINDOW_SECONDS,
    LoginThrottle,
)
from cardiowatch.dashboard.users import Role, UserStore


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _fail(throttle: LoginThrottle, name: str, address: str | None, times: int) -> None:
    for _ in range(times):
        assert throttle.attempt(name, address) is None


# the class ----------------------------------------------------------------------------------------------

def test_a_name_is_blocked_after_its_limit_until_the_oldest_failure_leaves_the_window():
    clock = FakeClock()
    throttle = LoginThrottle(now=clock)
    assert throttle.attempt("ada", "10.0.0.1") is None
    clock.t += 100
    _fail(throttle, "ada", "10.0.0.1", MAX_FAILURES_PER_NAME - 1)
    clock.t += 20.5
    assert throttle.attempt("ada", "10.0.0.1") == WINDOW_SECONDS - 120   # whole seconds, rounded up
    assert throttle.attempt("ADA", "10.0.0.2") == WINDOW_SECONDS - 120   # the name, whatever its case or address
    assert throttle.attempt("vic", "10.0.0.2") is None
    clock.t += WINDOW_SECONDS - 120
    assert throttle.attempt("ada", "10.0.0.1") is None    # the first failure has left the window: one more try
    assert throttle.attempt("ada", "10.0.0.1") == 100     # ... then blocked until the next four (t=100) leave it
    clock.t += 100
    assert throttle.attempt("ada", "10.0.0.1") is None


def test_refused_attempts_do_not_extend_the_block():
    clock = FakeClock()
    throttle = LoginThrottle(now=clock)
    _fail(throttle, "ada", None, MAX_FAILURES_PER_NAME)
    for _ in range(100):
        clock.t += 1
        assert throttle.attempt("ada", None) is not None
    clock.t = 1000.0 + WINDOW_SECONDS
    assert throttle.attempt("ada", None) is None


def test_an_address_is_blocked_after_its_limit_whatever_the_names():
    throttle = LoginThrottle(now=FakeClock())
    for i in range(MAX_FAILURES_PER_ADDRESS):
        assert throttle.attempt(f"guess{i}", "10.0.0.9") is None
    assert throttle.attempt("ada", "10.0.0.9") == WINDOW_SECONDS
    assert throttle.attempt("ada", "10.0.0.1") is None


def test_success_clears_the_name_but_not_the_address():
    throttle = LoginThrottle(max_per_name=3, max_per_address=5, now=FakeClock())
    _fail(throttle, "ada", "10.0.0.1", 2)
    _fail(throttle, "bob", "10.0.0.1", 2)
    assert throttle.attempt("ada", "10.0.0.1") is None
    throttle.succeeded("ada", "10.0.0.1")
    _fail(throttle, "ada", "10.0.0.2", 2)           # ada starts again from nothing
    assert throttle.attempt("ada", "10.0.0.2") is None
    assert throttle.attempt("ada", "10.0.0.2") is not None
    # 10.0.0.1 kept its four failures (the good login itself is not one): one more, then blocked.
    assert throttle.attempt("carol", "10.0.0.1") is None
    assert throttle.attempt("dave", "10.0.0.1") is not None


def test_a_cancelled_attempt_counts_against_no_one():
    throttle = LoginThrottle(max_per_name=1, now=FakeClock())
    assert throttle.attempt("ada", "10.0.0.1") is None
    throttle.cancelled("ada", "10.0.0.1")
    assert throttle.tracked_keys() == 0
    assert throttle.attempt("ada", "10.0.0.1") is None


def test_a_flood_of_made_up_names_keeps_memory_bounded_and_old_keys_are_pruned():
    clock = FakeClock()
    throttle = LoginThrottle(max_keys=100, now=clock)
    for i in range(5000):
        throttle.attempt(f"name{i}", None)
    assert throttle.tracked_keys() == 100
    clock.t += WINDOW_SECONDS
    throttle.attempt("ada", "10.0.0.1")
    assert throttle.tracked_keys() == 2


def test_simultaneous_attempts_cannot_all_slip_past_the_check():
    throttle = LoginThrottle()
    start = threading.Barrier(40)
    let_in: list[bool] = []

    def try_once() -> None:
        start.wait()
        let_in.append(throttle.attempt("ada", "10.0.0.1") is None)

    threads = [threading.Thread(target=try_once) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert let_in.count(True) == MAX_FAILURES_PER_NAME


def test_a_block_is_logged_once_not_per_refused_request(caplog):
    throttle = LoginThrottle(max_per_name=2, now=FakeClock())
    _fail(throttle, "ada", None, 2)
    with caplog.at_level(logging.WARNING, logger="cardiowatch.dashboard.throttle"):
        for _ in range(10):
            throttle.attempt("ada", None)
    assert [r.getMessage() for r in caplog.records] == [
        "dashboard login blocked for name 'ada' after 2 failures in 15 min; retry after 900 s"]


# the login route ----------------------------------------------------------------------------------------

@pytest.fixture
def app(tmp_path) -> FastAPI:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    app = FastAPI()
    install_dashboard(app, engine=engine)
    store = UserStore(engine)
    store.create_tables()
    store.add_user("ada", "correct horse", Role.ADMIN)
    store.add_user("vic", "battery staple", Role.VIEWER)
    return app


@pytest.fixture
def password_checks(app, monkeypatch) -> list[str]:
    """Names passed to the store's `authenticate` (each one an scrypt hash)."""
    store = app.state.dashboard_get_auth().store
    real = store.authenticate
    checked: list[str] = []

    def spy(name: str, password: str):
        checked.append(name)
        return real(name, password)

    monkeypatch.setattr(store, "authenticate", spy)
    return checked


def _post(client: TestClient, name: str, password: str):
    return client.post("/login", json={"name": name, "password": password})


def test_after_the_limit_even_the_right_password_is_refused_with_429_and_no_hash(app, password_checks):
    with TestClient(app) as client:
        for _ in range(MAX_FAILURES_PER_NAME):
            assert _post(client, "ada", "wrong pass").status_code == 401
        response = _post(client, "ada", "correct horse")
        assert response.status_code == 429
        assert 0 < int(response.headers["retry-after"]) <= WINDOW_SECONDS
        assert response.json()["detail"] == "too many failed logins; try again in 15 minutes"
        assert client.get("/api/me").status_code == 401
    assert password_checks == ["ada"] * MAX_FAILURES_PER_NAME


def test_other_names_from_another_address_still_log_in(app, password_checks):
    with TestClient(app) as client:
        for _ in range(MAX_FAILURES_PER_NAME):
            _post(client, "ada", "wrong pass")
    with TestClient(app, client=("10.0.0.2", 50000)) as other:
        assert _post(other, "vic", "battery staple").status_code == 200
        assert _post(other, "ada", "correct horse").status_code == 429   # the name stays blocked


def test_a_good_login_before_the_limit_resets_the_names_count(app):
    with TestClient(app) as client:
        for _ in range(2):
            for _ in range(MAX_FAILURES_PER_NAME - 1):
                assert _post(client, "ada", "wrong pass").status_code == 401
            assert _post(client, "ada", "correct horse").status_code == 200


def test_a_blocked_login_is_let_in_again_after_the_window(app):
    clock = FakeClock()
    auth = app.state.dashboard_get_auth()
    auth.throttle = LoginThrottle(max_per_name=2, now=clock)
    with TestClient(app) as client:
        _post(client, "ada", "wrong pass")
        clock.t += 60
        _post(client, "ada", "wrong pass")
        clock.t += 30
        response = _post(client, "ada", "correct horse")
        assert response.status_code == 429 and response.headers["retry-after"] == str(int(WINDOW_SECONDS) - 90)
        clock.t += WINDOW_SECONDS - 90
        assert _post(client, "ada", "correct horse").status_code == 200


def test_one_address_trying_many_names_is_refused(app, password_checks):
    auth = app.state.dashboard_get_auth()
    auth.throttle = LoginThrottle(max_per_address=3, now=FakeClock())
    with TestClient(app) as client:
        for name in ("ann", "bob", "cid"):
            assert _post(client, name, "wrong pass").status_code == 401
        assert _post(client, "vic", "battery staple").status_code == 429
    with TestClient(app, client=("10.0.0.2", 50000)) as other:
        assert _post(other, "vic", "battery staple").status_code == 200
    assert password_checks == ["ann", "bob", "cid", "vic"]


def test_a_database_error_during_login_is_not_counted_as_a_failure(app, monkeypatch):
    auth = app.state.dashboard_get_auth()

    def broken(name: str, password: str):
        raise RuntimeError("database went away")

    monkeypatch.setattr(auth.store, "authenticate", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        for _ in range(MAX_FAILURES_PER_NAME + 1):
            assert _post(client, "ada", "correct horse").status_code == 500
    assert auth.throttle.tracked_keys() == 0
