// measure_duckdb.mjs FILE Z OUT [THREADS]: the bench_measure workload in DuckDB SQL through
// @duckdb/node-api (npm devDependency): by province x urban the weighted mean, FGT0/1/2,
// Watts, Theil, MLD, Gini (window cumulative weights) and median (first income whose
// cumulative weight reaches half) with line Z; writes OUT (CSV) and prints "read=<s>" and
// "compute=<s>" (start-up excluded). Peer of bench/bench_measure.c.
import { DuckDBInstance } from '@duckdb/node-api';

const [path, z, out] = process.argv.slice(2, 5);
const threads = process.argv[5] || '2';
const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await db.connect();
const q = (s) => s.replace(/'/g, "''");
let t0 = performance.now();
await con.run(`CREATE TABLE t AS SELECT * FROM read_csv('${q(path)}',
  columns = {'province': 'VARCHAR', 'urban': 'INTEGER', 'income': 'DOUBLE', 'weight': 'DOUBLE'}, header = true)`);
const read = (performance.now() - t0) / 1000;
t0 = performance.now();
await con.run(`CREATE TABLE r AS
WITH a AS (
  SELECT province, urban, sum(weight) AS V, sum(weight * income) AS Y,
         sum(CASE WHEN income < ${z} THEN weight ELSE 0 END) AS f0,
         sum(CASE WHEN income < ${z} THEN weight * (${z} - income) / ${z} ELSE 0 END) AS f1,
         sum(CASE WHEN income < ${z} THEN weight * pow((${z} - income) / ${z}, 2) ELSE 0 END) AS f2,
         sum(CASE WHEN income < ${z} THEN weight * ln(${z} / income) ELSE 0 END) AS wl
  FROM t GROUP BY province, urban),
b AS (
  SELECT t.province, t.urban,
         sum(weight * (income / (Y / V)) * ln(income / (Y / V))) AS th,
         sum(weight * ln((Y / V) / income)) AS ml
  FROM t JOIN a ON t.province = a.province AND t.urban = a.urban GROUP BY t.province, t.urban),
c AS (
  SELECT province, urban, income, weight,
         sum(weight) OVER (PARTITION BY province, urban ORDER BY income ROWS UNBOUNDED PRECEDING) AS cw
  FROM t),
d AS (
  SELECT c.province, c.urban, sum(weight * income * (2 * cw - weight - V)) / (any_value(V) * any_value(Y)) AS gini,
         min(CASE WHEN cw >= V / 2 THEN income END) AS med
  FROM c JOIN a ON c.province = a.province AND c.urban = a.urban GROUP BY c.province, c.urban)
SELECT a.province, a.urban, Y / V AS mean, f0 / V AS fgt0, f1 / V AS fgt1, f2 / V AS fgt2, wl / V AS watts,
       th / V AS theil, ml / V AS mld, gini, med AS median
FROM a JOIN b ON a.province = b.province AND a.urban = b.urban
       JOIN d ON a.province = d.province AND a.urban = d.urban
ORDER BY a.province, a.urban`);
const compute = (performance.now() - t0) / 1000;
await con.run(`COPY r TO '${q(out)}' (HEADER, DELIMITER ',')`);
console.log(`read=${read.toFixed(6)}`);
console.log(`compute=${compute.toFixed(6)}`);
