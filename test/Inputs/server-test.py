#!/usr/bin/env python3
"""Starts trit-server (or a model program with --serve) on a free loopback
port and checks it with Python's http.client against trit-run.

  server-test.py SCENARIO --server 'CMD ARGS' [--trit-run 'CMD ARGS']

The server command gets --port 0 and more options appended; the port is
read from its "listening on http://127.0.0.1:PORT" line. Scenarios: basic
(answers, streaming, stop strings, logprobs, errors, tokenize), batch (a
request's greedy text alone and beside others), disconnect, soak, auth,
shutdown, think (a Qwen3 model's thinking: prompts, reasoning_content).
Exits non-zero with a message on the first failure.
"""
import argparse
import http.client
import json
import os
import random
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time


def fail(message):
    sys.exit("FAIL: " + message)


def check(condition, message):
    if not condition:
        fail(message)


class Server:
    def __init__(self, command, extra):
        self.proc = subprocess.Popen(shlex.split(command) + ["--port", "0"] + extra,
                                     stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.port = None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                fail("the server ended before listening: " + "".join(self.lines))
            self.lines.append(line)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        check(self.port, "no 'listening on' line")
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.time() + 60
        while time.time() < deadline:
            status, _ = self.get("/health")
            if status == 200:
                return
            check(status == 503, "/health while loading gave %d" % status)
            time.sleep(0.02)
        fail("the server never became ready")

    def _drain(self):
        for line in self.proc.stderr:
            self.lines.append(line)

    def connection(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, raw=False):
        c = self.connection()
        data = body if raw or body is None else json.dumps(body)
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read()
        c.close()
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text.decode("utf-8", "replace")
        return r.status, parsed

    def get(self, path, headers=None):
        try:
            return self.request("GET", path, headers=headers)
        except OSError:
            return 0, None

    def post(self, path, body, headers=None, raw=False):
        return self.request("POST", path, body, headers, raw)

    def stream(self, path, body, headers=None):
        """The chunks of a streamed answer, and whether [DONE] ended it."""
        c = self.connection()
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        c.request("POST", path, body=json.dumps(body), headers=h)
        r = c.getresponse()
        check(r.status == 200, "stream: status %d" % r.status)
        check(r.getheader("Content-Type", "").startswith("text/event-stream"),
              "stream: content type " + str(r.getheader("Content-Type")))
        chunks, done = [], False
        for event in r.read().decode("utf-8").split("\n\n"):
            if not event:
                continue
            check(event.startswith("data: "), "stream: not an SSE event: %r" % event)
            data = event[len("data: "):]
            if data == "[DONE]":
                done = True
                continue
            check(not done, "stream: an event after [DONE]")
            chunks.append(json.loads(data))
        c.close()
        check(done, "stream: no [DONE]")
        return chunks

    def metrics(self):
        status, text = self.get("/metrics")
        check(status == 200, "/metrics: %d" % status)
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def terminate(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("the server did not stop within 30 s of SIGTERM")
        check(code == 0, "exit code %d after SIGTERM:\n%s" % (code, "".join(self.lines)))


def trit_run(command, *args):
    out = subprocess.run(shlex.split(command) + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=True).stdout
    # Invalid UTF-8 (a random model's text) stays as surrogate escapes.
    return out.decode("utf-8", "surrogateescape")


def completion_text(server, prompt, **options):
    body = {"prompt": prompt, "temperature": 0}
    body.update(options)
    status, answer = server.post("/v1/completions", body)
    check(status == 200, "completion: %d %s" % (status, answer))
    return answer


def streamed_text(chunks, chat):
    text = ""
    for c in chunks:
        for choice in c["choices"]:
            text += (choice["delta"].get("content") or "") if chat else choice["text"]
    return text


def expect_error(server, body, status, param=None, path="/v1/completions", code=None):
    got, answer = server.post(path, body)
    check(got == status, "%s: expected %d, got %d %s" % (json.dumps(body)[:80], status, got, answer))
    check(isinstance(answer, dict) and "error" in answer, "no error object: %s" % answer)
    e = answer["error"]
    check(set(e) >= {"message", "type", "param", "code"}, "error fields: %s" % e)
    if param:
        check(e["param"] == param, "param %s, expected %s" % (e["param"], param))
    if code:
        check(e["code"] == code, "code %s, expected %s" % (e["code"], code))


def scenario_basic(server, args):
    prompt = "The cat"
    n = 24
    expected = trit_run(args.trit_run, "-p", prompt, "-n", str(n))[:-1]
    ids = trit_run(args.trit_run, "-p", prompt, "-n", str(n), "--print-token-ids").strip()
    generated = len(ids.split(",")) if ids else 0
    prompt_tokens = len(trit_run(args.trit_run, "-p", prompt, "--tokenize").strip().split(","))

    # /health and /v1/models.
    status, health = server.get("/health")
    check(status == 200 and health == {"status": "ok"}, "/health: %d %s" % (status, health))
    status, models = server.get("/v1/models")
    check(status == 200 and models["object"] == "list" and len(models["data"]) == 1,
          "/v1/models: %s" % models)
    check(models["data"][0]["id"] == args.model_name, "model id %s" % models["data"][0]["id"])

    # Non-streaming = trit-run's greedy text; usage.
    answer = completion_text(server, prompt, max_tokens=n)
    check(answer["object"] == "text_completion", "object %s" % answer["object"])
    text = answer["choices"][0]["text"]
    check(text == expected, "completion %r != trit-run's %r" % (text, expected))
    usage = answer["usage"]
    check(usage == {"prompt_tokens": prompt_tokens, "completion_tokens": generated,
                    "total_tokens": prompt_tokens + generated}, "usage %s" % usage)
    check(answer["choices"][0]["finish_reason"] == ("length" if generated == n else "stop"),
          "finish_reason %s" % answer["choices"][0]["finish_reason"])

    # Streaming, with the usage chunk.
    chunks = server.stream("/v1/completions", {"prompt": prompt, "max_tokens": n,
                                                "temperature": 0, "stream": True,
                                                "stream_options": {"include_usage": True}})
    check(streamed_text(chunks, False) == expected, "streamed %r" % streamed_text(chunks, False))
    check(chunks[-1]["choices"] == [] and chunks[-1]["usage"] == usage,
          "usage chunk %s" % chunks[-1])
    check(chunks[-2]["choices"][0]["finish_reason"] == answer["choices"][0]["finish_reason"],
          "finish chunk %s" % chunks[-2])
    chunks = server.stream("/v1/completions", {"prompt": prompt, "max_tokens": n,
                                                "temperature": 0, "stream": True})
    check(all("usage" not in c for c in chunks), "usage without include_usage")

    # Chat: the model's template, as trit-run --chat formats the first turn.
    question = "Tell me a joke"
    expected_chat = subprocess.run(shlex.split(args.trit_run) + ["--chat", "-p", question, "-n", str(n)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, check=True).stdout.decode()[:-1]
    body = {"messages": [{"role": "user", "content": question}], "max_tokens": n,
            "temperature": 0}
    status, chat = server.post("/v1/chat/completions", body)
    check(status == 200, "chat: %d %s" % (status, chat))
    check(chat["object"] == "chat.completion", "chat object")
    message = chat["choices"][0]["message"]
    check(message["role"] == "assistant" and message["content"] == expected_chat,
          "chat %r != trit-run --chat's %r" % (message["content"], expected_chat))
    # max_completion_tokens is max_tokens' newer name; parts are text.
    body2 = dict(body, messages=[{"role": "user", "content": [{"type": "text", "text": question}]}])
    del body2["max_tokens"]
    body2["max_completion_tokens"] = n
    status, chat2 = server.post("/v1/chat/completions", body2)
    check(status == 200 and chat2["choices"][0]["message"]["content"] == expected_chat,
          "chat with parts and max_completion_tokens: %s" % chat2)
    chunks = server.stream("/v1/chat/completions", dict(body, stream=True,
                                                        stream_options={"include_usage": True}))
    check(chunks[0]["object"] == "chat.completion.chunk", "chunk object")
    check(chunks[0]["choices"][0]["delta"].get("role") == "assistant", "first delta has the role")
    check(streamed_text(chunks, True) == expected_chat, "streamed chat %r" % streamed_text(chunks, True))
    check(chunks[-1]["usage"] == chat["usage"], "chat usage chunk %s" % chunks[-1])

    # Logprobs: chat's content list and the legacy completion object.
    status, lp = server.post("/v1/chat/completions", dict(body, logprobs=True, top_logprobs=3))
    check(status == 200, "logprobs: %d %s" % (status, lp))
    content = lp["choices"][0]["logprobs"]["content"]
    check(len(content) == lp["usage"]["completion_tokens"], "one logprob per token")
    for entry in content:
        check(entry["logprob"] <= 0 and len(entry["top_logprobs"]) == 3, "entry %s" % entry)
        check(entry["top_logprobs"][0]["token"] == entry["token"], "greedy = the most likely")
        check(bytes(entry["bytes"]) == entry["token"].encode(), "bytes of %r" % entry["token"])
    answer = completion_text(server, prompt, max_tokens=n, logprobs=2)
    legacy = answer["choices"][0]["logprobs"]
    check(len(legacy["tokens"]) == len(legacy["token_logprobs"]) == len(legacy["top_logprobs"])
          == len(legacy["text_offset"]) == generated, "legacy logprobs %s" % legacy)

    # Stop strings, across token boundaries: a stop that starts inside one
    # token and ends in a later one.
    tokens = legacy["tokens"]
    starts = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
    cut = None
    for i in range(2, len(tokens) - 1):
        if len(tokens[i]) >= 2 and expected.find(expected[starts[i] + 1:starts[i + 1] + 1]) == starts[i] + 1:
            cut = (starts[i] + 1, starts[i + 1] + 1)
            break
    check(cut, "no token boundary to stop across in %r" % tokens)
    stop = expected[cut[0]:cut[1]]
    answer = completion_text(server, prompt, max_tokens=n, stop=["zzzz-never", stop])
    check(answer["choices"][0]["text"] == expected[:cut[0]],
          "stop %r: %r, expected %r" % (stop, answer["choices"][0]["text"], expected[:cut[0]]))
    check(answer["choices"][0]["finish_reason"] == "stop", "stop's finish_reason")
    chunks = server.stream("/v1/completions", {"prompt": prompt, "max_tokens": n,
                                                "temperature": 0, "stream": True, "stop": stop})
    check(streamed_text(chunks, False) == expected[:cut[0]], "streamed stop %r" % streamed_text(chunks, False))

    # Sampling: a seed repeats itself.
    sampled = [completion_text(server, prompt, max_tokens=16, temperature=0.9, top_p=0.9,
                               top_k=20, seed=7, presence_penalty=0.5,
                               frequency_penalty=0.5)["choices"][0]["text"] for _ in range(2)]
    check(sampled[0] == sampled[1], "the same seed gave %r" % sampled)

    # /tokenize and /detokenize.
    text = "Hello, world! \u00fcn\u00efc\u00f6d\u00e9 \U0001F600 <|eot_id|>"
    status, tok = server.post("/tokenize", {"content": text})
    check(status == 200 and all(isinstance(t, int) for t in tok["tokens"]), "tokenize %s" % tok)
    status, detok = server.post("/detokenize", {"tokens": tok["tokens"]})
    check(status == 200, "detokenize %s" % detok)
    check(detok["content"] == text.replace("<|eot_id|>", ""), "round trip %r" % detok["content"])
    status, tok2 = server.post("/tokenize", {"content": "The cat", "add_special": True})
    check(len(tok2["tokens"]) == prompt_tokens, "tokenize with BOS %s" % tok2)

    # Errors: OpenAI's objects, and the server keeps serving.
    status, answer = server.post("/v1/completions", b"{not json", raw=True)
    check(status == 400 and answer["error"]["type"] == "invalid_request_error", "bad JSON: %s" % answer)
    status, answer = server.post("/v1/completions", b'{"prompt": "a\xff\xfe"}', raw=True)
    check(status == 400, "invalid UTF-8: %d %s" % (status, answer))
    expect_error(server, [1, 2], 400)
    expect_error(server, {"prompt": prompt, "max_tokens": "many"}, 400, "max_tokens")
    expect_error(server, {"prompt": prompt, "max_tokens": 0}, 400, "max_tokens")
    expect_error(server, {"prompt": prompt, "temperature": "hot"}, 400, "temperature")
    expect_error(server, {"prompt": prompt, "top_p": 1.5}, 400, "top_p")
    expect_error(server, {"prompt": prompt, "stop": 5}, 400, "stop")
    expect_error(server, {"prompt": prompt, "stream": "yes"}, 400, "stream")
    expect_error(server, {"prompt": prompt, "n": 2}, 400, "n")
    expect_error(server, {"prompt": 42}, 400, "prompt")
    expect_error(server, {"prompt": [1, 2, 99999999]}, 400, "prompt")
    expect_error(server, {}, 400, "prompt")
    expect_error(server, {"prompt": prompt, "stream_options": {"include_usage": True}}, 400,
                 "stream_options")
    expect_error(server, {"messages": []}, 400, "messages", path="/v1/chat/completions")
    expect_error(server, {"messages": [{"role": "wizard", "content": "hi"}]}, 400,
                 "messages[0].role", path="/v1/chat/completions")
    expect_error(server, {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]},
                 400, "messages[0].content[0]", path="/v1/chat/completions")
    expect_error(server, {"messages": [{"role": "user", "content": "hi"}], "top_logprobs": 2},
                 400, "top_logprobs", path="/v1/chat/completions")
    expect_error(server, {"prompt": "word " * 2000}, 400, "prompt", code="context_length_exceeded")
    status, answer = server.get("/v1/nothing-here")
    check(status == 404 and answer["error"]["type"] == "not_found_error", "404: %s" % answer)
    # max_tokens beyond the context: generation stops when it is full.
    answer = completion_text(server, prompt, max_tokens=10 ** 9, ignore_eos=True)
    usage = answer["usage"]
    check(usage["total_tokens"] == args.context and answer["choices"][0]["finish_reason"] == "length",
          "max_tokens beyond the context: %s" % usage)
    # A body over the limit (10 MB): 413 from its Content-Length, before
    # it is read; a chunked body (no length): 411.
    for head, status in [(b"Content-Length: 10485760", 413), (b"Transfer-Encoding: chunked", 411)]:
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + head + b"\r\n\r\n" + b"a" * 65536)
        reply = b""
        while True:
            try:
                part = s.recv(65536)
            except ConnectionResetError:
                break
            if not part:
                break
            reply += part
            head_end = reply.find(b"\r\n\r\n")
            length = re.search(rb"Content-Length: (\d+)", reply[:head_end], re.I)
            if head_end >= 0 and length and len(reply) >= head_end + 4 + int(length.group(1)):
                break
        s.close()
        check(reply.startswith(b"HTTP/1.1 %d" % status), "%r: %r" % (head, reply[:100]))
        check(b'"error"' in reply, "%d without an error object: %r" % (status, reply))
    # Still serving.
    check(completion_text(server, prompt, max_tokens=n)["choices"][0]["text"] == expected,
          "after the errors")

    # The engine frees a slot just after the reply is sent (and a request
    # whose client left as soon as it notices): idle within a few seconds.
    m = server.metrics()
    deadline = time.time() + 10
    while (m.get("trit_slots_active") or m.get("trit_requests_queued")) and \
            time.time() < deadline:
        time.sleep(0.05)
        m = server.metrics()
    for name in ["trit_requests_finished_total", "trit_prompt_tokens_total",
                 "trit_generated_tokens_total", "trit_requests_queued", "trit_slots_active",
                 "trit_generation_tokens_per_second", "trit_http_requests_total"]:
        check(name in m, "metric %s missing" % name)
    check(m["trit_slots_active"] == 0 and m["trit_requests_queued"] == 0, "idle metrics %s" % m)
    check(m["trit_generated_tokens_total"] > 0 and m["trit_generation_tokens_per_second"] > 0,
          "token metrics")


def scenario_batch(server, args):
    """A request's greedy tokens alone and beside three others."""
    prompts = ["The cat", "A wise man once", "Never trust", "In the beginning"]
    n = 40
    alone = [completion_text(server, p, max_tokens=n, ignore_eos=True)["choices"][0]["text"]
             for p in prompts]
    for p, text in zip(prompts, alone):
        expected = trit_run(args.trit_run, "-p", p, "-n", str(n), "--ignore-eos")[:-1]
        # (Text that is not UTF-8 reaches JSON with U+FFFD for its bytes.)
        if expected.encode("utf-8", "surrogateescape").decode("utf-8", "replace") == expected:
            check(text == expected, "alone %r differs from trit-run" % p)
    # At least 3 rounds, and more until some step decoded several sequences
    # at once: a small model on a fast machine may finish one request before
    # the next arrives, so the requests start together at a barrier.
    round = 0
    while round < 3 or (round < 40 and not batched(server)):
        round += 1
        results = [None] * len(prompts)
        barrier = threading.Barrier(len(prompts))

        def run(i):
            barrier.wait()
            body = {"prompt": prompts[i], "max_tokens": n, "temperature": 0, "ignore_eos": True}
            if i % 2:  # half of them streamed
                results[i] = streamed_text(server.stream("/v1/completions", dict(body, stream=True)),
                                           False)
            else:
                results[i] = completion_text(server, prompts[i], max_tokens=n,
                                             ignore_eos=True)["choices"][0]["text"]
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prompts))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for p, a, b in zip(prompts, alone, results):
            check(a == b, "round %d: %r alone %r, beside others %r" % (round, p, a, b))
    check(batched(server), "no step decoded more than one sequence in %d rounds: %s"
          % (round, server.metrics()))


