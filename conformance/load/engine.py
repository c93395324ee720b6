"""The Locust process of ``conformance load``, started as ``python -m conformance.load``
(:mod:`conformance.load.__main__` imports Locust first, so gevent patches the standard
library before anything else loads). This module imports Locust and gevent only inside
its functions: importing it patches nothing.

    python -m conformance.load --config FILE
    python -m conformance.load --worker --master-host HOST [--master-port 5557]

With ``--config`` (a :class:`~conformance.load.config.LoadConfig` as JSON) it is the
master: Locust's local runner when the configuration expects no worker, else a master
runner on ``master_bind_host:master_bind_port`` (port 0: a free one) that starts
``local_workers`` worker processes itself, waits for ``expect_workers`` in all, sends
them the configuration (a Locust message; the API key is never in it: each process reads
``$CONFORMANCE_API_KEY``), then starts ``users`` users at ``spawn_rate`` per second
(https://docs.locust.io/en/stable/running-distributed.html).

Each user cycles through the configured probes, one request at a time, each with its own
correlation id ``RUN.PROBE.WORKER.USER.N``; every answer is recorded
(:mod:`conformance.load.record`) and fired as a Locust ``request`` event (so Locust's
statistics see it) and spooled: workers send their recorded exchanges to the master with
each stats report and once more when told to stop; the master appends them to the spool
file. The run ends after ``duration_s`` seconds or ``max_requests`` answers, whichever
comes first: no request starts after that, the requests in flight finish (at most
``request_deadline_s``), the last exchanges are collected, and Locust's own figures are
written to the summary file (JSON). Exit status 0, or 2 with one line on stderr.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..exchange import Exchange
from ..probes import correlation_id
from ..target import Target
from .config import HEADERS_ENV, KEY_ENV, LoadConfig, headers_from_env
from .record import build, new_nonce, record, session
from .wire import Recorded, append, to_json

__all__ = ["main", "user_class"]

WORKER_WAIT_S = 60.0
"""How long the master waits for its workers to connect, in seconds."""
HOST = socket.gethostname()


class _State:
    """What the users of this process share (one gevent thread: no locks needed)."""

    def __init__(self) -> None:
        self.config: LoadConfig | None = None
        self.target: Target | None = None
        self.worker_no = 0
        self.cap = 0
        self.sent = 0
        self.in_flight = 0
        self.stopping = False
        self.buffer: list[dict[str, Any]] = []
        self.sink: Callable[[dict[str, Any]], None] = self.buffer.append
        self.ready: Any = None
        """A ``gevent.event.Event`` set once the configuration is known (made by
        :func:`run_master` or :func:`run_worker`)."""
        self.users = itertools.count()

    def configure(self, config: LoadConfig, worker_no: int) -> None:
        self.config = config
        headers = headers_from_env(os.environ.get(HEADERS_ENV))
        self.target = config.target(os.environ.get(KEY_ENV) or None, headers)
        self.worker_no = worker_no
        self.cap = config.share()
        self.ready.set()

    def drain(self) -> list[dict[str, Any]]:
        out, self.buffer[:] = list(self.buffer), []
        return out

    def settle(self, limit_s: float) -> None:
        """Stop starting requests; wait (at most ``limit_s``) for those in flight."""
        import gevent  # type: ignore[import-untyped]

        self.stopping = True
        ends = time.monotonic() + limit_s
        while self.in_flight and time.monotonic() < ends:
            gevent.sleep(0.05)


STATE = _State()


def _failure(x: Exchange) -> Exception | None:
    """What Locust counts as a failed request: no answer, a broken body, a 5xx."""
    if x.status is None:
        return ConnectionError(x.transport_error or "no response")
    if x.body_problem() is not None:
        return ConnectionError(x.body_problem())
    if x.status >= 500:
        return RuntimeError(f"HTTP {x.status}")
    return None


def user_class() -> Any:
    """The Locust user class (made on demand: defining it needs ``locust``)."""
    from locust import User, constant, task
    from locust.exception import StopUser

    class LoadUser(User):
        """A user: sends the configured probes in turn, each answer recorded and spooled."""

        wait_time = constant(0)

        def on_start(self) -> None:
            STATE.ready.wait()
            self.number = next(STATE.users)
            self.sent = 0
            self.http = session()

        def on_stop(self) -> None:
            self.http.close()

        @task
        def send(self) -> None:
            config, target = STATE.config, STATE.target
            assert config is not None
            assert target is not None
            if STATE.stopping or STATE.sent >= STATE.cap:
                raise StopUser()
            STATE.sent += 1
            probe = config.probes[(self.number + self.sent) % len(config.probes)]
            cid = correlation_id(config.run_id, probe, STATE.worker_no, self.number, self.sent)
            self.sent += 1
            nonce = new_nonce() if config.nonce else None
            request = build(target, probe, cid, nonce)
            STATE.in_flight += 1
            try:
                x = record(
                    self.http,
                    probe,
                    request,
                    timeout_s=config.timeout_s,
                    deadline_s=config.request_deadline_s,
                )
            finally:
                STATE.in_flight -= 1
            self.environment.events.request.fire(
                request_type=request.method,
                name=probe,
                response_time=x.elapsed_s * 1000,
                response_length=len(x.body),
                exception=_failure(x),
                context={"cid": cid},
            )
            STATE.sink(to_json(Recorded(x, cid, HOST, nonce)))

    return LoadUser


def _summary(env: Any, elapsed_s: float, stopped_by: str, workers: int) -> dict[str, Any]:
    """Locust's own figures for the run (its statistics, all workers together)."""
    import locust

    total = env.stats.total
    return {
        "locust": locust.__version__,
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": round(total.num_requests / max(1e-9, elapsed_s), 3),
        "p50_ms": total.get_response_time_percentile(0.5),
        "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99),
        "max_ms": total.max_response_time,
        "workers": workers,
        "stopped_by": stopped_by,
        "duration_s": round(elapsed_s, 3),
    }


