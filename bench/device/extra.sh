#!/usr/bin/env bash
# Called by bench/device/h200.sh with the work directory and the GPU count. Each step is
# bounded by `timeout`; a failing step is logged and the next one runs.
W=$1; NG=$2; D=/tmp/v/bin/diagctl
ONLY=${ONLY:-}  # ONLY=mu: the Model-Unit steps alone; ONLY=speed: the timings alone
step() { echo; echo "== $* ($(date +%T))"; }
if [ -z "$ONLY" ] || [ "$ONLY" = speed ]; then
step speed: health --local, --help, version next to python3 -c pass and the stand-in
timeout 120 python3 bench/health_local.py --runs 15 --diagctl "$D"
step speed: reset-reason --local next to its stand-in
PATH=/tmp/v/bin:$PATH timeout 90 python3 bench/reset_reason.py --runs 10
fi
if [ -z "$ONLY" ]; then
step bundle --local
timeout 180 "$D" bundle --local --out "$W/bundle" --json > "$W/bundle.jsonl"; echo "exit $?"
head -c 2000 "$W/bundle.jsonl"; echo
step reset-reason --local
timeout 60 "$D" reset-reason --local --json --out "$W/reset" > "$W/reset.jsonl"; echo "exit $?"
head -c 3000 "$W/reset.jsonl"; echo
fi
if [ -z "$ONLY" ] || [ "$ONLY" = mu ]; then
step mu: GPU token server, 8B-parameter Llama shape, bf16, random weights
python3 tests/device/gpu_openai_server.py --port 8090 --size 8b > "$W/server.log" 2>&1 &
SRV=$!
GET='import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())'
for _ in $(seq 1 240); do python3 -c "$GET" http://127.0.0.1:8090/v1/models >/dev/null 2>&1 && break; sleep 1; done
python3 -c "$GET" http://127.0.0.1:8090/version
step mu calibrate
timeout 240 "$D" mu calibrate --url http://127.0.0.1:8090 --model llama-8b-random \
  --hardware h200 --reference h200 --prompt-words 256,1024,4096,8192 --output-tokens 8,48,128 \
  --repeat 2 --out "$W/mu-h200.yaml"; echo "exit $?"
cat "$W/mu-h200.yaml"
step mu decay against the same endpoint
timeout 120 "$D" mu decay --url http://127.0.0.1:8090 --model llama-8b-random --hardware h200 \
  --node dev-h200 --calibration "$W/mu-h200.yaml" --json > "$W/mu-decay.jsonl"; echo "exit $?"
head -c 1500 "$W/mu-decay.jsonl"; echo
kill $SRV; wait $SRV 2>/dev/null
fi
if [ "$NG" -ge 2 ] && [ -z "$ONLY" ]; then
  step health under NCCL all-reduce load on $NG GPUs
  nvidia-smi nvlink -e > "$W/nvlink-e-before.txt" 2>&1
  timeout 150 python3 bench/device/nccl_load.py --seconds 60 > "$W/nccl.log" 2>&1 &
  LOAD=$!
  sleep 20
  for i in 1 2 3; do
    timeout 60 "$D" health --local --expect-gpus "$NG" --json --out "$W/health-load-$i" \
      > "$W/health-load-$i.jsonl"; echo "health under load $i: exit $?"
    sleep 5
  done
  wait $LOAD; cat "$W/nccl.log"
  nvidia-smi nvlink -e > "$W/nvlink-e-after.txt" 2>&1
fi
step done