def batched(server):
    """Whether some decode step so far took more than one sequence."""
    m = server.metrics()
    return m["trit_decode_rows_total"] > m["trit_decode_steps_total"]


def open_stream(server, body):
    s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    data = json.dumps(body).encode()
    s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(data) + data)
    got = b""
    while b"data: " not in got:
        part = s.recv(4096)
        if got.startswith(b"HTTP/1.1 503"):
            return s, 503  # refused: the queue is full
        check(part, "the stream ended before its first chunk: %r" % got)
        got += part
    return s, 200


def scenario_disconnect(server, args):
    before = server.metrics()
    s, _ = open_stream(server, {"prompt": "The cat", "max_tokens": 100000, "ignore_eos": True,
                                "temperature": 0, "stream": True})
    s.close()
    deadline = time.time() + 5
    while time.time() < deadline:
        m = server.metrics()
        if m["trit_slots_active"] == 0:
            break
        time.sleep(0.005)
    check(m["trit_slots_active"] == 0, "the slot is still busy 5 s after the client left")
    check(m["trit_requests_cancelled_total"] == before["trit_requests_cancelled_total"] + 1,
          "not cancelled: %s" % m)
    generated = m["trit_generated_tokens_total"] - before["trit_generated_tokens_total"]
    check(generated < args.context - 8, "it generated %d tokens after the client left" % generated)
    # The slot serves again.
    completion_text(server, "The cat", max_tokens=4)


