#!/usr/bin/env python3
"""Times `quire serve` from exec until /healthz answers, on an existing database.

Usage: coldstart.py RUNS QUIRE_BINARY   (settings come from the environment)
Prints the median and the worst run in milliseconds.
"""
import os
import socket
import subprocess
import sys
import time


def wait_healthy(host, port, deadline):
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.05) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return True
        except OSError:
            pass
        time.sleep(0.001)
    return False


def main():
    runs, binary = int(sys.argv[1]), sys.argv[2]
    host, port = os.environ["QUIRE_BIND"].rsplit(":", 1)
    times = []
    for _ in range(runs):
        start = time.monotonic()
        proc = subprocess.Popen([binary, "serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok = wait_healthy(host, int(port), start + 10)
        times.append((time.monotonic() - start) * 1000)
        proc.terminate()
        proc.wait(timeout=15)
        if not ok:
            sys.exit("quire did not become healthy within 10 s")
    times.sort()
    print(f"cold start: median {times[len(times) // 2]:.0f} ms, worst {times[-1]:.0f} ms over {runs} runs")


if __name__ == "__main__":
    main()
