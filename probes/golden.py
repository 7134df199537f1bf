"""Record golden texts: probe every target once (no state, no actions) and write the targets
file back with `golden_text` set for each healthy target. With temperature 0 and a fixed seed
the same model and engine give the same text; a GPU producing garbage then fails the probe."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml

from diag.files import atomic_write
from probes.client import TEXT_KEEP, probe
from probes.verdict import judge
from schemas.probe import TargetsFile, Verdict


async def record(tf: TargetsFile) -> tuple[TargetsFile, list[str]]:
    """A copy of `tf` with golden texts, and one note per target that could not be recorded."""
    outs = await asyncio.gather(
        *(probe(t, tf.group(t.group).deadline_s, tf.group(t.group).connect_timeout_s)
          for t in tf.targets)
    )  # fmt: skip
    notes, targets = [], []
    for t, o in zip(tf.targets, outs, strict=True):
        verdict, why = judge(o, t.model_copy(update={"golden_text": None}), tf.group(t.group))
        text = o.timings.text
        if verdict is not Verdict.HEALTHY:
            notes.append(f"{t.name}: not recorded, {verdict.value}: {why}")
        elif len(text) >= TEXT_KEEP:
            notes.append(f"{t.name}: not recorded, text longer than {TEXT_KEEP} characters")
        else:
            t = t.model_copy(update={"golden_text": text})
        targets.append(t)
    return tf.model_copy(update={"targets": targets}), notes


def dump(tf: TargetsFile) -> str:
    """YAML of the targets file without the defaults (comments in the original are not kept)."""
    return yaml.safe_dump(tf.model_dump(mode="json", exclude_defaults=True), sort_keys=False)


def write(path: Path, tf: TargetsFile) -> None:
    atomic_write(path, dump(tf).encode())
