#!/usr/bin/env python3
"""CPU time per thread of Chromium and the server over a benchmark run.

Samples /proc every 250 ms until it gets SIGTERM (or Ctrl-C), then prints
the CPU-seconds (user + system) of every thread name of every `chromium`
and `onetimeshare` process it saw, the largest first. A thread that ends
between two samples loses at most its last 250 ms.

With `--after URL` it counts only the CPU spent once URL first answers:
given the server's `/healthz`, the server's start (which compresses the
site's bundle, several CPU-seconds, when the site has no `.br` files of
it) is left out. For the "where the time
goes" table of BENCHMARKS.md:

    python3 bench/thread-cpu.py --after http://127.0.0.1:3918/healthz > threads.txt & SAMPLER=$!
    npx playwright test -c bench/bench.config.ts -g "round trip of a"
    kill -TERM $SAMPLER
"""
import argparse
import os
import signal
import time
import urllib.request

USER_HZ = os.sysconf("SC_CLK_TCK")
running = True


def stop(*_):
    global running
    running = False


def kind_of(pid):
    """'server', 'chromium' or None, from the process's executable name."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            # Chromium's zygote children rewrite their command line as one
            # string, arguments included: the executable is its first word.
            first = f.read().split(b"\0")[0].split(b" ")[0]
            exe = os.path.basename(first.decode(errors="replace"))
    except OSError:
        return None
    if "onetimeshare" in exe:
        return "server"
    if "chrom" in exe:
        return "chromium"
    return None


def answers(url):
    """Whether `url` answers 2xx now."""
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return 200 <= r.status < 300
    except OSError:
        return False


def main():
    parser = argparse.ArgumentParser(description="CPU time per thread of Chromium and the server.")
    parser.add_argument("--after", metavar="URL", help="count only the CPU spent once URL first answers")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    kinds = {}
    last = {}
    # Each thread's CPU ticks when counting began (None: not begun yet).
    base = None if args.after else {}
    while running:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            if not kinds.get(pid):
                # Asked again until known: a process just forked may still
                # show its parent's command line, or none.
                kinds[pid] = kind_of(pid)
            if not kinds[pid]:
                continue
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    with open(f"/proc/{pid}/task/{tid}/stat") as f:
                        stat = f.read()
                except OSError:
                    continue
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2 :].split()
                last[(pid, tid)] = (kinds[pid], name, int(fields[11]) + int(fields[12]))
        # Counting begins from the sample just taken.
        if base is None and answers(args.after):
            base = {key: ticks for key, (_, _, ticks) in last.items()}
        time.sleep(0.25)
    if base is None:
        print(f"{args.after} never answered: nothing counted")
        return
    totals = {}
    for key, (kind, name, ticks) in last.items():
        spent = ticks - base.get(key, 0)
        totals[(kind, name)] = totals.get((kind, name), 0) + spent / USER_HZ
    for (kind, name), secs in sorted(totals.items(), key=lambda kv: -kv[1]):
        if secs >= 0.1:
            print(f"{secs:6.1f}  {kind:9s} {name}")
    print(f"{sum(totals.values()):6.1f}  in all")


if __name__ == "__main__":
    main()
