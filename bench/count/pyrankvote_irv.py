"""Counts a BLT file by instant-runoff with pyrankvote, end to end (reading included).

Used by bench/count.sh as the peer for `caucus count --method irv`. Prints the winner so the
script can check both counters agree.
"""
import sys

import pyrankvote
from pyrankvote import Ballot, Candidate


def read_blt(path):
    with open(path, encoding="utf-8") as f:
        lines = [l.split("#", 1)[0].strip() for l in f]
    lines = [l for l in lines if l]
    n, _seats = map(int, lines[0].split())
    i = 1
    raw = []
    while lines[i] != "0":
        parts = lines[i].split()
        raw.append((int(parts[0]), [int(p) - 1 for p in parts[1:-1]]))
        i += 1
    names = [lines[i + 1 + k].strip('"') for k in range(n)]
    return names, raw


def main():
    names, raw = read_blt(sys.argv[1])
    cands = [Candidate(n) for n in names]
    ballots = []
    for weight, prefs in raw:
        b = Ballot(ranked_candidates=[cands[p] for p in prefs])
        ballots.extend([b] * weight)
    result = pyrankvote.instant_runoff_voting(cands, ballots)
    print("winner:", result.get_winners()[0].name)


if __name__ == "__main__":
    main()
