#!/usr/bin/env python3
"""Prints every ```mlir block of a Markdown file, separated by `// -----`,
so that `trit-opt -split-input-file` parses and verifies each of them."""
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: extract-mlir-blocks.py FILE.md")
    blocks, current = [], None
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            stripped = line.strip()
            if current is None and stripped == "```mlir":
                current = []
            elif current is not None and stripped == "```":
                blocks.append("".join(current))
                current = None
            elif current is not None:
                current.append(line)
    if current is not None:
        sys.exit(f"{sys.argv[1]}: unterminated ```mlir block")
    if not blocks:
        sys.exit(f"{sys.argv[1]}: no ```mlir blocks")
    sys.stdout.write("\n// -----\n".join(blocks))


if __name__ == "__main__":
    main()
