"""Recommendation latency through HTTP: gunicorn on PostgreSQL + Redis, warm, at a held rate.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_graph \\
    REDIS_URL=redis://127.0.0.1:6379/4 \\
    python bench/bench_recommend_http.py [--rate 20] [--seconds 30] [--workers 2] [--writes 1]

The database must already hold the national world (``manage.py generate_dataset --scale national``
then ``manage.py import_data``). The script starts gunicorn (``config.wsgi``, sync workers, debug
off) and one job worker (``rqworker default``) on that database and Redis, warms every web worker
(the first builds the graph from the database, the others load it from Redis) and waits until the
job worker has fitted the outlet ranking and every web worker answers with it, then, from this
separate process, sends each kind of request at a fixed rate for a fixed time. Requests leave on a
schedule whatever the answers do (an open loop),
and a latency is counted from the scheduled time, so a server falling behind shows in the
percentiles instead of slowing the client down. Baseline in the same run: the product detail
endpoint of the registry (one indexed lookup, no graph). Prints a Markdown table.

With ``--writes W``, W registry writes a second arrive through the API while each row is measured
(a planner's PATCH of a linkage's monthly volume, alternating between two values, so the database
ends as it began): every write moves the registry's version on, as a user's would.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import http.client
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402

from linkage import graph_cache  # noqa: E402
from linkage.models import Buyer, Producer, Product, SourcingRequest  # noqa: E402

HOST, PORT = "127.0.0.1", 8765


def get(
    path: str, timeout: float = 120.0, body: bool = False, method="GET", data=None, headers=None
):
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    try:
        connection.request(method, path, body=data, headers=headers or {})
        response = connection.getresponse()
        content = response.read()
        if body:
            return response.status, time.perf_counter() - started, content
        return response.status, time.perf_counter() - started
    finally:
        connection.close()


def worker_memory(server_pid: int) -> list[tuple[float, float, float]]:
    """(resident, peak resident, proportional share) MB of each gunicorn worker (the server's
    children). The share counts pages shared with the master and the other workers (the
    libraries, loaded before the fork) in parts: it is what each worker adds to the machine."""
    found = []
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children")
    for pid in children.read_text().split() if children.exists() else []:
        status = Path(f"/proc/{pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        shares = dict(line.split(":", 1) for line in rollup.splitlines()[1:] if ":" in line)
        kb = lambda value: int(value.split()[0]) / 1024  # noqa: E731
        found.append((kb(fields["VmRSS"]), kb(fields["VmHWM"]), kb(shares["Pss"])))
    return found


def memory_text(found) -> str:
    return ", ".join(
        f"{rss:.0f} MB resident (peak {peak:.0f}), {pss:.0f} MB its own share"
        for rss, peak, pss in found
    )


class Writer:
    """Writes at a held rate through the API, in a thread, while a row is measured."""

    def __init__(self, rate: float):
        from django.contrib.auth.models import Group, User
        from knox.models import AuthToken

        from linkage.accounts import PLANNERS_GROUP
        from linkage.models import Linkage

        self.rate = rate
        user, _ = User.objects.get_or_create(username="bench_writer")
        user.groups.add(Group.objects.get_or_create(name=PLANNERS_GROUP)[0])
        _, self.token = AuthToken.objects.create(user=user)
        self.linkage = Linkage.objects.filter(volume_per_month__isnull=False).order_by("id").first()
        self.volumes = (self.linkage.volume_per_month, self.linkage.volume_per_month + 1)
        self.sent = self.failed = 0
        self.stop = None

    def __enter__(self):
        import threading

        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def run(self):
        import json

        started = time.perf_counter()
        while not self.stop.is_set():
            scheduled = started + self.sent / self.rate
            delay = scheduled - time.perf_counter()
            if delay > 0 and self.stop.wait(delay):
                break
            volume = self.volumes[(self.sent + 1) % 2]
            status, _ = get(
                f"/api/v1/linkages/{self.linkage.id}/",
                method="PATCH",
                data=json.dumps({"volume_per_month": volume}),
                headers={
                    "Authorization": f"Token {self.token}",
                    "Content-Type": "application/json",
                },
            )
            self.sent += 1
            self.failed += status != 200

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)


def held_rate(paths: list[str], rate: float, seconds: float, writes: float = 0.0) -> dict:
    """Send ``paths`` round-robin at ``rate`` a second for ``seconds``; latencies from schedule;
    with ``writes``, that many registry writes a second arrive meanwhile."""
    if writes:
        with Writer(writes) as writer:
            found = held_rate(paths, rate, seconds)
        return {**found, "writes": writer.sent, "write_errors": writer.failed}
    total = int(rate * seconds)
    latencies, errors = [], 0

    def one(i: int, scheduled: float):
        delay = scheduled - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        status, _ = get(paths[i % len(paths)])
        return status, time.perf_counter() - scheduled

    started = time.perf_counter() + 0.2
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        futures = [pool.submit(one, i, started + i / rate) for i in range(total)]
        for future in futures:
            status, latency = future.result()
            latencies.append(latency)
            errors += status != 200
    elapsed = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {
        "requests": total,
        "achieved": total / elapsed,
        "errors": errors,
        "p50": pick(0.50),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": latencies[-1] * 1000,
    }


def sample_paths(rng: random.Random, n: int) -> dict[str, list[str]]:
    # Products whose rating is still valid: an expired one has no buyer and answers at once.
    products = list(
        Product.objects.filter(rating_expires_on__gte=dt.date.today())
        .annotate(sales=Count("linkages"))
        .filter(sales__gt=0)
        .order_by("code")
        .values_list("code", flat=True)
    )
    producers = list(
        Producer.objects.filter(products__isnull=False)
        .distinct()
        .order_by("code")
        .values_list("code", flat=True)
    )
    stores = list(
        Buyer.objects.filter(kind__in=["store", "sales_point"])
        .order_by("code")
        .values_list("code", flat=True)
    )
    requests = list(SourcingRequest.objects.order_by("code").values_list("code", flat=True))
    pick = lambda items: rng.sample(items, min(n, len(items)))  # noqa: E731
    return {
        "baseline: product detail (registry, no graph)": [
            f"/api/v1/products/{c}/" for c in pick(products)
        ],
        "buyers for a product": [
            f"/api/v1/recommendations/buyers/?product={c}" for c in pick(products)
        ],
        "buyers for a producer": [
            f"/api/v1/recommendations/buyers/?producer={c}" for c in pick(producers)
        ],
        "suppliers for a store or sales point": [
            f"/api/v1/recommendations/suppliers/?buyer={c}" for c in pick(stores)
        ],
        "suppliers for a sourcing request": [
            f"/api/v1/recommendations/suppliers/?request={c}" for c in pick(requests)
        ],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="requests a second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--writes", type=float, default=0.0, help="registry writes a second")
    args = parser.parse_args()

    paths = sample_paths(random.Random(args.seed), 400)
    # A cold start: a worker builds the graph from the database, or loads it from Redis when
    # another has already put it there.
    graph_cache.bump_version()
    env = {**os.environ, "DJANGO_DEBUG": "0", "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            str(args.workers),
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )

    def start_worker():
        return subprocess.Popen(
            [sys.executable, "manage.py", "rqworker", "default", "--burst"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
        )

    worker = start_worker()
    try:
        for _ in range(100):
            try:
                get("/api/v1/products/?page_size=1", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        warm = time.perf_counter()
        # Concurrent rounds reach every sync worker; a worker is warm once it answers at once.
        probe = paths["buyers for a product"]
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
            for round_number in range(60):
                answers = list(pool.map(get, probe[: args.workers]))
                if round_number >= 2 and all(seconds < 1.0 for _, seconds in answers):
                    break
        warm_s = time.perf_counter() - warm
        fitted = time.perf_counter()
        # The web workers asked for the ranking when they first answered; the job worker fits it.
        for _ in range(600):
            if worker.poll() is not None:
                worker = start_worker()  # a burst worker stops once the queue is empty
            with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
                answers = list(pool.map(lambda p: get(p, body=True), probe[: args.workers * 2]))
            if all(b'"kind":"logistic_regression"' in content for _, _, content in answers):
                break
            time.sleep(1)
        fit_s = time.perf_counter() - fitted
        memory_warm = worker_memory(server.pid)
        rows = [
            (name, held_rate(found, args.rate, args.seconds, args.writes))
            for name, found in paths.items()
        ]
        memory_end = worker_memory(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)

    print(
        f"gunicorn {args.workers} sync workers, PostgreSQL + Redis; {args.rate:g} requests/s "
        f"held for {args.seconds:g} s per row; cold start of all workers (each reads the snapshot "
        f"from the database or loads it from Redis, then builds its index) {warm_s:.1f} s; the "
        f"outlet ranking fitted on the job worker and in use by every web worker {fit_s:.1f} s "
        "later.\n"
    )
    print(
        f"Web workers' memory once warm: {memory_text(memory_warm)}; at the end: "
        f"{memory_text(memory_end)}.\n"
    )
    print(
        "| request | sent | achieved /s | errors | writes (failed) | p50 ms | p95 ms | p99 ms "
        "| max ms |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, r in rows:
        print(
            f"| {name} | {r['requests']} | {r['achieved']:.1f} | {r['errors']} | "
            f"{r.get('writes', 0)} ({r.get('write_errors', 0)}) | {r['p50']:.1f} | "
            f"{r['p95']:.1f} | {r['p99']:.1f} | {r['max']:.1f} |"
        )


if __name__ == "__main__":
    main()
