#!/usr/bin/env python3
"""measure_pandas.py FILE Z OUT: the bench_measure workload in pandas/numpy (Debian
python3-pandas). Reads FILE (province,urban,income,weight), computes by province x urban
the weighted mean, FGT0/1/2, Watts, Theil, MLD, Gini and median (first income whose
cumulative weight reaches half) with line Z, writes them to OUT (CSV) and prints
"read=<s>" and "compute=<s>". Written the vectorised way (sort once, grouped cumulative
sums); groupby.apply with Python functions would be far slower. Peer of bench/bench_measure.c."""
import sys, time
import numpy as np
import pandas as pd

path, z, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
t0 = time.perf_counter()
df = pd.read_csv(path, dtype={"province": "category", "urban": "int8", "income": "float64", "weight": "float64"})
t1 = time.perf_counter()
y = df["income"].to_numpy()
w = df["weight"].to_numpy()
g = df["province"].cat.codes.to_numpy().astype(np.int64) * 2 + df["urban"].to_numpy()
poor = y < z
gap = np.where(poor, (z - y) / z, 0.0)
with np.errstate(divide="ignore"):
    wl = np.where(poor, w * np.log(z / y), 0.0)
d = pd.DataFrame({"g": g, "w": w, "wy": w * y, "f0": w * poor, "f1": w * gap, "f2": w * gap * gap, "wl": wl})
s = d.groupby("g").sum()
V = s["w"]
mu = s["wy"] / V
mug = mu.reindex(g).to_numpy()
r = y / mug
d2 = pd.DataFrame({"g": g, "t": w * r * np.log(r), "m": w * np.log(mug / y)})
s2 = d2.groupby("g").sum()
order = np.lexsort((y, g))
ys, ws, gs = y[order], w[order], g[order]
cw = pd.Series(ws).groupby(gs).cumsum().to_numpy()
Vg = V.reindex(gs).to_numpy()
gini = pd.Series(ws * ys * (2 * cw - ws - Vg)).groupby(gs).sum() / (V * s["wy"])
half = cw >= 0.5 * Vg
med = pd.Series(ys[half]).groupby(gs[half]).first()
t2 = time.perf_counter()
cats = df["province"].cat.categories
res = pd.DataFrame({"province": [cats[k // 2] for k in s.index], "urban": [k % 2 for k in s.index],
                    "mean": mu, "fgt0": s["f0"] / V, "fgt1": s["f1"] / V, "fgt2": s["f2"] / V, "watts": s["wl"] / V,
                    "theil": s2["t"] / V, "mld": s2["m"] / V, "gini": gini, "median": med})
res.to_csv(out, index=False, float_format="%.17g")
print(f"read={t1 - t0:.6f}")
print(f"compute={t2 - t1:.6f}")
