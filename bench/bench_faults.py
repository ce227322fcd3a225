"""Load and faults: the service under load while Redis, PostgreSQL and a job worker fail.

    python bench/bench_faults.py [--seconds 60] [--clients 10,50] [--fault-seconds 75]

Everything runs on this machine's loopback and is the script's own: a throwaway PostgreSQL
cluster (``initdb`` into a temporary directory, as the ``postgres`` user, port 5499), a
redis-server on port 6390, gunicorn (``config.settings.production``, debug off, a throwaway
secret, ALLOWED_HOSTS=127.0.0.1, no HTTPS redirect, throttling raised out of the way) and one job
worker supervised by ``deploy/rqworker-loop.sh``. The machine's own PostgreSQL (5432) and Redis
(6379) are never touched. The Hà Nội demo is loaded into the throwaway database.

Phases: ``--seconds`` at each number of ``--clients`` (closed loop: each client sends its next
request when the last is answered) over the product list, buyer recommendations and coverage;
then a fault phase at the first number of clients, where one more client PATCHes products'
capacity with a planner token and another runs allocations with ``background=always`` and follows
their jobs: Redis killed (SIGKILL) at 5 s and started again at 20 s, PostgreSQL restarted
(``pg_ctl restart -m fast``) at 30 s, the job worker killed (SIGKILL) at 45 s. After the load
every acknowledged write is read back: a write is lost when the product holds neither its value
nor the value of a later unacknowledged attempt. Prints a Markdown table per phase: throughput,
p50/p95/p99, answers by status and kind (JSON, HTML, other), connection errors, lost writes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PG_PORT, REDIS_PORT, HTTP_PORT = 5499, 6390, 8790
TIMEOUT = 30.0


def run(cmd, env=None, **kwargs):
    return subprocess.run(cmd, env=env, check=True, cwd=ROOT, **kwargs)


def as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class Stack:
    """The throwaway PostgreSQL, Redis, gunicorn and supervised worker, and their faults."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.pgdata = workdir / "pg"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": f"postgres://postgres@{HOST}:{PG_PORT}/ocop",
            "REDIS_URL": f"redis://{HOST}:{REDIS_PORT}/0",
            "THROTTLE_ANON": "1000000/minute",
            "THROTTLE_USER": "1000000/minute",
            "LOG_LEVEL": "WARNING",
        }
        self.procs: list[subprocess.Popen] = []
        self.worker_loop: subprocess.Popen | None = None

    def pg_ctl(self, *args):
        log = self.workdir / "pg.log"
        run(
            as_postgres(["pg_ctl", "-D", str(self.pgdata), "-l", str(log), "-w", *args]),
            stdout=subprocess.DEVNULL,
        )

    def start_postgres(self):
        self.pgdata.mkdir()
        shutil.chown(self.workdir, "postgres") if os.geteuid() == 0 else None
        shutil.chown(self.pgdata, "postgres") if os.geteuid() == 0 else None
        run(
            as_postgres(["initdb", "-D", str(self.pgdata), "-A", "trust", "-U", "postgres"]),
            stdout=subprocess.DEVNULL,
        )
        self.pg_ctl("-o", f"-p {PG_PORT} -k {self.workdir} -c listen_addresses={HOST}", "start")
        run(["createdb", "-h", HOST, "-p", str(PG_PORT), "-U", "postgres", "ocop"])

    def start_redis(self):
        run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                HOST,
                "--port",
                str(REDIS_PORT),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--pidfile",
                str(self.workdir / "redis.pid"),
                "--logfile",
                str(self.workdir / "redis.log"),
            ]
        )
        for _ in range(50):
            if (
                subprocess.run(
                    ["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True
                ).returncode
                == 0
            ):
                return
            time.sleep(0.1)

    def kill_redis(self):
        pid = int((self.workdir / "redis.pid").read_text())
        os.kill(pid, signal.SIGKILL)

    def manage(self, *args, **kwargs):
        return run([sys.executable, "manage.py", *args], env=self.env, **kwargs)

    def start_web(self):
        log = open(self.workdir / "gunicorn.log", "w")  # noqa: SIM115
        self.procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi",
                    "--workers",
                    "4",
                    "--bind",
                    f"{HOST}:{HTTP_PORT}",
                    "--timeout",
                    "120",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        )
        log = open(self.workdir / "worker.log", "w")  # noqa: SIM115
        self.worker_loop = subprocess.Popen(
            ["bash", "deploy/rqworker-loop.sh"],
            cwd=ROOT,
            env={**self.env, "PYTHON": sys.executable},
            stdout=log,
            stderr=log,
        )
        self.procs.append(self.worker_loop)
        for _ in range(120):
            try:
                if request("GET", "/api/v1/areas/?page_size=1")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer")

    def kill_worker(self) -> bool:
        """SIGKILL the rq worker the loop runs (the loop's child, found by the loop's id)."""
        found = subprocess.run(
            ["pgrep", "-P", str(self.worker_loop.pid)], capture_output=True, text=True
        ).stdout.split()
        for pid in found:
            os.kill(int(pid), signal.SIGKILL)
        return bool(found)

    def stop(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        try:
            self.kill_redis()
        except (OSError, ValueError):
            pass
        try:
            self.pg_ctl("stop", "-m", "fast")
        except subprocess.CalledProcessError:
            pass


def planner_token(stack: Stack) -> str:
    """A staff user in the planners group and its API token.

    The one place that knows how tokens are made (django-rest-knox: only a hash is stored, so a
    new token each run): a change of token scheme changes this function only.
    """
    code = (
        "from django.contrib.auth.models import Group, User\n"
        "from knox.models import AuthToken\n"
        "u, _ = User.objects.get_or_create(username='bench_planner', defaults={'is_staff': True})\n"
        "u.groups.add(Group.objects.get_or_create(name='planners')[0])\n"
        "print(AuthToken.objects.create(user=u)[1])\n"
    )
    out = stack.manage("shell", "-c", code, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


def request(method, path, body=None, token=None):
    conn = http.client.HTTPConnection(HOST, HTTP_PORT, timeout=TIMEOUT)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    if body is not None:
        body = json.dumps(body)
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, response.getheader("Content-Type") or "", data
    finally:
        conn.close()


def kind(content_type: str) -> str:
    if "json" in content_type:
        return "JSON"
    if "html" in content_type:
        return "HTML"
    return "other"


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.answers: Counter = Counter()

    def call(self, method, path, body=None, token=None):
        start = time.perf_counter()
        try:
            status, content_type, data = request(method, path, body, token)
        except OSError as exc:
            with self.lock:
                self.answers[f"connection error ({type(exc).__name__})"] += 1
            return None, None
        with self.lock:
            self.latencies.append(time.perf_counter() - start)
            self.answers[f"{status} {kind(content_type)}"] += 1
        return status, data


def reader(rec: Recorder, paths: list[str], stop: threading.Event, seed: int):
    rng = random.Random(seed)
    while not stop.is_set():
        rec.call("GET", rng.choice(paths))


class Writes:
    """PATCHes of capacity_per_month, each value unique; read back after the load."""

    def __init__(self, codes: list[str], token: str):
        self.codes, self.token = codes, token
        self.acked: dict[str, int] = {}
        self.later: dict[str, set[int]] = {}
        self.value = 100_000

    def loop(self, rec: Recorder, stop: threading.Event):
        i = 0
        while not stop.is_set():
            code = self.codes[i % len(self.codes)]
            i += 1
            self.value += 1
            status, _ = rec.call(
                "PATCH", f"/api/v1/products/{code}/", {"capacity_per_month": self.value}, self.token
            )
            if status == 200:
                self.acked[code] = self.value
                self.later[code] = set()
            else:  # unknown outcome: it may or may not have been written
                self.later.setdefault(code, set()).add(self.value)
            time.sleep(0.05)

    def lost(self) -> int:
        lost = 0
        for code, value in self.acked.items():
            status, _, data = request("GET", f"/api/v1/products/{code}/")
            found = json.loads(data)["capacity_per_month"] if status == 200 else None
            if found != value and found not in self.later.get(code, set()):
                lost += 1
        return lost


def jobs_loop(rec: Recorder, token: str, stop: threading.Event):
    """Allocations as jobs (background=always), each followed at its status URL."""
    while not stop.is_set():
        status, data = rec.call("POST", "/api/v1/allocations/", {"background": "always"}, token)
        if status == 202:
            job = json.loads(data)["job_id"]
            for _ in range(20):
                if stop.is_set():
                    break
                status, data = rec.call("GET", f"/api/v1/jobs/{job}/")
                if status == 200 and json.loads(data)["status"] in ("finished", "failed"):
                    break
                time.sleep(0.5)
        time.sleep(0.5)


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def phase(name, clients, seconds, paths, extra=(), events=()):
    rec, stop = Recorder(), threading.Event()
    threads = [threading.Thread(target=reader, args=(rec, paths, stop, n)) for n in range(clients)]
    threads += [threading.Thread(target=target, args=(rec, *args, stop)) for target, args in extra]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    done = []
    for at, label, action in events:
        time.sleep(max(0.0, start + at - time.monotonic()))
        result = action()
        done.append(f"{at:.0f} s {label}" + ("" if result is not False else " (nothing to do)"))
        print(f"  {name}: {at:.0f} s {label}", file=sys.stderr)
    time.sleep(max(0.0, start + seconds - time.monotonic()))
    stop.set()
    for thread in threads:
        thread.join(timeout=TIMEOUT + 5)
    elapsed = time.monotonic() - start
    return {"name": name, "clients": clients, "seconds": elapsed, "rec": rec, "events": done}


def report(results, lost):
    print("| phase | clients | requests/s | p50 ms | p95 ms | p99 ms | answers | HTML 500 |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for r in results:
        rec = r["rec"]
        total = sum(rec.answers.values())
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(rec.answers.items()))
        html500 = sum(v for k, v in rec.answers.items() if k.startswith("5") and "HTML" in k)
        ms = [1000 * percentile(rec.latencies, q) for q in (0.5, 0.95, 0.99)]
        print(
            f"| {r['name']} | {r['clients']} | {total / r['seconds']:.1f} | {ms[0]:.0f} | "
            f"{ms[1]:.0f} | {ms[2]:.0f} | {answers} | {html500} |"
        )
    for r in results:
        if r["events"]:
            print(f"\n{r['name']}: " + "; ".join(r["events"]) + ".")
    print(f"\nAcknowledged writes: {lost[0]}; lost: {lost[1]}.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", default="10,50")
    parser.add_argument("--fault-seconds", type=float, default=75)
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="ocop-faults-"))
    workdir.chmod(0o755)
    stack = Stack(workdir)
    try:
        print("setting up PostgreSQL, Redis, the demo", file=sys.stderr)
        stack.start_postgres()
        stack.start_redis()
        stack.manage("migrate", "--noinput", stdout=subprocess.DEVNULL)
        stack.manage("load_demo", stdout=subprocess.DEVNULL)
        stack.manage("collectstatic", "--noinput", stdout=subprocess.DEVNULL)
        token = planner_token(stack)
        stack.start_web()
        _, _, data = request("GET", "/api/v1/producers/?page_size=30")
        producers = [p["code"] for p in json.loads(data)["results"]]
        _, _, data = request("GET", "/api/v1/products/?page_size=40")
        products = [p["code"] for p in json.loads(data)["results"]]
        paths = ["/api/v1/products/?page_size=50", "/api/v1/analytics/coverage/"] + [
            f"/api/v1/recommendations/buyers/?producer={code}" for code in producers
        ]
        for path in paths:  # warm every worker a little (graph, ranking)
            request("GET", path)
        results = [phase("load", n, args.seconds, paths) for n in clients]
        writes = Writes(products, token)
        results.append(
            phase(
                "faults",
                clients[0],
                args.fault_seconds,
                paths,
                extra=[(writes.loop, ()), (jobs_loop, (token,))],
                events=[
                    (5, "Redis killed", stack.kill_redis),
                    (20, "Redis started", stack.start_redis),
                    (30, "PostgreSQL restarted", lambda: stack.pg_ctl("restart", "-m", "fast")),
                    (45, "job worker killed", stack.kill_worker),
                ],
            )
        )
        time.sleep(2)
        report(results, (len(writes.acked), writes.lost()))
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
