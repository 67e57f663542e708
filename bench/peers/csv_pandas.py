#!/usr/bin/env python3
"""csv_pandas.py FILE: pandas read_csv (C engine, default type inference) of FILE.
Prints rows and "seconds=<read time>" (interpreter start-up excluded). Peer of bench/bench_csv.c."""
import sys, time
import pandas as pd

path = sys.argv[1]
t0 = time.perf_counter()
# dtype=str for the ID and code columns keeps leading zeros, as uplift does.
df = pd.read_csv(path, dtype={"id_number": str, "household_id": str, "area_code": str})
dt = time.perf_counter() - t0
print(f"rows={len(df)}")
print(f"seconds={dt:.6f}")
