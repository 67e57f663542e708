#!/usr/bin/env python3
"""csv_pandas.py FILE [TEXT_COLUMNS]: pandas read_csv (C engine, default type inference) of FILE.
Prints rows and "seconds=<read time>" (interpreter start-up excluded). Peer of bench/bench_csv.c."""
import sys, time
import pandas as pd

path = sys.argv[1]
text = (sys.argv[2] if len(sys.argv) > 2 else "id_number,household_id,area_code").split(",")
t0 = time.perf_counter()
# dtype=str for the ID and code columns keeps leading zeros, as uplift does.
df = pd.read_csv(path, dtype={c: str for c in text if c})
dt = time.perf_counter() - t0
print(f"rows={len(df)}")
print(f"seconds={dt:.6f}")
