#!/usr/bin/env bash
# Mutation testing of the safety-critical modules (breaker, hysteresis, verdicts, exit codes,
# envelope bounding, redaction) with mutmut; the modules and the unit tests that guard them are
# [tool.mutmut] in pyproject.toml. Prints the score per module and every surviving mutant;
# exits 1 when a mutant survived that docs/development.md does not list as equivalent.
#   bash scripts/mutation.sh            # ~10 min on 2 cores (needs the dev extra in ./.venv)
#   bash scripts/mutation.sh --keep     # reuse mutants/ from the last run (only re-checks)
#   bash scripts/mutation.sh diag.redact lifecycle.phases   # only these modules' mutants
# With modules named, only their mutants run and only they are scored and judged.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--keep" ]; then shift; else rm -rf mutants; fi
patterns=()
for module in "$@"; do patterns+=("$module.*"); done
.venv/bin/mutmut run --max-children "${MUTATION_JOBS:-$(nproc)}" "${patterns[@]}" >/dev/null
MUTATION_MODULES="$*" .venv/bin/python - <<'PY'
import json, os, pathlib, re, sys
selected = os.environ["MUTATION_MODULES"].split()
killed = {"killed": (1, 3), "timeout": (24, -24, 36, 152, 255), "no tests": (5, 33)}
rows, survivors = [], []
for meta in sorted(pathlib.Path("mutants").rglob("*.py.meta")):
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    module = meta.relative_to("mutants").as_posix().removesuffix(".meta")
    if selected and module.removesuffix(".py").replace("/", ".") not in selected:
        continue
    dead = sum(1 for c in codes.values() if c in killed["killed"] + killed["timeout"])
    untested = sorted(k for k, c in codes.items() if c in killed["no tests"])
    alive = sorted(k for k, c in codes.items() if c not in killed["killed"] + killed["timeout"])
    survivors += alive
    rows.append((module, len(codes), dead, len(alive), len(untested)))
print(f"{'module':24} {'mutants':>7} {'killed':>6} {'survived':>8} {'no test':>7} {'score':>6}")
for module, total, dead, alive, untested in rows:
    score = f"{100 * dead / total:.1f}%" if total else "-"
    print(f"{module:24} {total:7} {dead:6} {alive:8} {untested:7} {score:>6}")
doc = pathlib.Path("docs/development.md").read_text()
justified = set(re.findall(r"`([a-z_.]+__mutmut_\d+)`", doc))
unexplained = [s for s in survivors if s not in justified]
for name in survivors:
    print(("  equivalent " if name in justified else "  SURVIVED   ") + name)
print(f"{len(survivors)} survived, {len(unexplained)} not explained in docs/development.md")
sys.exit(1 if unexplained else 0)
PY
