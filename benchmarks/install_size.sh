#!/usr/bin/env bash
# Install size and time of the README's main command,
#   python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/posecoach demo
# before posecoach ran the pose model itself (commit 5f6115f, mediapipe 0.10.21, which has no
# wheel past Python 3.12) and after (this working tree), each in a copy of its own under /tmp:
#
#   benchmarks/install_size.sh                  # before with Python 3.11; after with 3.13, 3.10
#   benchmarks/install_size.sh one DIR PYTHON   # the command in DIR (a copy of the project)
#
# For each: the time of each step (wall, and CPU in cores), the venv's size (du), the packages
# in it (pip list: all of them, and those posecoach pulled in: without pip, setuptools, wheel
# and posecoach), and how busy the rest of the machine was ("others", in cores, from
# /proc/stat). The install runs twice: cold (an empty pip cache: every wheel downloaded from
# the indexes pip is configured with) and warm (the same again, every wheel from that cache),
# so the network's share shows. The demo runs without a screen (DISPLAY unset: no window).
# Python's at ~/.pyenv/versions/X.Y.Z/bin/python3 unless BEFORE_PYTHON, AFTER_PYTHONS say.
# Nothing is measured in the repository itself; the copies are left in /tmp for a look.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BEFORE_COMMIT=${BEFORE_COMMIT:-5f6115f}
BEFORE_PYTHON=${BEFORE_PYTHON:-$HOME/.pyenv/versions/3.11.7/bin/python3}
AFTER_PYTHONS=${AFTER_PYTHONS:-"$HOME/.pyenv/versions/3.13.0/bin/python3 $HOME/.pyenv/versions/3.10.13/bin/python3"}
WORK=${WORK:-/tmp/posecoach-install-size}

busy_jiffies() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# step NAME COMMAND...: run it, timed; prints "NAME wall s, CPU cores, others cores".
step() {
    local name=$1
    shift
    local before after hz=$(getconf CLK_TCK) cores=$(nproc)
    before=$(busy_jiffies)
    /usr/bin/time -f "%e %U %S" -o "$LOGS/$name.time" "$@" >"$LOGS/$name.log" 2>&1 || {
        echo "  $name FAILED (see $LOGS/$name.log):" >&2
        tail -5 "$LOGS/$name.log" >&2
        return 1
    }
    after=$(busy_jiffies)
    read -r wall user sys <"$LOGS/$name.time"
    awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v b="$before" -v a="$after" \
        -v hz="$hz" -v c="$cores" 'BEGIN {
            others = ((a - b) / hz - u - s) / w; if (others < 0) others = 0
            printf "  %-14s %7.1f s  CPU %4.2f cores  (others %4.2f of %d cores)\n",
                n, w, (u + s) / w, others, c }'
}

one() {
    local dir=$1 python=$2
    cd "$dir"
    LOGS=$dir/.install-size-logs
    rm -rf .venv posecoach_out "$LOGS"
    mkdir -p "$LOGS"
    echo "$dir with $("$python" --version 2>&1) ($python)"
    (cd "$dir" && git log -1 --format='  commit %h %s' 2>/dev/null | cut -c1-100) || true
    export PIP_CACHE_DIR=$LOGS/pip-cache # empty: the cold install downloads every wheel
    step venv "$python" -m venv .venv
    step "pip (cold)" .venv/bin/pip install -e .
    # No screen, and a history database of its own (not the user's).
    step demo env -u DISPLAY -u WAYLAND_DISPLAY POSECOACH_HISTORY="$LOGS/history.sqlite3" \
        .venv/bin/posecoach demo
    local size bytes all pulled
    size=$(du -sh .venv | cut -f1)
    bytes=$(du -sb .venv | cut -f1)
    all=$(.venv/bin/pip list --format=freeze 2>/dev/null | wc -l)
    pulled=$(.venv/bin/pip list --format=freeze 2>/dev/null |
        grep -v -i -E '^(pip|setuptools|wheel|posecoach)==' | wc -l)
    local downloaded local_files
    downloaded=$(grep -c -E '^ *Downloading ' "$LOGS/pip (cold).log" || true)
    local_files=$(grep -c -E '^Processing /' "$LOGS/pip (cold).log" || true)
    echo "  .venv: $size ($bytes bytes); $all packages in it, $pulled pulled in by posecoach;" \
        "wheels: $downloaded downloaded, $local_files from local folders"
    echo "  the heaviest in site-packages:"
    du -s .venv/lib/python*/site-packages/* | sort -rn | head -6 |
        awk '{ printf "    %6.0f MB  %s\n", $1 / 1024, $2 }' | sed "s|$dir/||"
    echo "  demo said:"
    grep -E 'over [0-9]+ frames|^truth' "$LOGS/demo.log" | cut -c1-110 | sed 's/^/    /' || true
    rm -rf .venv
    step "venv (again)" "$python" -m venv .venv
    step "pip (warm)" .venv/bin/pip install -e .
    .venv/bin/pip list --format=freeze >"$LOGS/packages.txt" 2>/dev/null
    echo
}

if [[ ${1:-} == one ]]; then
    one "$2" "$3"
    exit
fi

mkdir -p "$WORK"
rm -rf "$WORK/before" "$WORK/after"
git clone -q "$REPO" "$WORK/before"
git -C "$WORK/before" checkout -q "$BEFORE_COMMIT"
mkdir -p "$WORK/after"
# The working tree as it is (with changes not committed), without the venv, git or caches.
tar -C "$REPO" --exclude=./.venv --exclude=./.git --exclude=./posecoach_out \
    --exclude='*/__pycache__' --exclude=./.pytest_cache --exclude=./.mypy_cache \
    --exclude=./.ruff_cache -cf - . | tar -C "$WORK/after" -xf -
echo "before: commit $BEFORE_COMMIT; after: the working tree of $REPO at" \
    "$(git -C "$REPO" log -1 --format=%h)$(git -C "$REPO" status --porcelain \
        --untracked-files=no | grep -q . && echo ' (+ changes not committed)')"
echo "pip: $("$BEFORE_PYTHON" -m pip config list 2>/dev/null | grep -E 'index|find-links' | tr '\n' ' ')"
echo
one "$WORK/before" "$BEFORE_PYTHON"
for python in $AFTER_PYTHONS; do
    version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    rm -rf "$WORK/after-$version"
    cp -a "$WORK/after" "$WORK/after-$version"
    one "$WORK/after-$version" "$python"
done
