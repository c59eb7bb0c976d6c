#!/usr/bin/env python3
"""Load generator for trit-server: N concurrent streaming clients.

  trit-server-bench.py --url http://127.0.0.1:8080 [--concurrency 1,2,4,8]
  trit-server-bench.py --server 'trit-server model.trit' [...]

For each concurrency N, N clients each stream --requests completions of
--max-tokens tokens (ignore_eos, greedy) at the same time; the aggregate
generation rate is all generated tokens over the wall time from the first
request to the last answer. With --server, the server is started with
--port 0 and --parallel set to the largest N, and stopped at the end.
Standard library only.
"""
import argparse
import http.client
import json
import re
import shlex
import signal
import subprocess
import threading
import time
import urllib.parse


def stream_one(host, port, body, key):
    """Streams one completion; returns (tokens, seconds to the first text)."""
    start = time.perf_counter()
    c = http.client.HTTPConnection(host, port, timeout=600)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    c.request("POST", "/v1/completions", body=json.dumps(body), headers=headers)
    r = c.getresponse()
    if r.status != 200:
        raise RuntimeError("status %d: %s" % (r.status, r.read()[:200]))
    first, tokens, buffer = None, 0, b""
    while True:
        part = r.read1(65536)
        if not part:
            break
        buffer += part
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            data = event[len(b"data: "):]
            if data == b"[DONE]":
                continue
            chunk = json.loads(data)
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
            elif first is None and chunk["choices"] and chunk["choices"][0].get("text"):
                first = time.perf_counter() - start
    c.close()
    return tokens, first or 0.0


def run_level(host, port, n, args):
    results, errors = [], []
    lock = threading.Lock()
    body = {"prompt": args.prompt, "max_tokens": args.max_tokens, "temperature": 0,
            "ignore_eos": True, "stream": True, "stream_options": {"include_usage": True}}

    def client():
        for _ in range(args.requests):
            try:
                r = stream_one(host, port, body, args.api_key)
                with lock:
                    results.append(r)
            except Exception as e:  # reported below
                with lock:
                    errors.append(str(e))

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    tokens = sum(r[0] for r in results)
    ttft = sorted(r[1] for r in results)
    return tokens, seconds, ttft[len(ttft) // 2] if ttft else 0.0, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="a running server, e.g. http://127.0.0.1:8080")
    ap.add_argument("--server", help="start this server command (gets --port 0 --parallel N)")
    ap.add_argument("--concurrency", default="1,2,4,8")
    ap.add_argument("--requests", type=int, default=2, help="requests per client (default 2)")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--prompt", default="Once upon a time")
    ap.add_argument("--api-key", default="")
    args = ap.parse_args()
    levels = [int(n) for n in args.concurrency.split(",")]
    if bool(args.url) == bool(args.server):
        ap.error("give --url or --server")
    proc = None
    if args.server:
        proc = subprocess.Popen(shlex.split(args.server) +
                                ["--port", "0", "--parallel", str(max(levels))],
                                stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                args.url = m.group(1)
            if "ready:" in line:
                print(line.strip())
                break
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    url = urllib.parse.urlparse(args.url)
    host, port = url.hostname, url.port or 80
    try:
        print("%-11s %9s %9s %11s %9s %10s" % ("concurrent", "requests", "tokens", "tok/s", "x one",
                                              "TTFT p50"))
        single = None
        for n in levels:
            tokens, seconds, ttft, errors = run_level(host, port, n, args)
            rate = tokens / seconds if seconds > 0 else 0.0
            single = single or rate
            print("%-11d %9d %9d %11.2f %9.2f %8.0f ms" % (n, n * args.requests, tokens, rate,
                                                          rate / single if single else 0, ttft * 1e3))
            if errors:
                print("  %d errors, the first: %s" % (len(errors), errors[0]))
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