def send_request(server, path, body):
    """A raw connection with `body` sent to `path`, its answer not read."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    data = json.dumps(body).encode()
    s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % (path.encode(), len(data)) + data)
    return s


def wait_metrics(server, condition, what, timeout=5):
    deadline = time.time() + timeout
    while True:
        m = server.metrics()
        if condition(m):
            return m
        check(time.time() < deadline, "%s: not within %g s: %s" % (what, timeout, m))
        time.sleep(0.005)


def scenario_disconnect_plain(server, args):
    """A client that leaves while its non-streamed answer is generated (or
    while it waits for a slot) cancels the request: the slot serves the
    next one at once. Needs --parallel 1 and a context that takes seconds
    to fill."""
    before = server.metrics()
    long = {"prompt": "The cat", "max_tokens": 100000, "ignore_eos": True, "temperature": 0}
    for path, body in [("/v1/completions", long),
                       ("/v1/chat/completions",
                        dict(long, prompt=None, messages=[{"role": "user", "content": "Hi"}]))]:
        body = {k: v for k, v in body.items() if v is not None}
        start = server.metrics()
        a = send_request(server, path, body)
        wait_metrics(server, lambda m: m["trit_slots_active"] == 1 and
                     m["trit_generated_tokens_total"] > start["trit_generated_tokens_total"],
                     "the long request started")
        # A second request waits for the slot.
        result = {}

        def run():
            result["answer"] = completion_text(server, "A wise man", max_tokens=4, ignore_eos=True)
            result["end"] = time.time()
        t = threading.Thread(target=run)
        t.start()
        wait_metrics(server, lambda m: m["trit_requests_queued"] == 1, "the second request queued")
        closed = time.time()
        a.close()
        t.join()
        waited = result["end"] - closed
        check(waited < 3, "%s: the queued request ended %.2f s after the client left" % (path, waited))
        m = wait_metrics(server, lambda m: m["trit_slots_active"] == 0, "idle")
        check(m["trit_requests_cancelled_total"] == start["trit_requests_cancelled_total"] + 1,
              "%s: not cancelled: %s" % (path, m))
        generated = m["trit_generated_tokens_total"] - start["trit_generated_tokens_total"] - 4
        check(generated < args.context // 4,
              "%s: %d tokens generated for a client that left" % (path, generated))
        check(result["answer"]["usage"]["completion_tokens"] == 4, "the queued request's answer")

    # A client that leaves while its request is queued: the request goes,
    # without taking the slot.
    start = server.metrics()
    running, _ = open_stream(server, dict(long, stream=True))
    queued = send_request(server, "/v1/completions", long)
    wait_metrics(server, lambda m: m["trit_requests_queued"] == 1, "queued")
    queued.close()
    m = wait_metrics(server, lambda m: m["trit_requests_queued"] == 0, "the queue emptied")
    check(m["trit_slots_active"] == 1 and
          m["trit_requests_cancelled_total"] == start["trit_requests_cancelled_total"] + 1,
          "the queued request was not dropped: %s" % m)
    running.close()
    m = wait_metrics(server, lambda m: m["trit_slots_active"] == 0, "idle")
    check(m["trit_requests_cancelled_total"] == before["trit_requests_cancelled_total"] + 4,
          "cancelled: %s" % m)
    completion_text(server, "The cat", max_tokens=4)


def scenario_soak(server, args):
    """32 clients, a few hundred short requests, some cut mid-stream."""
    warm = [completion_text(server, "The cat", max_tokens=4) for _ in range(8)]
    del warm
    rss_start = server.rss_kb()
    outcomes = {}
    lock = threading.Lock()
    errors = []

    def client(index):
        rng = random.Random(index)
        for i in range(args.requests // 32):
            kind = rng.random()
            body = {"prompt": rng.choice(["The cat", "A wise man", "Never"]),
                    "max_tokens": rng.randint(1, 12), "temperature": 0.7, "seed": i}
            try:
                if kind < 0.15:
                    s, status = open_stream(server, dict(body, stream=True, max_tokens=200))
                    s.close()
                    result = "cut" if status == 200 else status
                elif kind < 0.5:
                    c = server.connection()
                    c.request("POST", "/v1/chat/completions",
                              body=json.dumps({"messages": [{"role": "user", "content": body["prompt"]}],
                                               "max_tokens": body["max_tokens"], "stream": True}))
                    r = c.getresponse()
                    data = r.read()
                    c.close()
                    if r.status == 200:
                        check(data.endswith(b"data: [DONE]\n\n"), "stream without [DONE]")
                    result = r.status
                else:
                    status, answer = server.post("/v1/completions", body)
                    if status == 200:
                        check(answer["usage"]["completion_tokens"] <= body["max_tokens"], "usage")
                    result = status
                if result not in ("cut", 200, 503):
                    errors.append("status %s" % result)
            except SystemExit as e:
                errors.append(str(e))
                result = "failed"
            except OSError as e:
                errors.append("client %d: %r" % (index, e))
                result = "failed"
            with lock:
                outcomes[result] = outcomes.get(result, 0) + 1

    start = time.time()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(not errors, "%d failures, the first: %s" % (len(errors), errors[:3]))
    deadline = time.time() + 10
    while time.time() < deadline:
        m = server.metrics()
        if m["trit_slots_active"] == 0 and m["trit_requests_queued"] == 0:
            break
        time.sleep(0.05)
    check(m["trit_slots_active"] == 0 and m["trit_requests_queued"] == 0, "not idle after the soak")
    check(completion_text(server, "The cat", max_tokens=4)["usage"]["completion_tokens"] == 4,
          "after the soak")
    rss_end = server.rss_kb()
    print("soak: %s in %.1f s; RSS %d -> %d KiB" % (outcomes, time.time() - start, rss_start, rss_end))
    check(outcomes.get(200, 0) > args.requests // 4, "too few answered: %s" % outcomes)
    check(rss_end < rss_start + args.rss_growth_kib,
          "RSS grew from %d to %d KiB" % (rss_start, rss_end))


def scenario_auth(server, args):
    status, _ = server.get("/health")
    check(status == 200, "/health needs no key")
    body = {"prompt": "The cat", "max_tokens": 2}
    for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "secret"}]:
        status, answer = server.post("/v1/completions", body, headers)
        check(status == 401 and answer["error"]["type"] == "authentication_error",
              "%s: %d %s" % (headers, status, answer))
    status, _ = server.get("/v1/models")
    check(status == 401, "/v1/models without the key: %d" % status)
    status, answer = server.post("/v1/completions", body, {"Authorization": "Bearer secret"})
    check(status == 200, "with the key: %d %s" % (status, answer))


def scenario_shutdown(server, args):
    """SIGTERM while a request streams: it is finished, then exit 0."""
    result = {}

    def run():
        result["chunks"] = server.stream("/v1/completions", {
            "prompt": "The cat", "max_tokens": 200, "ignore_eos": True, "stream": True,
            "temperature": 0})
    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.05)
    server.terminate()
    t.join()
    check(result["chunks"][-1]["choices"][0]["finish_reason"] == "length",
          "the request in flight was not finished: %s" % result["chunks"][-1])


def raw_request(port, method, path, body=None, headers=None):
    """Status, headers (lower-case names) and body of one request."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=None if body is None else json.dumps(body), headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def scenario_cors(server, args):
    """CORS for browser apps (the server runs with --api-key secret): a
    preflight needs no key and allows the headers asked for; every answer,
    errors and streams included, has Access-Control-Allow-Origin."""
    origin = {"Origin": "http://app.example"}
    preflight = dict(origin, **{"Access-Control-Request-Method": "POST",
                                "Access-Control-Request-Headers":
                                    "authorization, content-type, x-stainless-os"})
    for path in ["/v1/chat/completions", "/v1/completions", "/v1/models"]:
        status, h, _ = raw_request(server.port, "OPTIONS", path, headers=preflight)
        check(status in (200, 204), "preflight %s: %d" % (path, status))
        check(h.get("access-control-allow-origin") == "*", "preflight origin: %s" % h)
        check("POST" in h.get("access-control-allow-methods", ""), "preflight methods: %s" % h)
        allowed = h.get("access-control-allow-headers", "").lower()
        for name in ["authorization", "content-type", "x-stainless-os"]:
            check(name in allowed, "preflight headers: %s" % h)
    # Without Access-Control-Request-Headers: Authorization and Content-Type.
    status, h, _ = raw_request(server.port, "OPTIONS", "/v1/chat/completions", headers=origin)
    allowed = h.get("access-control-allow-headers", "").lower()
    check("authorization" in allowed and "content-type" in allowed, "default headers: %s" % h)
    key = {"Authorization": "Bearer secret", "Content-Type": "application/json"}
    chat = {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}
    for headers, body, want in [(dict(origin, **key), chat, 200),
                                (origin, chat, 401),
                                (dict(origin, **key), {"messages": 5}, 400),
                                (dict(origin, **key), dict(chat, stream=True), 200)]:
        status, h, data = raw_request(server.port, "POST", "/v1/chat/completions", body, headers)
        check(status == want, "POST: %d, expected %d: %r" % (status, want, data[:200]))
        check(h.get("access-control-allow-origin") == "*", "POST %d without CORS: %s" % (status, h))
    status, h, _ = raw_request(server.port, "GET", "/v1/models", headers=dict(origin, **key))
    check(status == 200 and h.get("access-control-allow-origin") == "*", "models: %s" % h)

    # --cors-origin: a list echoes the origins in it (and only those), ''
    # turns CORS off.
    listed = Server(args.server, ["--cors-origin", "http://a.example, http://b.example"])
    for who, want in [("http://b.example", "http://b.example"), ("http://c.example", None)]:
        for method in ["OPTIONS", "GET"]:
            status, h, _ = raw_request(listed.port, method, "/v1/models", headers={"Origin": who})
            check(h.get("access-control-allow-origin") == want, "%s %s: %s" % (method, who, h))
            if want:
                check("origin" in h.get("vary", "").lower(), "no Vary: Origin: %s" % h)
    listed.terminate()
    off = Server(args.server, ["--cors-origin", ""])
    for method in ["OPTIONS", "GET"]:
        status, h, _ = raw_request(off.port, method, "/v1/models", headers=preflight)
        check(not any(k.startswith("access-control-") for k in h), "CORS off: %s" % h)
    off.terminate()


