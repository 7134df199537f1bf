#!/usr/bin/env python3
"""NCCL all-reduce load over every GPU of the host for --seconds (device runs only; NVLink
multicast stays off: NCCL_NVLS_ENABLE=0). Prints the achieved bus bandwidth per rank."""

from __future__ import annotations

import argparse
import os
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def work(rank: int, world: int, seconds: float) -> None:
    os.environ.setdefault("NCCL_NVLS_ENABLE", "0")
    dist.init_process_group(
        "nccl", init_method="tcp://127.0.0.1:29511", rank=rank, world_size=world
    )
    torch.cuda.set_device(rank)
    x = torch.ones(256 << 20, dtype=torch.float32, device="cuda")  # 1 GiB
    n, t0 = 0, time.time()
    while time.time() - t0 < seconds:
        dist.all_reduce(x)
        n += 1
    torch.cuda.synchronize()
    dt = time.time() - t0
    busbw = 2 * (world - 1) / world * x.numel() * 4 * n / dt / 1e9
    print(f"rank {rank}: {n} all-reduces of 1 GiB in {dt:.1f} s, bus bandwidth {busbw:.0f} GB/s")
    dist.destroy_process_group()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()
    world = torch.cuda.device_count()
    mp.spawn(work, args=(world, args.seconds), nprocs=world)


if __name__ == "__main__":
    main()
