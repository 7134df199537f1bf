set -u
BASE=$(python3 -c 'import sys; print(sys._base_executable)')
echo "base=$BASE"; $BASE --version
$BASE -m venv --without-pip /tmp/dv && python3 -m pip --python /tmp/dv/bin/python install -q --no-index --find-links .whl diagctl 2>&1 | tail -3
/tmp/dv/bin/diagctl version
echo "== installed venv (as install.sh makes one)"
timeout 120 python3 bench/health_local.py --runs 15 --diagctl /tmp/dv/bin/diagctl
timeout 90 python3 bench/reset_reason.py --runs 15 --diagctl /tmp/dv/bin/diagctl
if [ -d .whl/before ]; then  # an earlier wheel: the same commands before and after, interleaved
    echo "== before (.whl/before) and after, installed alike"
    $BASE -m venv --without-pip /tmp/dvb && python3 -m pip --python /tmp/dvb/bin/python install -q --no-index --find-links .whl .whl/before/diagctl-*.whl 2>&1 | tail -3
    timeout 200 python3 bench/startup_compare.py --before /tmp/dvb/bin/diagctl --after /tmp/dv/bin/diagctl --runs 21
fi
[ "${PROFILE:-0}" = 1 ] && bash bench/device/profile_local.sh  # import time per module
