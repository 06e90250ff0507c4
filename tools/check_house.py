#!/usr/bin/env python3
"""The house rules of ARCHITECTURE.md, checked from the sources (issue 12), so they cannot come
back silently. Run by tools/test; exits 1 and names every breach.

  tools/check_house.py [--root DIR]

1. Arrows only point down: proxy -> backfill -> client -> protocol. No include of proxy/ from
   backfill/ or client/, none of backfill/ from client/, and protocol/ includes only itself, the
   C++ standard library, lz4, snappy and Boost.System's error and result types (the return type
   STYLE.md rule 1 names; no Asio, no sockets, no logging).
2. No source file outside tests/ over 500 lines; the median source file under 200 lines.
"""
import argparse
import pathlib
import re
import statistics
import sys

LAYERS = ["protocol", "client", "backfill", "proxy"]  # each may include only those before it
SOURCE_DIRS = ["protocol", "client", "backfill", "proxy", "tools"]
SOURCE_SUFFIXES = {".cpp", ".hpp", ".h", ".cc", ".py"}
MAX_LINES = 500
MEDIAN_BELOW = 200

# Non-standard headers protocol/ may include (anything else with a '/' or '.h' is refused).
PROTOCOL_ALLOWED = {"lz4.h", "lz4frame.h", "snappy.h", "snappy-c.h",
                    "boost/system/error_code.hpp", "boost/system/result.hpp"}
# C headers of the standard library that protocol/ may use through their C++ names only.
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def is_standard_header(name):
    return "/" not in name and "." not in name  # <vector>, <cstdint>, <string_view>


def layer_breaches(root):
    out = []
    for rank, layer in enumerate(LAYERS):
        allowed = set(LAYERS[: rank + 1])
        for path in sorted((root / layer).rglob("*")):
            if path.suffix not in {".cpp", ".hpp", ".h", ".in"}:
                continue
            text = path.read_text(errors="replace")
            for m in INCLUDE.finditer(text):
                kind, name = m.group(1), m.group(2)
                line = text.count("\n", 0, m.start()) + 1
                where = f"{path.relative_to(root)}:{line}"
                top = name.split("/", 1)[0]
                if kind == '"' and top in LAYERS and top not in allowed:
                    out.append(f"{where}: {layer}/ includes {name}: arrows point down only "
                               f"({' -> '.join(reversed(LAYERS))})")
                if layer == "protocol" and kind == "<" and not is_standard_header(name) \
                        and name not in PROTOCOL_ALLOWED:
                    out.append(f"{where}: protocol/ includes <{name}>: only the standard "
                               "library, lz4, snappy and Boost.System's result types")
    return out


def source_files(root):
    for d in SOURCE_DIRS:
        for path in sorted((root / d).rglob("*")):
            if path.is_file() and path.suffix in SOURCE_SUFFIXES and "build" not in path.parts:
                yield path


def size_breaches(root):
    out = []
    lengths = []
    for path in source_files(root):
        n = len(path.read_text(errors="replace").splitlines())
        lengths.append(n)
        if n > MAX_LINES:
            out.append(f"{path.relative_to(root)}: {n} lines, over {MAX_LINES}: split it by what "
                       "it holds")
    median = statistics.median(lengths) if lengths else 0
    if median >= MEDIAN_BELOW:
        out.append(f"the median source file has {median} lines, not under {MEDIAN_BELOW}")
    return out, len(lengths), median


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent,
                        type=pathlib.Path)
    root = parser.parse_args().root.resolve()
    if not (root / "protocol").is_dir():
        print(f"check_house: {root} holds no protocol/: not a Tandem checkout", file=sys.stderr)
        return 1
    breaches = layer_breaches(root)
    sizes, count, median = size_breaches(root)
    breaches += sizes
    for b in breaches:
        print(f"check_house: {b}", file=sys.stderr)
    print(f"check_house: {count} source files, median {median} lines, "
          f"{len(breaches)} breaches of the house rules")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
