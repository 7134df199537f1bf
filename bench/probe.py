"""Benchmark: one probe round over 50 endpoints, concurrently, against real llama.cpp servers.

Endpoints: healthy (served by live servers), zombie (a SIGSTOPped server: TCP accepts, no
tokens) and down (a killed server's port). Two groups with different deadlines. Prints the time
to a verdict per class and checks the issue's budgets: every zombie within its deadline + 1 s,
the whole round within the longest deadline + 2 s. Needs the [probes-test] extra.

    python bench/probe.py [--endpoints 50] [--servers 4]
    python bench/probe.py --scale 5000      # jump-host cost only: refused ports, no servers
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import resource
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from probes.round import RunOptions  # noqa: E402
from probes.runner import run_round  # noqa: E402
from schemas.probe import TargetsFile  # noqa: E402

DEADLINES = {"a": 2.0, "b": 4.0}


def _llama_helpers():  # type: ignore[no-untyped-def]
    path = ROOT / "tests" / "integration" / "probes" / "probes_llama.py"
    spec = importlib.util.spec_from_file_location("probes_llama", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["probes_llama"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def targets_doc(live: list[str], zombie: str, down: str, n: int) -> dict[str, object]:
    """Of n endpoints: 60% healthy (spread over the live servers), 20% zombie, 20% down."""
    rows = []
    for i in range(n):
        kind = "healthy" if i % 5 < 3 else ("zombie" if i % 5 == 3 else "down")
        url = {"healthy": live[i % len(live)], "zombie": zombie, "down": down}[kind]
        rows.append(
            {
                "name": f"{kind}-{i:02d}",
                "url": url,
                "model": "tiny",
                "node": f"node{i:02d}",
                "group": "a" if i % 2 else "b",
                "extra_body": {"logit_bias": {"2": -100}},
            }
        )
    groups = {g: {"deadline_s": d, "connect_timeout_s": 1.0} for g, d in DEADLINES.items()}
    return {"targets": rows, "groups": groups}


def report(result, wall_s: float, cpu_s: float) -> bool:  # type: ignore[no-untyped-def]
    ok = True
    by_class: dict[str, list[tuple[float, str, str]]] = {}
    for env in result.probes:
        d = env.data
        by_class.setdefault(d.target.split("-")[0], []).append(
            (d.timings.e2e_ms / 1000, d.verdict.value, d.group)
        )
    print(f"{'class':<8} {'n':>3} {'verdicts':<18} {'p50 s':>7} {'max s':>7}  budget check")
    for cls, rows in sorted(by_class.items()):
        times = [t for t, _, _ in rows]
        verdicts = ",".join(sorted({v for _, v, _ in rows}))
        check = ""
        if cls == "zombie":
            late = [(t, g) for t, _, g in rows if t > DEADLINES[g] + 1.0]
            over = max(t - DEADLINES[g] for t, _, g in rows)
            check = f"verdict at most {over:.3f} s after its deadline; "
            check += "OK: all within deadline+1 s" if not late else f"LATE: {late}"
            ok &= not late and verdicts == "zombie"
        print(
            f"{cls:<8} {len(rows):>3} {verdicts:<18} {statistics.median(times):>7.3f} "
            f"{max(times):>7.3f}  {check}"
        )
    limit = max(DEADLINES.values()) + 2.0
    round_ok = wall_s <= limit
    ok &= round_ok
    print(
        f"round: {len(result.probes)} endpoints in {wall_s:.3f} s wall "
        f"(limit {limit:g} s: {'OK' if round_ok else 'OVER'}); jump-host CPU {cpu_s:.3f} s"
    )
    return ok


def scale(n: int) -> int:
    """The jump-host cost of a large round: n endpoints whose port refuses connections, each
    on its own node, fail_threshold 1 and no blast limit, so every node gets a planned cordon
    and an fsynced audit record. No servers are needed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rows = [{"name": f"t{i}", "url": f"http://127.0.0.1:{port}", "model": "m", "node": f"n{i}"}
            for i in range(n)]  # fmt: skip
    group = {"fail_threshold": 1, "max_cordon_fraction": 1, "max_cordon_count": n}
    tf = TargetsFile.model_validate({"targets": rows, "groups": {"default": group}})
    with tempfile.TemporaryDirectory(prefix="dgp-bench-") as tmp:
        opts = RunOptions(state_path=Path(tmp) / "s.json", audit_path=Path(tmp) / "a.jsonl")
        cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        result = asyncio.run(run_round(tf, opts))
        wall, cpu1 = time.monotonic() - t0, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(f"scale: {n} refused endpoints, {len(result.audits)} planned cordons audited: "
          f"round {wall:.2f} s wall, {cpu:.2f} s CPU")  # fmt: skip
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoints", type=int, default=50)
    ap.add_argument("--servers", type=int, default=4, help="live llama servers (plus 2 more)")
    ap.add_argument("--scale", type=int, default=0, help="only the jump-host cost of N endpoints")
    args = ap.parse_args()
    if args.scale:
        return scale(args.scale)
    llama = _llama_helpers()
    with tempfile.TemporaryDirectory(prefix="dgp-bench-") as tmp:
        d = Path(tmp)
        model = llama.write_tiny_gguf(d / "tiny.gguf")
        servers = []
        try:
            for _ in range(args.servers + 2):
                servers.append(llama.start_server(model, d))
            live, zombie, dead = servers[:-2], servers[-2], servers[-1]
            zombie.pause()
            dead.stop()
            tf = TargetsFile.model_validate(
                targets_doc([s.url for s in live], zombie.url, dead.url, args.endpoints)
            )
            opts = RunOptions(state_path=d / "state.json", audit_path=d / "audit.jsonl")
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.monotonic()
            result = asyncio.run(run_round(tf, opts))
            wall = time.monotonic() - t0
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        finally:
            for s in servers:
                s.stop()
        print(
            f"{args.endpoints} endpoints, {args.servers} live llama.cpp servers + 1 SIGSTOPped"
            f" + 1 killed; deadlines {DEADLINES}"
        )
        return 0 if report(result, wall, cpu) else 1


if __name__ == "__main__":
    sys.exit(main())
