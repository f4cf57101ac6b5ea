"""Ratio table of a bench/test_bench_layouts.py JSON: each block or layout's
median time over the contiguous fill of its group (for test_layout_threads
and test_layout_memory_floor, the ratio of the medians of their
alternating calls).

    python bench/layout_ratios.py bench/results/layouts.json
"""
import json
import re
import sys


def main(path):
    data = json.load(open(path))
    groups = {}
    alternating = []
    for b in data["benchmarks"]:
        if b["extra_info"].get("kind") in ("layout_threads", "layout_floor"):
            alternating.append(b)
            continue
        m = re.match(r"test_(block|layout)\[(.*)\]", b["name"])
        groups.setdefault(b["group"], []).append((m.group(2), b["stats"]["median"]))
    print(f"{'group':<58} {'case':<42} {'ms':>8} {'ratio':>7}")
    for group, rows in sorted(groups.items()):
        ref = [t for name, t in rows if "contiguous" in name or "c_order" in name]
        for name, t in rows:
            if "contiguous" in name or "c_order" in name:
                continue
            print(f"{group:<58} {name:<42} {t * 1e3:8.3f} {t / ref[0]:7.2f}" if ref else
                  f"{group:<58} {name:<42} {t * 1e3:8.3f}")
    for b in sorted(alternating, key=lambda b: b["group"]):
        x = b["extra_info"]
        name = re.match(r"test_layout_\w+\[(.*)\]", b["name"]).group(1)
        print(f"{b['group']:<58} {name:<42} {x['layout_median'] * 1e3:8.3f} {x['ratio']:7.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
