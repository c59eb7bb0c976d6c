#!/usr/bin/env python3
"""Checks trit-run --chat's turns after the first against fresh evaluations
of the conversation as Qwen3's chat template renders it.

  check-chat-history.py MODEL.gguf --trit-run 'trit-run MODEL.trit' -n N
                        [--no-think] [--expect-history-thinking] TURN...

Runs the chat (one TURN per line of standard input, --print-token-ids, so a
line of ids per reply), then for each turn after the first renders the
conversation independently (written from Qwen3's template: an earlier reply
keeps only what follows its last </think>, without leading newlines; every
turn ends "<|im_end|>\\n"; with --no-think the generation prompt is followed
by "<think>\\n\\n</think>\\n\\n"), tokenizes it with reference-tokenizer.py and
runs trit-run on those ids alone: the reply must be the chat's. The chat's
prompt token count must be what re-evaluating from the first token that
differs from the context gives. --expect-history-thinking: some earlier
reply must hold </think>, so that the history really lost a think block.
Exits non-zero with a message on the first difference.
"""
import argparse
import importlib.util
import os
import re
import shlex
import subprocess
import sys


def load(name, file):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), file)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fail(message):
    sys.exit("FAIL: " + message)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--trit-run", required=True)
    ap.add_argument("-n", type=int, required=True)
    ap.add_argument("--no-think", action="store_true")
    ap.add_argument("--expect-history-thinking", action="store_true")
    ap.add_argument("turns", nargs="+")
    args = ap.parse_args()

    tok = load("reference_tokenizer", "reference-tokenizer.py")
    meta, _ = tok.load_gguf_reader()(args.model)
    tokens = meta["tokenizer.ggml.tokens"]
    types = meta["tokenizer.ggml.token_type"]
    char_byte = {c: b for b, c in tok.bytes_to_unicode().items()}

    def decode(ids):
        out = b""
        for i in ids:
            if types[i] == 3:        # control: not shown
                continue
            if types[i] == 4:        # user-defined (<think>): its text
                out += tokens[i].encode()
            else:
                out += bytes(char_byte[c] for c in tokens[i])
        return out

    def render(messages):
        last_query = max(i for i, (role, _) in enumerate(messages) if role == b"user")
        out = b""
        for i, (role, content) in enumerate(messages):
            if role == b"assistant":
                assert i < last_query  # replies here are all history
                if b"</think>" in content:
                    content = content.split(b"</think>")[-1].lstrip(b"\n")
            out += b"<|im_start|>" + role + b"\n" + content + b"<|im_end|>\n"
        out += b"<|im_start|>assistant\n"
        if args.no_think:
            out += b"<think>\n\n</think>\n\n"
        return out

    run = shlex.split(args.trit_run)
    chat = run + ["--chat", "-n", str(args.n), "--print-token-ids"]
    if args.no_think:
        chat += ["--reasoning-budget", "0"]
    result = subprocess.run(chat, input=("\n".join(args.turns) + "\n").encode(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        fail("the chat failed: " + result.stderr.decode(errors="replace"))
    replies = [[int(i) for i in line.split(",") if i]
               for line in result.stdout.decode().split("\n")[:-1]]
    if len(replies) != len(args.turns):
        fail("%d replies to %d turns: %r" % (len(replies), len(args.turns), result.stdout))
    m = re.search(r"prompt: (\d+) tokens", result.stderr.decode())
    if not m:
        fail("no prompt count: " + result.stderr.decode(errors="replace"))

    messages, held, evaluated, history_thinking = [], [], 0, False
    for k, turn in enumerate(args.turns):
        messages.append((b"user", turn.encode()))
        rendered = tok.encode(render(messages), meta, False)
        keep = 0
        while keep < min(len(held), len(rendered)) and held[keep] == rendered[keep]:
            keep += 1
        evaluated += len(rendered) - min(keep, len(rendered) - 1)
        if k > 0:
            fresh = subprocess.run(run + ["--prompt-tokens", ",".join(map(str, rendered)),
                                          "-n", str(args.n), "--print-token-ids"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
            alone = [int(i) for i in fresh.stdout.decode().strip().split(",") if i]
            if alone != replies[k]:
                fail("turn %d: the chat replied %s, the conversation alone %s"
                     % (k + 1, replies[k], alone))
        said = decode(replies[k])
        history_thinking |= b"</think>" in said and k + 1 < len(args.turns)
        messages.append((b"assistant", said))
        held = rendered + replies[k]
    if int(m.group(1)) != evaluated:
        fail("the chat evaluated %s prompt tokens, re-evaluating from the first "
             "difference gives %d" % (m.group(1), evaluated))
    if args.expect_history_thinking and not history_thinking:
        fail("no earlier reply holds </think>: choose turns whose replies do")
    print("chat history: ok (%d turns, %d prompt tokens)" % (len(args.turns), evaluated))


if __name__ == "__main__":
    main()