def wait_for_line(server, pattern, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in list(server.lines):
            if re.search(pattern, line):
                return line
        time.sleep(0.01)
    fail("no stderr line matches %r:\n%s" % (pattern, "".join(server.lines)))


def scenario_log(server, args):
    """A line per request on stderr (not for /health and /metrics);
    none with --log-disable."""
    completion_text(server, "The cat", max_tokens=5, ignore_eos=True)
    server.stream("/v1/chat/completions", {"messages": [{"role": "user", "content": "Hi"}],
                                           "max_tokens": 3, "ignore_eos": True, "stream": True})
    expect_error(server, {"prompt": "The cat", "n": 2}, 400)
    server.get("/health")
    server.metrics()
    wait_for_line(server, r"^trit-server: 127\.0\.0\.1 POST /v1/completions 200 prompt=3 "
                          r"generated=5 finish=length \d+\.\d ms$")
    wait_for_line(server, r"^trit-server: 127\.0\.0\.1 POST /v1/chat/completions 200 prompt=\d+ "
                          r"generated=3 finish=length \d+\.\d ms$")
    wait_for_line(server, r"^trit-server: 127\.0\.0\.1 POST /v1/completions 400 \d+\.\d ms$")
    check(not any("/health" in l or "/metrics" in l for l in server.lines),
          "/health or /metrics logged")
    # A client that leaves mid-stream: the line says so.
    s, _ = open_stream(server, {"prompt": "The cat", "max_tokens": 100000, "ignore_eos": True,
                                "stream": True})
    s.close()
    wait_for_line(server, r"POST /v1/completions 200 prompt=3 generated=\d+ finish=cancelled")
    quiet = Server(args.server, ["--log-disable"])
    completion_text(quiet, "The cat", max_tokens=2)
    quiet.get("/v1/nothing")
    quiet.terminate()
    check(not any(re.search(r"(GET|POST) /", l) for l in quiet.lines),
          "--log-disable logged: %s" % quiet.lines)


def scenario_compat(server, args):
    """The OpenAI API's shapes, checked field by field, and how chat
    messages are read (content parts, missing content, roles, bad UTF-8)."""
    chat = "/v1/chat/completions"
    hi = [{"role": "user", "content": "Tell me a joke"}]

    # Non-streamed objects.
    status, a = server.post(chat, {"messages": hi, "max_completion_tokens": 5, "temperature": 0,
                                   "ignore_eos": True})
    check(status == 200, "chat: %d %s" % (status, a))
    check(re.match(r"^chatcmpl-\w+$", a["id"]) and a["object"] == "chat.completion",
          "chat id/object: %s" % a)
    check(isinstance(a["created"], int) and abs(a["created"] - time.time()) < 600, "created")
    check(isinstance(a["model"], str) and isinstance(a["system_fingerprint"], str), "model")
    c = a["choices"][0]
    check(c["index"] == 0 and c["message"]["role"] == "assistant" and c["logprobs"] is None,
          "chat choice: %s" % c)
    check(a["usage"]["completion_tokens"] == 5 and c["finish_reason"] == "length",
          "max_completion_tokens: %s" % a)
    status, a = server.post("/v1/completions", {"prompt": "The cat", "max_tokens": 3})
    check(re.match(r"^cmpl-\w+$", a["id"]) and a["object"] == "text_completion", "completion: %s" % a)

    # Streamed chat: the role first, text chunks, the finish in a chunk with
    # an empty delta, usage null in every chunk only with include_usage.
    for include_usage in [False, True]:
        body = {"messages": hi, "max_tokens": 6, "temperature": 0, "ignore_eos": True,
                "stream": True}
        if include_usage:
            body["stream_options"] = {"include_usage": True}
        chunks = server.stream(chat, body)
        check(len({c["id"] for c in chunks}) == 1 and chunks[0]["id"].startswith("chatcmpl-"),
              "one chatcmpl- id per stream")
        check(len({c["created"] for c in chunks}) == 1, "one created per stream")
        check(all(c["object"] == "chat.completion.chunk" for c in chunks), "chunk objects")
        check(chunks[0]["choices"][0]["delta"].get("role") == "assistant", "first chunk: %s" % chunks[0])
        check(all("role" not in c["choices"][0]["delta"] for c in chunks[1:] if c["choices"]),
              "role after the first chunk")
        choices = [c for c in chunks if c["choices"]]
        last = choices[-1]["choices"][0]
        check(last["delta"] == {} and last["finish_reason"] == "length", "final chunk: %s" % last)
        check(all(c["choices"][0]["finish_reason"] is None for c in choices[:-1]),
              "finish_reason before the end")
        if include_usage:
            check(all("usage" in c and c["usage"] is None for c in choices), "usage null in chunks")
            check(chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 6,
                  "usage chunk: %s" % chunks[-1])
        else:
            check(all("usage" not in c for c in chunks), "usage without include_usage")

    # stop: a string or an array; n other than 1 is a 400.
    full = completion_text(server, "The cat", max_tokens=12, ignore_eos=True)["choices"][0]["text"]
    word = full.split()[1] if len(full.split()) > 1 else full[2:4]
    for stop in [word, [word], ["\u00ff\u00fe", word]]:
        t = completion_text(server, "The cat", max_tokens=12, ignore_eos=True, stop=stop)
        check(t["choices"][0]["text"] == full[:full.find(word)] and
              t["choices"][0]["finish_reason"] == "stop", "stop %r: %s" % (stop, t))
    expect_error(server, {"messages": hi, "n": 2}, 400, "n", path=chat)

    # Logprobs: chat's content list, completions' legacy object.
    status, a = server.post(chat, {"messages": hi, "max_tokens": 3, "logprobs": True,
                                   "top_logprobs": 2})
    lp = a["choices"][0]["logprobs"]["content"]
    check(len(lp) == 3 and set(lp[0]) == {"token", "logprob", "bytes", "top_logprobs"} and
          len(lp[0]["top_logprobs"]) == 2, "chat logprobs: %s" % lp)
    a = completion_text(server, "The cat", max_tokens=3, logprobs=2)
    lp = a["choices"][0]["logprobs"]
    check(set(lp) == {"tokens", "token_logprobs", "top_logprobs", "text_offset"} and
          len(lp["tokens"]) == 3, "completion logprobs: %s" % lp)

    # Models: the list, one model, an unknown one; /v1/health.
    status, models = server.get("/v1/models")
    m = models["data"][0]
    check(set(m) >= {"id", "object", "created", "owned_by"} and m["object"] == "model", "model %s" % m)
    status, one = server.get("/v1/models/" + m["id"])
    check(status == 200 and one["id"] == m["id"], "/v1/models/ID: %d %s" % (status, one))
    status, one = server.get("/v1/models/no-such-model")
    check(status == 404 and one["error"]["code"] == "model_not_found", "unknown model: %s" % one)
    status, _ = server.get("/v1/health")
    check(status == 200, "/v1/health: %d" % status)

    # Content as text parts (what the OpenAI SDKs send): the parts joined
    # with newlines, the same prompt as that string.
    def prompt_tokens(messages):
        status, a = server.post(chat, {"messages": messages, "max_tokens": 1})
        check(status == 200, "%s: %d %s" % (messages, status, a))
        return a["usage"]["prompt_tokens"]
    parts = [{"type": "text", "text": "Tell me"}, {"type": "text", "text": "a joke"}]
    check(prompt_tokens([{"role": "user", "content": parts}]) ==
          prompt_tokens([{"role": "user", "content": "Tell me\na joke"}]), "text parts")
    check(prompt_tokens([{"role": "system", "content": "Be brief."},
                         {"role": "assistant", "content": None},
                         {"role": "user", "content": [{"type": "text", "text": "Hi"}]}]) > 0,
          "null assistant content")

    # Messages that cannot be read: clear 400s naming the field.
    for messages, param in [
            ([{"role": "user"}], "messages[0].content"),
            ([{"role": "user", "content": None}], "messages[0].content"),
            ([{"role": "system", "content": "x"}, {"role": "user"}], "messages[1].content"),
            ([{"role": "user", "content": 5}], "messages[0].content"),
            ([{"role": "user", "content": [{"type": "text", "text": "a"},
                                           {"type": "image_url", "image_url": {"url": "x"}}]}],
             "messages[0].content[1]"),
            ([{"role": "user", "content": [{"text": "no type"}]}], "messages[0].content[0]"),
            ([{"role": "user", "content": ["plain"]}], "messages[0].content[0]"),
            ([{"role": "tool", "content": "42", "tool_call_id": "c1"}], "messages[0].role"),
            ([{"role": "function", "content": "42", "name": "f"}], "messages[0].role"),
            ([{"role": "wizard", "content": "hi"}], "messages[0].role"),
            ([{"content": "hi"}], "messages[0].role"),
            ([{"role": "assistant", "content": None,
               "tool_calls": [{"id": "c1", "type": "function",
                               "function": {"name": "f", "arguments": "{}"}}]}],
             "messages[0].tool_calls"),
            (["hi"], "messages[0]"),
            ("hi", "messages")]:
        got, answer = server.post(chat, {"messages": messages})
        check(got == 400 and answer["error"]["param"] == param and answer["error"]["message"],
              "%s: %d %s, expected 400 for %s" % (json.dumps(messages), got, answer, param))
    # Bodies that are not UTF-8 JSON.
    for raw in [b'{"messages": [{"role": "user", "content": "caf\xe9"}]}',
                b'{"messages": [{"role": "user", "content": "\\ud800"}]}',
                b'{"messages": [{"role": "user", "content": "\xc3"}]}']:
        got, answer = server.post(chat, raw, raw=True)
        check(got == 400 and answer["error"]["type"] == "invalid_request_error",
              "%r: %d %s" % (raw, got, answer))
    # Still serving.
    check(prompt_tokens(hi) > 0, "after the errors")


# A thinking model's answers. A random Qwen3-shaped model never opens with
# <think> greedily, so the answers split here are sampled (temperature 1.5,
# top_k and top_p off) with seeds that made the model think first and
# close the block within THINK_TOKENS tokens (of `--gen-model --arch qwen3
# --seed 3`): found by asking with max_tokens 1 and reasoning_format none
# for seed after seed until the content was "<think>".
THINK_QUESTION = "What is this"
THINK_SEEDS = [1039, 10360]
THINK_TOKENS = 40
WS = " \t\n\v\f\r"


def split_reasoning(text):
    """llama-server's default reasoning format, written from its
    description: a leading <think>...</think> (after whitespace) is the
    reasoning, stripped; what follows, without leading whitespace, the
    content. Without <think> all is content; without </think> all is
    reasoning."""
    rest = text.lstrip(WS)
    if not rest.startswith("<think>"):
        return "", text
    rest = rest[len("<think>"):]
    end = rest.find("</think>")
    if end < 0:
        return rest.strip(WS), ""
    return rest[:end].strip(WS), rest[end + len("</think>"):].lstrip(WS)


def think_body(seed, **options):
    body = {"messages": [{"role": "user", "content": THINK_QUESTION}], "max_tokens": THINK_TOKENS,
            "temperature": 1.5, "top_k": 0, "top_p": 1, "seed": seed}
    body.update(options)
    return body


def thinking_answer(server):
    """A seed whose answer opens and closes a think block, and that answer
    as generated (reasoning_format none)."""
    for seed in THINK_SEEDS:
        status, a = server.post("/v1/chat/completions", think_body(seed, reasoning_format="none"))
        check(status == 200, "raw answer: %d %s" % (status, a))
        raw = a["choices"][0]["message"]
        check("reasoning_content" not in raw, "reasoning_content with format none: %s" % raw)
        if raw["content"].startswith("<think>") and "</think>" in raw["content"]:
            return seed, raw["content"], a["usage"]
    fail("no seed of %s makes the model think and stop thinking any more; search new "
         "ones as THINK_SEEDS says" % THINK_SEEDS)


def scenario_think(server, args):
    """Qwen3 thinking: the prompt with thinking on and off (the server's
    --reasoning-budget, a request's chat_template_kwargs), earlier answers
    without their think blocks, and answers split into reasoning_content
    and content, whole and streamed, cut inside the reasoning, and kept
    whole with reasoning_format none."""
    chat = "/v1/chat/completions"
    question = [{"role": "user", "content": THINK_QUESTION}]

    # The prompt: what trit-run --chat tokenizes, with and without thinking.
    def prompt_tokens(srv, messages, **options):
        body = {"messages": messages, "max_tokens": 1}
        body.update(options)
        status, a = srv.post(chat, body)
        check(status == 200, "%s: %d %s" % (body, status, a))
        return a["usage"]["prompt_tokens"]
    def run_count(*flags):
        return len(trit_run(args.trit_run, "--chat", "--tokenize", "-p", THINK_QUESTION,
                            *flags).strip().split(","))
    on, off = run_count(), run_count("--reasoning-budget", "0")
    check(prompt_tokens(server, question) == on, "prompt with thinking on")
    no_think = {"chat_template_kwargs": {"enable_thinking": False}}
    check(prompt_tokens(server, question, **no_think) == off, "enable_thinking false")
    status, a = server.post("/apply-template", dict(messages=question, **no_think))
    check(status == 200 and a["prompt"] == "<|im_start|>user\n%s<|im_end|>\n"
          "<|im_start|>assistant\n<think>\n\n</think>\n\n" % THINK_QUESTION,
          "/apply-template: %d %s" % (status, a))
    for bad, param in [({"chat_template_kwargs": 5}, "chat_template_kwargs"),
                       ({"chat_template_kwargs": {"enable_thinking": "no"}},
                        "chat_template_kwargs.enable_thinking"),
                       ({"reasoning_format": "deepseek-legacy"}, "reasoning_format")]:
        expect_error(server, dict(messages=question, **bad), 400, param, path=chat)

    # A thinking answer, as generated and split.
    seed, raw, raw_usage = thinking_answer(server)
    reasoning, content = split_reasoning(raw)
    check(reasoning and content, "nothing to split in %r" % raw)
    status, a = server.post(chat, think_body(seed))
    message = a["choices"][0]["message"]
    check(message.get("reasoning_content") == reasoning and message["content"] == content,
          "split %r into %s" % (raw, message))
    check(a["usage"] == raw_usage, "usage: %s, as generated %s" % (a["usage"], raw_usage))

    # Streamed: reasoning_content deltas until </think>, then content ones;
    # no tags shown, the same text and usage.
    chunks = server.stream(chat, think_body(seed, stream=True,
                                            stream_options={"include_usage": True}))
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    check(deltas[0] == {"role": "assistant", "content": ""}, "first delta: %s" % deltas[0])
    got_reasoning = "".join(d.get("reasoning_content", "") for d in deltas)
    got_content = "".join(d.get("content", "") for d in deltas)
    check(got_reasoning == reasoning and got_content == content,
          "streamed %r / %r, expected %r / %r" % (got_reasoning, got_content, reasoning, content))
    first_content = next(i for i, d in enumerate(deltas) if d.get("content"))
    check(not any("reasoning_content" in d for d in deltas[first_content:]),
          "reasoning after content: %s" % deltas)
    check(sum("reasoning_content" in d for d in deltas) > 1, "reasoning in one piece: %s" % deltas)
    check(chunks[-1]["usage"] == raw_usage, "streamed usage: %s" % chunks[-1])

    # Cut by max_tokens inside the reasoning: all of it reasoning.
    status, short = server.post(chat, think_body(seed, max_tokens=3, reasoning_format="none"))
    status, a = server.post(chat, think_body(seed, max_tokens=3))
    message = a["choices"][0]["message"]
    check(a["choices"][0]["finish_reason"] == "length" and message["content"] == "" and
          message.get("reasoning_content", "") == split_reasoning(
              short["choices"][0]["message"]["content"])[0],
          "cut: %s, as generated %s" % (a, short))
    chunks = server.stream(chat, think_body(seed, max_tokens=3, stream=True))
    check("".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "",
          "cut, streamed: content in %s" % chunks)

    # The answer back in the history: Qwen3's template keeps what follows
    # the last </think>, without leading newlines (other whitespace stays).
    after = raw.split("</think>")[-1].lstrip("\n")
    history = question + [{"role": "assistant", "content": raw}, {"role": "user", "content": "Why"}]
    bare = question + [{"role": "assistant", "content": after}, {"role": "user", "content": "Why"}]
    check(prompt_tokens(server, history) == prompt_tokens(server, bare), "history thinking")
    status, a = server.post("/apply-template", {"messages": history})
    check(a["prompt"] == "<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n%s<|im_end|>\n"
          "<|im_start|>user\nWhy<|im_end|>\n<|im_start|>assistant\n" % (THINK_QUESTION, after),
          "/apply-template of the history: %s" % a)
    # Sent back split, as clients keep it: the content as it is.
    split = question + [{"role": "assistant", "content": content, "reasoning_content": reasoning},
                        {"role": "user", "content": "Why"}]
    status, a = server.post("/apply-template", {"messages": split})
    check(a["prompt"] == "<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n%s<|im_end|>\n"
          "<|im_start|>user\nWhy<|im_end|>\n<|im_start|>assistant\n" % (THINK_QUESTION, content),
          "/apply-template of the split history: %s" % a)

    # --reasoning-budget 0 --reasoning-format none, and requests that ask
    # otherwise.
    plain = Server(args.server, ["--reasoning-budget", "0", "--reasoning-format", "none"])
    try:
        check(prompt_tokens(plain, question) == off, "--reasoning-budget 0")
        check(prompt_tokens(plain, question, chat_template_kwargs={"enable_thinking": True}) == on,
              "enable_thinking true over --reasoning-budget 0")
        body = think_body(seed, chat_template_kwargs={"enable_thinking": True})
        status, a = plain.post(chat, body)
        check(a["choices"][0]["message"]["content"] == raw, "--reasoning-format none: %s" % a)
        body["reasoning_format"] = "auto"
        status, a = plain.post(chat, body)
        check(a["choices"][0]["message"]["content"] == content and
              a["choices"][0]["message"]["reasoning_content"] == reasoning, "auto: %s" % a)
    finally:
        plain.terminate()

    # The Node SDK sees the same, when it is there.
    if args.node:
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server-openai-think.cjs")
        expected = {"seed": seed, "question": THINK_QUESTION, "max_tokens": THINK_TOKENS,
                    "reasoning": reasoning, "content": content, "on": on, "off": off}
        result = subprocess.run(["node", script, str(server.port), json.dumps(expected)])
        check(result.returncode == 0, "the Node client failed")


def scenario_node(server, args):
    """The official OpenAI Node SDK (NODE_PATH has it)."""
    expected = subprocess.run(shlex.split(args.trit_run) + ["--chat", "-p", "Tell me a joke", "-n", "24"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=True).stdout.decode()[:-1]
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server-openai.cjs")
    result = subprocess.run(["node", script, str(server.port), args.model_name, expected])
    check(result.returncode == 0, "the Node client failed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--server", required=True)
    ap.add_argument("--server-args", default="")
    ap.add_argument("--trit-run")
    ap.add_argument("--model-name", default="")
    ap.add_argument("--node", action="store_true", help="think: also the OpenAI Node SDK")
    ap.add_argument("--context", type=int, default=0)
    ap.add_argument("--requests", type=int, default=320)
    ap.add_argument("--rss-growth-kib", type=int, default=32 * 1024,
                    help="soak: how much the server's RSS may grow")
    args = ap.parse_args()
    server = Server(args.server, shlex.split(args.server_args))
    try:
        globals()["scenario_" + args.scenario](server, args)
    except BaseException:
        if server.proc.poll() is None:
            server.proc.kill()
        sys.stderr.write("".join(server.lines))
        raise
    if server.proc.poll() is None:
        server.terminate()
    print("%s: ok" % args.scenario)


if __name__ == "__main__":
    main()
