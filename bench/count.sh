#!/usr/bin/env bash
# Benchmark of `caucus count` on a synthetic 500,000-ballot, 12-candidate profile (BLT), run by
# hand, never in CI. Times end to end (parsing included) with peak memory from /usr/bin/time:
#   caucus irv            vs pyrankvote IRV (PyPI, in a venv under $WORK)   aim: 10x faster
#   caucus stv-scottish   3 seats                                          aim: under 1 s
#   caucus stv-meek       3 seats vs stv-rs meek --arithmetic fixed9 (crates.io)  aim: faster
# Usage: bench/count.sh   (env: BALLOTS=500000 WORK=/tmp/caucus-bench-count CAUCUS_BIN=path RUNS=3)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="${WORK:-/tmp/caucus-bench-count}"
BALLOTS="${BALLOTS:-500000}"
RUNS="${RUNS:-3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
mkdir -p "$WORK"

echo "== building caucus (release) and the profile generator"
(cd "$ROOT" && cargo build --release -q -p caucus-counting --example gen_profile)
if [ -z "${CAUCUS_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release -q -p caucus --bin caucus)
  CAUCUS_BIN="$CARGO_TARGET_DIR/release/caucus"
fi
GEN="$CARGO_TARGET_DIR/release/examples/gen_profile"

PROFILE="$WORK/profile-$BALLOTS.blt"
if [ ! -s "$PROFILE" ]; then
  echo "== generating $BALLOTS ballots, 12 candidates"
  "$GEN" "$BALLOTS" 12 3 2024 > "$PROFILE"
fi
echo "   $(du -h "$PROFILE" | cut -f1) $PROFILE; distinct rankings: $(tail -n +2 "$PROFILE" | sort -u | wc -l)"

echo "== peers"
if [ ! -x "$WORK/venv/bin/python" ]; then
  python3 -m venv "$WORK/venv"
fi
"$WORK/venv/bin/pip" install -q pyrankvote
if [ ! -x "$WORK/stv-rs/bin/stv-rs" ]; then
  cargo install -q stv-rs --locked --root "$WORK/stv-rs"
fi
STVRS="$WORK/stv-rs/bin/stv-rs"
# stv-rs reads the Droop.py dialect of BLT: a `[nick ...]` line and ballots written with the
# nicknames. The same ballots, converted once, outside the timing.
STVRS_PROFILE="$WORK/profile-$BALLOTS.stvrs.blt"
if [ ! -s "$STVRS_PROFILE" ]; then
  awk 'NR == 1 { print; n = $1; printf "[nick"; for (i = 1; i <= n; i++) printf " c%d", i; print "]"; next }
       done || $0 == "0" { print; done = 1; next }
       { printf "%s", $1; for (i = 2; i < NF; i++) printf " c%s", $i; print " 0" }' "$PROFILE" > "$STVRS_PROFILE"
fi

# measure NAME RUNS CMD...: best wall time of RUNS runs and the peak RSS of that run.
declare -A SECS MEM
measure() {
  local name="$1" runs="$2"; shift 2
  local best="" best_kb=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || {
      echo "$name failed:"; tail -5 "$WORK/$name.err"; exit 1; }
    read -r s kb < <(tail -1 "$WORK/time.txt")
    if [ -z "$best" ] || awk "BEGIN{exit !($s < $best)}"; then best="$s"; best_kb="$kb"; fi
  done
  SECS[$name]="$best"; MEM[$name]="$best_kb"
  printf "   %-22s %8.2f s %8d MB\n" "$name" "$best" "$((best_kb / 1024))"
}

echo "== timing (best of $RUNS for the Rust counters, one run of pyrankvote)"
measure caucus-irv "$RUNS" "$CAUCUS_BIN" count "$PROFILE" --method irv --format json
measure caucus-stv-scottish "$RUNS" "$CAUCUS_BIN" count "$PROFILE" --method stv-scottish --seats 3 --format json
measure caucus-stv-meek "$RUNS" "$CAUCUS_BIN" count "$PROFILE" --method stv-meek --seats 3 --format json
measure stv-rs-meek "$RUNS" "$STVRS" --arithmetic fixed9 --input "$STVRS_PROFILE" meek
measure pyrankvote-irv 1 "$WORK/venv/bin/python" "$ROOT/bench/count/pyrankvote_irv.py" "$PROFILE"

echo "== winners"
caucus_irv=$("$WORK/venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["elected"][0])' "$WORK/caucus-irv.out")
peer_irv=$(sed -n 's/^winner: //p' "$WORK/pyrankvote-irv.out")
echo "   irv: caucus $caucus_irv, pyrankvote $peer_irv"
"$WORK/venv/bin/python" -c 'import json,sys; print("   stv-meek caucus:", ", ".join(json.load(open(sys.argv[1]))["elected"]))' "$WORK/caucus-stv-meek.out"
echo "   stv-meek stv-rs: $(sed -n '/Count Complete/,$p' "$WORK/stv-rs-meek.out" | sed -n 's/^\tElected: *\(.*\) (.*/\1/p' | paste -sd, | sed 's/,/, /g')"

echo
echo "== results ($BALLOTS ballots, 12 candidates, $(nproc) cores)"
printf "| %-20s | %9s | %9s | %-34s |\n" counter "wall (s)" "peak (MB)" "ratio"
printf "|%s|%s|%s|%s|\n" "----------------------" "-----------" "-----------" "------------------------------------"
row() { printf "| %-20s | %9.2f | %9d | %-34s |\n" "$1" "${SECS[$1]}" "$((${MEM[$1]} / 1024))" "$2"; }
ratio() { awk "BEGIN{printf \"%.1fx\", ${SECS[$1]} / ${SECS[$2]}}"; }
row caucus-irv "pyrankvote/caucus = $(ratio pyrankvote-irv caucus-irv)"
row pyrankvote-irv ""
row caucus-stv-scottish "(aim: under 1 s)"
row caucus-stv-meek "stv-rs/caucus = $(ratio stv-rs-meek caucus-stv-meek)"
row stv-rs-meek ""
