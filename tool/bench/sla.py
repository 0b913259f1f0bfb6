"""`gitdesk sla --json` on the generated trackers, cold and warm, beside the parse floor.

    .venv/bin/python tool/bench/sla.py [--sizes 10000,100000] [--runs 3]

Uses the trackers tool/bench/run.py generates (tool/bench/out/trackers/N; run
that first). The floor is the same as run.py's: reading every ticket and
parsing its front matter with PyYAML's C loader in one plain loop.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import FLOOR, NOW, USER  # noqa: E402


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
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    gitdesk = str(Path(sys.executable).parent / "gitdesk")
    print("| tickets | open | floor | sla --json cold | sla --json warm | peak RSS cold |")
    print("| --- | --- | --- | --- | --- | --- |")
    for size in (int(s) for s in args.sizes.split(",")):
        root = HERE / "out" / "trackers" / str(size)
        if not root.is_dir():
            raise SystemExit(f"no tracker at {root}; run tool/bench/run.py --sizes {size} first")
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "GITDESK_NOW": NOW, "GITDESK_USER": USER, "GITDESK_CACHE_DIR": cache}
            runs = args.runs if size < 50_000 else 1
            floor = statistics.median(
                timed([sys.executable, "-c", FLOOR, str(root)], env)[0] for _ in range(runs)
            )
            cold, warm, rss = [], [], 0.0
            for _ in range(runs):
                for leftover in Path(cache).iterdir():
                    leftover.unlink()
                seconds, peak = timed([gitdesk, "-C", str(root), "sla", "--json"], env)
                cold.append(seconds)
                rss = max(rss, peak)
                warm.append(timed([gitdesk, "-C", str(root), "sla", "--json"], env)[0])
            out = subprocess.run(
                [gitdesk, "-C", str(root), "sla", "--json"], env=env, capture_output=True, text=True
            )
            opened = out.stdout.count('"first_response"')
        c, w = statistics.median(cold), statistics.median(warm)
        row = [f"{size:,}", f"{opened:,}", f"{floor:.2f} s", f"{c:.2f} s ({c / floor:.2f}x)", f"{w:.2f} s"]
        print("| " + " | ".join([*row, f"{rss:.0f} MB"]) + " |")


if __name__ == "__main__":
    main()
