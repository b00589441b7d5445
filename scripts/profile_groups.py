"""Sums a `perf report --sort symbol` of the extension into the stages of its path
(docs/cpu.md), in µs of CPU per function line (or per invoke): each sample stands for 1/frequency seconds.

    python3 scripts/profile_groups.py REPORT.txt FREQUENCY_HZ COUNT [UNIT]

COUNT is how many lines (or, with UNIT `invoke`, invokes) the run had.
"""
import re
import sys

# First match wins: the stage a symbol's CPU is counted in.
STAGES = [
    ("kernel and system calls (TCP, epoll, page faults, scheduling)",
     r"^\[k\]|^\[.\] (sccp|__syscall\w*|epoll_\w+|recv\w*|send\w*|writev|readv|__clock_gettime|__munmap|__mmap|munmap|mmap)$"),
    ("Telemetry envelope: serde_json", r"serde_json|serde_core|serde::"),
    ("Telemetry envelope: ours (reader, time, dispatch)", r"telemetry::"),
    ("allocator", r"alloc|malloc|free|realloc|Allocator"),
    ("memcpy/memcmp", r"memcpy|memmove|memset|bcmp|memcmp"),
    ("line parsing", r"lines::|from_utf8|is_contained_in|str::pattern|log2|parse_f64"),
    ("aggregation", r"aggregate::|hashbrown|StreamKey|foldhash|hash"),
    ("OTLP encoding and export", r"otlp::|export::|flate|crc32|prost|flush::"),
    ("HTTP (hyper, http) and tokio", r"hyper|http|tokio|mio|bytes::|futures"),
    ("pipeline loop, with the batch reader inlined; platform metrics",
     r"platform::|pipeline::|self_metrics"),
]


def main():
    report, hz, lines = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    unit = sys.argv[4] if len(sys.argv) > 4 else "line"
    sums = {name: 0 for name, _ in STAGES}
    sums["other"] = 0
    total = 0
    for line in open(report, encoding="utf-8", errors="replace"):
        m = re.match(r"\s*[\d.]+%\s+(\d+)\s+(\[.\])\s+(.*)", line)
        if not m:
            continue
        samples, kind = int(m.group(1)), m.group(2)
        # Without hardware counters, perf appends empty IPC columns (`-  -`).
        symbol = re.sub(r"(\s+-)*\s*$", "", m.group(3))
        total += samples
        text = f"{kind} {symbol}"
        stage = next((n for n, p in STAGES if re.search(p, text)), "other")
        sums[stage] += samples
    us = lambda s: s / hz * 1e6 / lines
    print(f"| stage | µs per {unit} | share |\n|---|---|---|")
    for name, samples in sorted(sums.items(), key=lambda kv: -kv[1]):
        if samples:
            print(f"| {name} | {us(samples):.3f} | {100 * samples / total:.0f}% |")
    print(f"| **all of the extension** | **{us(total):.3f}** | {total} samples |")


main()
