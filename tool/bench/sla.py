"""`gitdesk sla --json` on trackers of open tickets, cold and warm, beside the parse floor.

    .venv/bin/python tool/bench/sla.py [--sizes 10000,100000] [--runs 5]

Every ticket of these trackers is open (tool/bench/out/trackers/open-N, made
on first use with `generate.py --open-share 1 --branches 0`), so N tickets
means N pairs of clocks. The floor is the same as run.py's: reading every
ticket and parsing its front matter with PyYAML's C loader in one plain loop.
Each of --runs turns (one from 50k tickets on) times the floor, a cold run
(no cache) and three warm runs; the table gives medians, and the cold ratio
is the median of each turn's cold / floor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import FLOOR, NOW, USER, USER_LESS  # noqa: E402


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and the child's peak RSS in MB."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed")
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    gitdesk = str(Path(sys.executable).parent / "gitdesk")
    print(
        "| tickets | open | events per ticket | floor | sla --json cold | sla --json warm | peak RSS cold |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for size in (int(s) for s in args.sizes.split(",")):
        root = HERE / "out" / "trackers" / f"open-{size}"
        if not (root / ".git" / "gitdesk-bench.json").is_file():
            subprocess.run([sys.executable, str(HERE / "generate.py"), str(root), "--tickets", str(size),
                            "--branches", "0", "--commits", "100", "--open-share", "1", "--force"],
                           check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        with tempfile.TemporaryDirectory() as cache:
            env = {k: v for k, v in os.environ.items() if k not in USER_LESS}  # as users have it
            env.update(GITDESK_NOW=NOW, GITDESK_USER=USER, GITDESK_CACHE_DIR=cache)
            subprocess.run([gitdesk, "--version"], env=env, check=True, stdout=subprocess.DEVNULL)
            runs = args.runs if size < 50_000 else 1
            facts = json.loads((root / ".git" / "gitdesk-bench.json").read_text())
            events = facts["events"] / facts["tickets"]
            # Floor, cold and warm runs take turns, so a slow spell of this shared
            # machine falls on all three alike; the ratio is the median of each turn's.
            floors, cold, warm, ratios, rss = [], [], [], [], 0.0
            for _ in range(runs):
                floors.append(timed([sys.executable, "-c", FLOOR, str(root)], env)[0])
                for leftover in Path(cache).iterdir():
                    leftover.unlink()
                seconds, peak = timed([gitdesk, "-C", str(root), "sla", "--json"], env)
                cold.append(seconds)
                ratios.append(seconds / floors[-1])
                rss = max(rss, peak)
                warm += [timed([gitdesk, "-C", str(root), "sla", "--json"], env)[0] for _ in range(3)]
            out = subprocess.run(
                [gitdesk, "-C", str(root), "sla", "--json"], env=env, capture_output=True, text=True
            )
            opened = out.stdout.count('"first_response"')
        c, w, floor = statistics.median(cold), statistics.median(warm), statistics.median(floors)
        row = [
            f"{size:,}",
            f"{opened:,}",
            f"{events:.1f}",
            f"{floor:.2f} s",
            f"{c:.2f} s ({statistics.median(ratios):.2f}x)",
            f"{w:.2f} s",
        ]
        print("| " + " | ".join([*row, f"{rss:.0f} MB"]) + " |")


if __name__ == "__main__":
    main()
