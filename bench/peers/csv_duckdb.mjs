// csv_duckdb.mjs FILE [THREADS]: DuckDB read_csv of FILE into an in-memory table
// through @duckdb/node-api (npm devDependency). Prints rows and
// "seconds=<read time>" (start-up excluded). Peer of bench/bench_csv.c.
import { DuckDBInstance } from '@duckdb/node-api';

const path = process.argv[2];
const threads = process.argv[3] || '2';
const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await db.connect();
const t0 = performance.now();
await con.run(`CREATE TABLE t AS SELECT * FROM read_csv('${path.replace(/'/g, "''")}',
  types = {'id_number': 'VARCHAR', 'household_id': 'VARCHAR', 'area_code': 'VARCHAR'})`);
const dt = (performance.now() - t0) / 1000;
const r = await con.runAndReadAll('SELECT count(*) AS n FROM t');
console.log(`rows=${r.getRows()[0][0]}`);
console.log(`seconds=${dt.toFixed(6)}`);
