"""Table of a bench/test_bench_first_touch.py JSON: each fill's median time
per element on fresh memory and its ratio over the floor (zero_()).

    python bench/first_touch_ratios.py bench/results/first_touch.json
"""
import json
import sys


def main(path):
    data = json.load(open(path))
    info = data.get("machine_info", {})
    print(f"{info.get('cpu', {}).get('brand_raw', '?')}, fastinit path "
          f"{info.get('fastinit_simd_path', '?')}, load {info.get('loadavg', '?')}")
    print("| dtype | fill | ns / element | over the floor |")
    print("|---|---|---|---|")
    for b in data["benchmarks"]:
        x = b["extra_info"]
        if x.get("kind") != "first_touch":
            continue
        for name, t in x["medians"].items():
            print(f"| {x['dtype']} | {name} | {t / x['n'] * 1e9:.3f} "
                  f"| {x['over_floor'][name]:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1])