def _die(message: str) -> None:
    print(f"conformance load engine: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def run_master(config: LoadConfig) -> None:
    """Run the load described by ``config`` (see the module docstring)."""
    import gevent
    import gevent.event  # type: ignore[import-untyped]
    import locust
    from locust.env import Environment

    STATE.ready = gevent.event.Event()
    env = Environment(user_classes=[user_class()], events=locust.events)
    spool = Path(config.spool).open("w", encoding="utf-8")  # noqa: SIM115 - closed below
    received = 0
    done: set[str] = set()

    def take(items: Any) -> None:
        nonlocal received
        for item in items or ():
            append(spool, item)
            received += 1

    workers: list[subprocess.Popen[bytes]] = []
    if config.expect_workers == 0:
        runner: Any = env.create_local_runner()
        STATE.sink = lambda item: take([item])
        STATE.configure(config, 0)
    else:
        runner = env.create_master_runner(config.master_bind_host, config.master_bind_port)
        port = runner.server.port
        env.events.worker_report.add_listener(  # type: ignore[no-untyped-call]
            lambda client_id, data: take(data.get("conformance"))
        )

        def on_done(environment: Any, msg: Any) -> None:
            take(msg.data.get("conformance"))
            done.add(str(msg.node_id))

        runner.register_message("conformance_done", on_done)
        print(f"master listening on {config.master_bind_host}:{port}", file=sys.stderr, flush=True)
        for _ in range(config.local_workers):
            workers.append(
                subprocess.Popen(
                    [
                        *(sys.executable, "-m", "conformance.load", "--worker"),
                        *("--master-host", "127.0.0.1", "--master-port", str(port)),
                    ],
                    stdin=subprocess.DEVNULL,
                )
            )
        ends = time.monotonic() + WORKER_WAIT_S
        while runner.worker_count < config.expect_workers and time.monotonic() < ends:
            gevent.sleep(0.1)
        if runner.worker_count < config.expect_workers:
            for proc in workers:
                proc.kill()
            _die(
                f"{runner.worker_count} of {config.expect_workers} workers connected "
                f"within {WORKER_WAIT_S:g} s"
            )
        for number, client in enumerate(sorted(runner.clients.all, key=lambda c: c.id), 1):
            runner.send_message(
                "conformance_config", {"config": config.to_json(), "worker": number}, client.id
            )
        gevent.sleep(0.2)  # the configuration goes out before the spawn message
    started = time.monotonic()
    runner.start(config.users, config.spawn_rate)
    stopped_by = "duration"
    while time.monotonic() - started < config.duration_s:
        if received >= config.max_requests:
            stopped_by = "max-requests"
            break
        if config.expect_workers == 0 and STATE.sent >= STATE.cap and not STATE.in_flight:
            stopped_by = "max-requests"
            break
        gevent.sleep(0.1)
    settle_s = config.request_deadline_s + 5.0
    if config.expect_workers == 0:
        STATE.settle(settle_s)
    else:
        runner.send_message("conformance_stop", {"settle_s": settle_s})
        ends = time.monotonic() + settle_s + 10.0
        while len(done) < config.expect_workers and time.monotonic() < ends:
            gevent.sleep(0.1)
    elapsed = time.monotonic() - started
    runner.quit()  # workers send their last stats report
    summary = _summary(env, elapsed, stopped_by, config.expect_workers)
    summary["spooled"] = received
    spool.close()
    for proc in workers:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    if config.summary:
        Path(config.summary).write_text(json.dumps(summary, indent=2) + "\n", "utf-8")


def run_worker(master_host: str, master_port: int) -> None:
    """Connect to the master and run the users it starts here."""
    import gevent.event
    import locust
    from locust.env import Environment

    STATE.ready = gevent.event.Event()
    env = Environment(user_classes=[user_class()], events=locust.events)
    runner: Any = env.create_worker_runner(master_host, master_port)

    def on_config(environment: Any, msg: Any) -> None:
        STATE.configure(LoadConfig.from_json(msg.data["config"]), int(msg.data["worker"]))

    def on_stop(environment: Any, msg: Any) -> None:
        STATE.settle(float(msg.data.get("settle_s", 30.0)))
        runner.send_message("conformance_done", {"conformance": STATE.drain()})

    runner.register_message("conformance_config", on_config)
    runner.register_message("conformance_stop", on_stop, concurrent=True)
    env.events.report_to_master.add_listener(  # type: ignore[no-untyped-call]
        lambda client_id, data: data.__setitem__("conformance", STATE.drain())
    )
    runner.greenlet.join()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m conformance.load")
    parser.add_argument("--config", type=Path, help="the master's LoadConfig (JSON)")
    parser.add_argument("--worker", action="store_true", help="run as a worker")
    parser.add_argument("--master-host", default="127.0.0.1")
    parser.add_argument("--master-port", type=int, default=5557)
    parser.add_argument("--loglevel", default="WARNING")
    args = parser.parse_args(argv)
    import locust.log

    locust.log.setup_logging(args.loglevel)  # type: ignore[no-untyped-call]
    if args.worker:
        run_worker(args.master_host, args.master_port)
        return
    if args.config is None:
        _die("--config FILE or --worker is needed")
    try:
        config = LoadConfig.from_json(json.loads(args.config.read_text("utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        _die(f"--config {args.config}: {exc}")
    run_master(config)
