#!/usr/bin/env python3
"""A/B of a route under load: two or more `caucus` binaries, run in turn, each against its own copy
of one demo register. Run by hand, never in CI. The route is the unit page (ROUTE=unit, as the
general secretary's browser session) or a member's record over the API (ROUTE=member: members of the
unit picked at random by wrk, as the general secretary's bearer token).

The machine's speed drifts by up to 40% within minutes (seen on the 2-core CI kind). So a figure from
`cargo bench -p caucus --bench load` is only comparable with one taken right next to it. This script
alternates the binaries, ROUNDS times, and prints for each run:
- throughput, p50 and p99 from wrk (64 connections);
- the server's own CPU time per request, read from /proc.

Compare the columns pair by pair, not run against run.

Usage: bench/load_ab.py OLD_BINARY NEW_BINARY [...]
  env: DEMO_DIR (/tmp/caucus-load-ab: the demo is built there once, by the first binary),
       MEMBERS (20000), UNIT (the demo's 1,960-member CLP), ROUTE (unit or member), RUN_SECONDS (8),
       ROUNDS (4), CONNECTIONS (64)
Needs wrk (Debian: apt-get install wrk).
"""
import base64
import hashlib
import hmac
import http.cookiejar
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

DEMO_DIR = os.environ.get("DEMO_DIR", "/tmp/caucus-load-ab")
MEMBERS = os.environ.get("MEMBERS", "20000")
UNIT = os.environ.get("UNIT", "pcon2024:E14001463")
SECONDS = int(os.environ.get("RUN_SECONDS", "8"))
ROUNDS = int(os.environ.get("ROUNDS", "4"))
CONNECTIONS = os.environ.get("CONNECTIONS", "64")
ROUTE = os.environ.get("ROUTE", "unit")

# wrk picks a member of the unit at random for each request (NUMBERS is filled in).
RANDOM_MEMBER_LUA = """
local numbers = {NUMBERS}
math.randomseed(7)
request = function()
  return wrk.format("GET", "/api/v1/members/" .. numbers[math.random(#numbers)])
end
"""


def totp(secret):
    key = base64.b32decode(secret)
    h = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o : o + 4])[0] & 0x7FFFFFFF) % 1000000)


def build_demo(binary):
    pristine = os.path.join(DEMO_DIR, "pristine.db")
    if os.path.exists(pristine):
        return
    os.makedirs(DEMO_DIR, exist_ok=True)
    subprocess.run(
        [binary, "demo", "--no-serve", "--members", MEMBERS, "--demo-db", f"sqlite://{pristine}",
         "--logins", os.path.join(DEMO_DIR, "logins.json")],
        cwd=DEMO_DIR, check=True, stdout=subprocess.DEVNULL,
    )


def serve(binary):
    db = os.path.join(DEMO_DIR, "run.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    shutil.copy(os.path.join(DEMO_DIR, "pristine.db"), db)
    server = subprocess.Popen(
        [binary, "--db", f"sqlite://{db}", "serve", "--bind", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    for line in server.stdout:
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if m:
            return server, m.group(1)
    raise SystemExit(f"{binary} did not start")


def general_secretary():
    logins = json.load(open(os.path.join(DEMO_DIR, "logins.json")))
    return next(x for x in logins if x["role"] == "general_secretary")


def log_in(base):
    who = general_secretary()
    jar = http.cookiejar.CookieJar()

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Stay)
    opener.open(base + "/login").read()
    csrf = next(c.value for c in jar if c.name == "caucus_login_csrf")
    form = urllib.parse.urlencode(
        {"csrf": csrf, "email": who["email"], "password": who["password"], "totp": totp(who["totp_secret"])}
    ).encode()
    try:
        opener.open(base + "/login", form)
    except urllib.error.HTTPError:
        pass  # the 303 to the dashboard
    return next(c.value for c in jar if c.name == "caucus_session")


def api_token(base):
    who = general_secretary()
    body = json.dumps({"email": who["email"], "password": who["password"], "totp": totp(who["totp_secret"])})
    request = urllib.request.Request(
        base + "/api/v1/session", body.encode(), {"Content-Type": "application/json"}, method="POST"
    )
    return json.load(urllib.request.urlopen(request))["token"]


def unit_members(base, token):
    numbers, cursor = [], None
    while True:
        url = f"{base}/api/v1/units/{UNIT}/members?limit=200" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        page = json.load(urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})))
        numbers += [m["membership_number"] for m in page["items"]]
        cursor = page["next"]
        if not cursor:
            return numbers


def wrk_command(base):
    """wrk's arguments (without the duration) for ROUTE."""
    if ROUTE == "unit":
        session = log_in(base)
        return ["wrk", f"-c{CONNECTIONS}", "-t2", "--latency", "-H", f"Cookie: caucus_session={session}",
                f"{base}/units/{UNIT}"]
    if ROUTE == "member":
        token = api_token(base)
        numbers = unit_members(base, token)
        script = os.path.join(DEMO_DIR, "random_member.lua")
        with open(script, "w") as f:
            f.write(RANDOM_MEMBER_LUA.replace("{NUMBERS}", "{" + ",".join(f'"{n}"' for n in numbers) + "}"))
        return ["wrk", f"-c{CONNECTIONS}", "-t2", "--latency", "-H", f"Authorization: Bearer {token}",
                "-s", script, base]
    raise SystemExit(f"ROUTE is unit or member, not {ROUTE}")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(binary):
    server, base = serve(binary)
    try:
        wrk = wrk_command(base)
        subprocess.run(wrk[:3] + ["-d2s"] + wrk[3:], capture_output=True)  # warm up
        before = cpu_seconds(server.pid)
        out = subprocess.run(wrk[:3] + [f"-d{SECONDS}s"] + wrk[3:], capture_output=True, text=True).stdout
        used = cpu_seconds(server.pid) - before
        requests = int(re.search(r"(\d+) requests in", out).group(1))
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p50 = re.search(r"\n\s+50%\s+(\S+)", out).group(1)
        p99 = re.search(r"\n\s+99%\s+(\S+)", out).group(1)
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return f"{rate:7.0f} req/s  p50 {p50:>8}  p99 {p99:>8}  server {used / requests * 1000:.3f} ms CPU/req" + (
            f"  {bad.group(1)} NOT 200" if bad else ""
        )
    finally:
        server.kill()
        server.wait()


def main():
    binaries = sys.argv[1:]
    if len(binaries) < 2:
        raise SystemExit(__doc__)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    build_demo(binaries[0])
    what = f"GET /units/{UNIT}" if ROUTE == "unit" else f"GET /api/v1/members/{{n}} (random members of {UNIT})"
    print(f"{what}, {CONNECTIONS} connections, {SECONDS} s a run")
    for r in range(ROUNDS):
        for i, binary in enumerate(binaries):
            print(f"round {r + 1} binary {i + 1}: {run(binary)}", flush=True)


if __name__ == "__main__":
    main()
