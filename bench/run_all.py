"""End-to-end benchmark: the whole ``audit run`` on generated corpora of growing size.

For each size it generates (once, cached under ``bench/out/corpora/``) a corpus of
~400-word articles with known copies and flaws (``bench/corpus.py``), runs the full
``audit run`` in a child process (read, parse, signals, dedup, suites, gate, report,
every output file), and prints:

- documents per second, end to end (wall clock of the child, start-up included);
- CPU seconds (user and system) of all the run's local processes (not those of
  a remote Dask scheduler's workers), a second view beside the wall clock;
- seconds per stage, from ``run.stages`` of the run's results.json (``chunks.*``
  are seconds of work summed over the worker processes; ``write.*`` the writers
  of the run folder, where ``write.results`` (results.json and the jsonl files)
  runs beside JUnit, the summary and the report, and ``write.wait`` is what it
  then waited for them; ``other`` is the rest of the wall clock: start-up, the
  text listing, and the exit);
- peak memory: of the whole process tree (the driver and its workers, polled
  every 0.2 s with psutil; proportional set size, so that pages a forked worker
  shares with the driver count once) and the peak RSS of the largest process;
- the driver's peak RSS as each stage ended (``run.stage_peak_mb``), which
  shows the stage that raised it;
- the scaling ratio between consecutive sizes: (time ratio) / (size ratio), where
  1.0 is a flat cost per document;

then the MinHash side-by-side benchmark (``bench/bench_minhash.py``) when present,
and a verdict against the targets.

Usage::

    python bench/run_all.py                      # 10k and 100k documents
    python bench/run_all.py --sizes 10k,100k,1M  # the full set (about 20 minutes)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from corpus import write_corpus  # noqa: E402

# (documents, seconds, bytes of peak RSS of the process tree)
TARGETS = {100_000: (60.0, 2 * 1024**3), 1_000_000: (12 * 60.0, 4 * 1024**3)}
MAX_SCALING = 1.1  # 10x the documents in at most 11x the time


@dataclass
class Measure:
    """One run of one size."""

    docs: int
    seconds: float
    tree_rss: int
    max_rss: int
    exit_code: int
    stages: dict[str, float] = field(default_factory=dict)
    peaks: dict[str, int] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # user + system, every process of the run

    @property
    def rate(self) -> float:
        """Documents per second."""
        return self.docs / self.seconds if self.seconds else 0.0


def parse_size(text: str) -> int:
    """``10k`` -> 10000, ``1M`` -> 1000000, ``2500`` -> 2500."""
    t = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def label(n: int) -> str:
    """1000000 -> '1M', 100000 -> '100k'."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


class TreePeak:
    """Polls the memory of a process and its descendants until stopped."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.proc = psutil.Process(pid)
        self.every = every
        self.tree = 0
        self.single = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
            except psutil.Error:
                return
            total = 0
            for p in procs:
                try:
                    full = p.memory_full_info()
                except psutil.Error:
                    continue
                total += getattr(full, "pss", full.rss)
                self.single = max(self.single, full.rss)
            self.tree = max(self.tree, total)
            self._stop.wait(self.every)

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        self._thread.join()


def read_run(results_json: Path) -> dict[str, Any]:
    """The ``run`` object of a (possibly huge) results.json, read from its head."""
    with results_json.open(encoding="utf-8") as fh:
        head = fh.read(1 << 20)
    start = head.index('"run":') + len('"run":')
    run, _ = json.JSONDecoder().raw_decode(head[start:].lstrip())
    return dict(run)


def run_once(corpus: Path, out: Path, docs: int, args: argparse.Namespace) -> Measure:
    """One ``audit run`` over ``corpus`` in a child process."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [
        sys.executable,
        "-m",
        "audit",
        "run",
        str(corpus / "input"),
        "--out",
        str(out),
        "--jobs",
        str(args.jobs),
        "--engine",
        args.engine,
        "--fail-on",
        "never",
        "--quiet",
    ]
    if args.scheduler:
        cmd += ["--scheduler", args.scheduler]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    cpu0 = _children_cpu()
    with open(os.devnull, "w") as devnull:
        proc = subprocess.Popen(cmd, stdout=devnull, stderr=subprocess.PIPE, text=True, env=env)
        peak = TreePeak(proc.pid)
        _, err = proc.communicate()
        peak.stop()
    seconds = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"audit run failed ({proc.returncode}): {err.strip()[-2000:]}")
    run = read_run(out / "latest" / "results.json")
    stages = dict(run.get("stages", {}))
    # the driver's stages, and its wait for a duplicate search run beside the suites
    timed = sum(v for k, v in stages.items() if "." not in k) + stages.get("dedup.wait", 0.0)
    writers = writers_wall(stages)
    stages["other"] = round(max(seconds - timed - writers, 0.0), 3)
    peaks = {k: int(v) for k, v in run.get("stage_peak_mb", {}).items()}
    return Measure(docs, seconds, peak.tree, peak.single, proc.returncode, stages, peaks, cpu)


