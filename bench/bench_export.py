"""What a whole-registry export costs the process that answers it: wall and CPU time per request.

    DATABASE_URL=sqlite:////tmp/sec_io.sqlite3 python bench/bench_export.py [--repeat 3]
    # the job path: with a queue and a worker (EXPORT_DIR shared with it)
    REDIS_URL=redis://127.0.0.1:6379/12 EXPORT_DIR=/tmp/sec_io_exports ... rqworker default &
    REDIS_URL=redis://127.0.0.1:6379/12 EXPORT_DIR=/tmp/sec_io_exports ... bench/bench_export.py

The database must hold a registry (``manage.py migrate && manage.py load_demo`` for the Hà Nội
demo). Requests go through Django's test client in this process (no server, no network), so the
CPU time measured (``time.process_time``) is the request's own. For each export URL: an anonymous
GET, then a signed-in GET (a planner account), then the same signed-in GET again, then a GET
after a write has moved the registry's version on. A 202 is followed to its ``jobs/<id>/`` and
the download URL the job gives. One cheap request warms the process first (URLs, views, their
libraries). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# The files go to a fresh folder of their own, not the project's var/exports.
os.environ.setdefault("EXPORT_DIR", tempfile.mkdtemp(prefix="bench_export_"))

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from linkage import graph_cache  # noqa: E402

URLS = ["/api/v1/export.xlsx", "/api/v1/export/products.csv", "/api/v1/export/linkages.xlsx"]


def timed(client: APIClient, url: str):
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    return response, time.perf_counter() - wall, time.process_time() - cpu


def follow(client: APIClient, response):
    """A 202's job status, then the file it names: [(what, response, wall, cpu)]."""
    steps = []
    if response.status_code != 202:
        return steps
    started = time.perf_counter()
    while True:
        status, wall, cpu = timed(client, response.json()["status_url"])
        if status.json()["status"] in ("finished", "failed") or time.perf_counter() > started + 300:
            break
        time.sleep(0.1)
    steps.append(
        (f"job done after {time.perf_counter() - started:.1f} s; status", status, wall, cpu)
    )
    result = status.json().get("result") or {}
    if result.get("download_url"):
        download, wall, cpu = timed(client, result["download_url"])
        steps.append(("download", download, wall, cpu))
    return steps


def planner_client() -> APIClient:
    user, _ = User.objects.get_or_create(username="bench_export_planner")
    user.groups.add(Group.objects.get_or_create(name="planners")[0])
    client = APIClient()
    client.force_authenticate(user)
    return client


def row(url, who, response, wall, cpu) -> str:
    size = len(response.content) if not getattr(response, "streaming", False) else None
    if size is None:
        size = sum(len(chunk) for chunk in response.streaming_content)
    return (
        f"| `{url.removeprefix('/api/v1/')}` | {who} | {response.status_code} | "
        f"{wall * 1000:,.0f} | {cpu * 1000:,.0f} | {size:,} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="rounds over the URLs")
    args = parser.parse_args()
    anonymous, signed_in = APIClient(), planner_client()
    # The process's first request loads the URLs, the views and their libraries: not counted.
    anonymous.get("/api/v1/areas/", {"page_size": 1})
    print("| URL | request | status | wall ms | CPU ms | bytes |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for _ in range(args.repeat):
        for url in URLS:
            print(row(url, "anonymous", *timed(anonymous, url)))
            for label in ("signed in, first", "signed in, again"):
                response, wall, cpu = timed(signed_in, url)
                print(row(url, label, response, wall, cpu))
                for what, *measured in follow(signed_in, response):
                    print(row(url, f"… {what}", *measured))
            graph_cache.bump_version()  # as a write does
            response, wall, cpu = timed(signed_in, url)
            print(row(url, "signed in, after a write", response, wall, cpu))
            for what, *measured in follow(signed_in, response):
                print(row(url, f"… {what}", *measured))


if __name__ == "__main__":
    main()
