// csv_duckdb.mjs FILE [THREADS] [TEXT_COLUMNS]: DuckDB read_csv of FILE into an in-memory table
// through @duckdb/node-api (npm devDependency). Prints rows and
// "seconds=<read time>" (start-up excluded). Peer of bench/bench_csv.c.
import { DuckDBInstance } from '@duckdb/node-api';
import { openSync, readSync, closeSync } from 'node:fs';

const path = process.argv[2];
const threads = process.argv[3] || '2';
const buf = Buffer.alloc(65536);
const fd = openSync(path, 'r');
const got = readSync(fd, buf, 0, buf.length, 0);
closeSync(fd);
const header = buf.subarray(0, got).toString('utf8').split(/\r?\n/)[0].split(',');
const text = (process.argv[4] || 'id_number,household_id,area_code').split(',').filter((c) => header.includes(c));
// VARCHAR for the ID and code columns keeps leading zeros, as uplift does.
const types = text.map((c) => `'${c}': 'VARCHAR'`).join(', ');
const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await db.connect();
const t0 = performance.now();
await con.run(`CREATE TABLE t AS SELECT * FROM read_csv('${path.replace(/'/g, "''")}', types = {${types}})`);
const dt = (performance.now() - t0) / 1000;
const r = await con.runAndReadAll('SELECT count(*) AS n FROM t');
console.log(`rows=${r.getRows()[0][0]}`);
console.log(`seconds=${dt.toFixed(6)}`);
