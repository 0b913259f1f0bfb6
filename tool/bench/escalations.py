"""Requests sent by `gitdesk escalations sync` for N escalated tickets, first run and re-run.

Runs the real CLI in a subprocess against the local GitHub REST server from the
tests and counts what reaches it. The claim under test: a re-run with nothing
changed sends no writes, and its reads grow with pages (100 issues each), not
with tickets.

    .venv/bin/python tool/bench/escalations.py --tickets 1000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tool"))

from tests.github_server import FakeGitHub  # noqa: E402

NOW = "2026-11-20T06:00:00Z"
CREATED = "2026-11-20T05:30:00Z"  # 30 min before NOW: a P1's 15 min first response is breached


def tracker(folder: Path, escalated: int, quiet: int) -> None:
    (folder / "tickets").mkdir(parents=True)
    (folder / "tickets" / "config.yml").write_text((ROOT / "tickets" / "config.yml").read_text())
    for n in range(1, escalated + quiet + 1):
        priority, created = ("P1", CREATED) if n <= escalated else ("P4", NOW)
        (folder / "tickets" / f"T-{n}-outage.md").write_text(
            f"---\nid: T-{n}\ntitle: Outage {n}\ntype: incident\nstatus: new\npriority: {priority}\n"
            f"requester: budi\nteam: it-helpdesk\ncreated: {created}\nhistory:\n"
            f"  - {{at: {created}, by: budi, event: created}}\n---\nDown.\n"
        )


def run(folder: Path, gh: FakeGitHub) -> tuple[float, dict[str, int]]:
    env = {**os.environ, "GITHUB_TOKEN": gh.token, "GITHUB_REPOSITORY": "acme/helpdesk",
           "GITHUB_API_URL": gh.url, "GITDESK_NOW": NOW, "GITDESK_USER": "sari"}  # fmt: skip
    gh.clear_requests()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gitdesk", "-C", str(folder), "escalations", "sync"],
                   env=env, check=True, capture_output=True)  # fmt: skip
    seconds = time.perf_counter() - start
    counts: dict[str, int] = {}
    for request in gh.requests:
        counts[request.method] = counts.get(request.method, 0) + 1
    return seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000, help="escalated tickets")
    parser.add_argument("--quiet", type=int, default=1000, help="tickets within their SLA")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeGitHub(repo="acme/helpdesk") as gh:
        folder = Path(tmp) / "desk"
        tracker(folder, args.tickets, args.quiet)
        first = run(folder, gh)
        again = run(folder, gh)
        opened = sum(1 for issue in gh.issues.values() if issue["state"] == "open")
    pages = -(-args.tickets // 100)
    print(f"{args.tickets} escalated + {args.quiet} quiet tickets; {opened} open issues afterwards")
    print("| run | seconds | GET | POST | PATCH | writes per ticket |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, (seconds, counts) in (("first", first), ("re-run", again)):
        writes = counts.get("POST", 0) + counts.get("PATCH", 0)
        print(f"| {name} | {seconds:.2f} | {counts.get('GET', 0)} | {counts.get('POST', 0)} | "
              f"{counts.get('PATCH', 0)} | {writes / args.tickets:.3f} |")  # fmt: skip
    print(f"pages of 100 issues: {pages}")


if __name__ == "__main__":
    main()
