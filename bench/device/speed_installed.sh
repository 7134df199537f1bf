set -u
BASE=$(python3 -c 'import sys; print(sys._base_executable)')
echo "base=$BASE"; $BASE --version
$BASE -m venv --without-pip /tmp/dv && python3 -m pip --python /tmp/dv/bin/python install -q --no-index --find-links .whl diagctl 2>&1 | tail -3
/tmp/dv/bin/diagctl version
echo "== installed venv (as install.sh makes one)"
timeout 120 python3 bench/health_local.py --runs 15 --diagctl /tmp/dv/bin/diagctl
PATH=/tmp/dv/bin:$PATH timeout 90 python3 bench/reset_reason.py --runs 15
echo "== importtime reset-reason"
/tmp/dv/bin/python -X importtime -m diag.cli reset-reason --local --json 2>&1 >/dev/null | sort -t'|' -k2 -n -r | head -15
