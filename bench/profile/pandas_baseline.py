"""pandas baseline for bench/profile: read a CSV with pandas.read_csv, run
describe(include='all'), and print one JSON object with the row count, wall
and CPU seconds, and peak RSS (VmHWM from /proc/self/status, in KiB) after the
import and after the work. With --stats, also print per-column figures from
describe() so the Go side can cross-check its own profile.

Run with Debian's /usr/bin/python3 (python3-pandas)."""

import json
import sys
import time


def vmhwm_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    path = sys.argv[1]
    stats = "--stats" in sys.argv[2:]
    import pandas as pd

    after_import = vmhwm_kib()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    df = pd.read_csv(path)
    desc = df.describe(include="all")
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    out = {
        "rows": int(len(df)),
        "seconds": wall,
        "cpu_seconds": cpu,
        "vmhwm_kib": vmhwm_kib(),
        "import_vmhwm_kib": after_import,
        "pandas": pd.__version__,
    }
    if stats:
        cols = {}
        for name in df.columns:
            d = desc[name]
            c = {"count": int(d["count"])}
            for key in ("mean", "std", "min", "25%", "50%", "75%", "max"):
                if key in d and d[key] == d[key]:  # not NaN
                    c[key] = float(d[key])
            if "unique" in d and d["unique"] == d["unique"]:
                c["unique"] = int(d["unique"])
                c["top"] = str(d["top"])
                c["freq"] = int(d["freq"])
            cols[name] = c
        out["columns"] = cols
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