def _children_cpu() -> float:
    """CPU seconds of this process's finished children and their descendants (each of the
    run's processes is waited for by its parent, so all of them count)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def writers_wall(stages: dict[str, float]) -> float:
    """Seconds of wall clock the writers of the run folder took: with the results pass
    timed, that pass and the wait for the writers that ran beside it (their own
    times overlap it); else the writers one after the other."""
    if "write.results" in stages:
        return stages["write.results"] + stages.get("write.wait", 0.0)
    return sum(v for k, v in stages.items() if k.startswith("write."))


def table(measures: list[Measure]) -> str:
    """The figures as a Markdown table."""
    stage_names: list[str] = []
    for m in measures:
        for k in m.stages:
            if k not in stage_names:
                stage_names.append(k)
    head = ["", *(label(m.docs) for m in measures)]
    rows = [
        ["documents/s", *(f"{m.rate:,.0f}" for m in measures)],
        ["wall seconds", *(f"{m.seconds:,.1f}" for m in measures)],
        ["CPU seconds, all processes", *(f"{m.cpu_seconds:,.1f}" for m in measures)],
        ["peak memory, process tree", *(f"{m.tree_rss / 1024**2:,.0f} MB" for m in measures)],
        ["peak RSS, largest process", *(f"{m.max_rss / 1024**2:,.0f} MB" for m in measures)],
    ]
    ratios = [""] + [
        f"{(m.seconds / prev.seconds) / (m.docs / prev.docs):.2f}"
        for prev, m in itertools.pairwise(measures)
    ]
    rows.append(["scaling vs previous size", *ratios])
    for name in stage_names:
        rows.append([f"s {name}", *(f"{m.stages.get(name, 0.0):,.2f}" for m in measures)])
    peak_names = list(dict.fromkeys(k for m in measures for k in m.peaks))
    for name in peak_names:
        cells = (f"{m.peaks[name]:,} MB" if name in m.peaks else "" for m in measures)
        rows.append([f"driver peak RSS after {name}", *cells])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def verdicts(measures: list[Measure]) -> list[str]:
    """Each target, met or not, with the figure reached."""
    out = []
    for m in measures:
        if m.docs in TARGETS:
            secs, rss = TARGETS[m.docs]
            out.append(
                f"{label(m.docs)}: {m.seconds:,.1f} s (target < {secs:,.0f} s) "
                f"{'met' if m.seconds < secs else 'MISSED'}; peak memory "
                f"{m.tree_rss / 1024**3:.2f} GB (target < {rss / 1024**3:.0f} GB) "
                f"{'met' if m.tree_rss < rss else 'MISSED'}"
            )
    for prev, m in itertools.pairwise(measures):
        ratio = (m.seconds / prev.seconds) / (m.docs / prev.docs)
        out.append(
            f"scaling {label(prev.docs)}->{label(m.docs)}: {ratio:.2f} per document "
            f"(target <= {MAX_SCALING}) {'met' if ratio <= MAX_SCALING else 'MISSED'}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k", help="comma-separated, e.g. 10k,100k,1M")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--engine", default="local", choices=("local", "dask"))
    parser.add_argument("--scheduler", default=None)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--data", type=Path, default=BENCH / "out", help="corpora and runs")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--no-minhash", action="store_true", help="skip bench_minhash.py")
    parser.add_argument(
        "--minhash-args", default="", help="arguments for bench_minhash.py, e.g. '--docs 5000'"
    )
    args = parser.parse_args(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    info = machine()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB, "
        f"Python {info['python']}, load average {info['load_average']}"
    )
    print(f"engine: {args.engine}, jobs: {args.jobs}")
    measures = []
    for n in sizes:
        folder = args.data / "corpora" / label(n)
        t0 = time.perf_counter()
        manifest = write_corpus(folder, n, seed=args.seed)
        made = time.perf_counter() - t0
        print(
            f"corpus {label(n)}: {manifest.bytes / 1024**2:,.0f} MB, "
            f"{manifest.words / n:,.0f} words per document ({made:,.1f} s to prepare)"
        )
        m = run_once(folder, args.data / "runs" / label(n), n, args)
        print(f"  audit run: {m.seconds:,.1f} s, {m.rate:,.0f} documents/s")
        measures.append(m)
    print()
    print(table(measures))
    print()
    for line in verdicts(measures):
        print(line)
    minhash = BENCH / "bench_minhash.py"
    if minhash.is_file() and not args.no_minhash:
        print("\nMinHash side by side (bench/bench_minhash.py):", flush=True)
        subprocess.run(
            [sys.executable, str(minhash), *shlex.split(args.minhash_args)],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
    if args.json:
        data = {
            "machine": info,
            "engine": args.engine,
            "jobs": args.jobs,
            "runs": [m.__dict__ for m in measures],
            "verdicts": verdicts(measures),
        }
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
