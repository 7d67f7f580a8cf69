// duckdb_peer.js -- DuckDB's side of bench_duckdb (lab 05): a long-lived process that loads the
// generator's .tbl text into an in-memory DuckDB and times queries on request, so that the C
// bench can alternate keel and DuckDB query by query. Run by bench_duckdb, not by hand:
//   KEEL_DUCKDB_DIR=out/peers/duckdb node labs/05-columnar/bench/duckdb_peer.js
// One request a line on stdin, one answer a line on stdout:
//   threads N        -> "ok"                      DuckDB's threads from now on
//   load DIR         -> "ok MS"                   the eight tables from DIR/NAME.tbl
//   run SQL          -> "MS ROWS"                 SQL on one line; MS its time in DuckDB
// An error answers "error MESSAGE" and the process goes on.
'use strict';

const path = require('path');
const readline = require('readline');
const { createRequire } = require('module');

const dir = process.env.KEEL_DUCKDB_DIR;
if (!dir) {
    console.log('error KEEL_DUCKDB_DIR is not set: run `make peers`');
    process.exit(2);
}
const { DuckDBInstance } = createRequire(path.resolve(dir) + '/')('@duckdb/node-api');

// The tables as tpch.h types them: keys INTEGER (order keys BIGINT), money DECIMAL(15,2), dates.
const schemas = {
    region: 'r_regionkey INTEGER, r_name VARCHAR, r_comment VARCHAR',
    nation: 'n_nationkey INTEGER, n_name VARCHAR, n_regionkey INTEGER, n_comment VARCHAR',
    supplier: 's_suppkey INTEGER, s_name VARCHAR, s_address VARCHAR, s_nationkey INTEGER, ' +
        's_phone VARCHAR, s_acctbal DECIMAL(15,2), s_comment VARCHAR',
    customer: 'c_custkey INTEGER, c_name VARCHAR, c_address VARCHAR, c_nationkey INTEGER, ' +
        'c_phone VARCHAR, c_acctbal DECIMAL(15,2), c_mktsegment VARCHAR, c_comment VARCHAR',
    part: 'p_partkey INTEGER, p_name VARCHAR, p_mfgr VARCHAR, p_brand VARCHAR, p_type VARCHAR, ' +
        'p_size INTEGER, p_container VARCHAR, p_retailprice DECIMAL(15,2), p_comment VARCHAR',
    partsupp: 'ps_partkey INTEGER, ps_suppkey INTEGER, ps_availqty INTEGER, ' +
        'ps_supplycost DECIMAL(15,2), ps_comment VARCHAR',
    orders: 'o_orderkey BIGINT, o_custkey INTEGER, o_orderstatus VARCHAR, ' +
        'o_totalprice DECIMAL(15,2), o_orderdate DATE, o_orderpriority VARCHAR, o_clerk VARCHAR, ' +
        'o_shippriority INTEGER, o_comment VARCHAR',
    lineitem: 'l_orderkey BIGINT, l_partkey INTEGER, l_suppkey INTEGER, l_linenumber INTEGER, ' +
        'l_quantity DECIMAL(15,2), l_extendedprice DECIMAL(15,2), l_discount DECIMAL(15,2), ' +
        'l_tax DECIMAL(15,2), l_returnflag VARCHAR, l_linestatus VARCHAR, l_shipdate DATE, ' +
        'l_commitdate DATE, l_receiptdate DATE, l_shipinstruct VARCHAR, l_shipmode VARCHAR, ' +
        'l_comment VARCHAR',
};

function quote(text) {
    return "'" + text.replace(/'/g, "''") + "'";
}

async function main() {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const con = await instance.connect();
    const lines = readline.createInterface({ input: process.stdin, terminal: false });
    for await (const line of lines) {
        const space = line.indexOf(' ');
        const verb = space < 0 ? line : line.slice(0, space);
        const arg = space < 0 ? '' : line.slice(space + 1);
        try {
            if (verb === 'threads') {
                await con.run(`SET threads = ${parseInt(arg, 10)}`);
                console.log('ok');
            } else if (verb === 'load') {
                const t0 = performance.now();
                for (const [name, columns] of Object.entries(schemas)) {
                    await con.run(`CREATE OR REPLACE TABLE ${name} (${columns})`);
                    // dbgen's text ends every line with '|': one more, empty column to drop.
                    await con.run(`INSERT INTO ${name} SELECT * EXCLUDE (extra) FROM read_csv(` +
                        `${quote(path.join(arg, name + '.tbl'))}, delim = '|', header = false, ` +
                        `columns = {${columns.split(/, (?![^(]*\))/).map((c) => {
                            const at = c.indexOf(' ');
                            return quote(c.slice(0, at)) + ': ' + quote(c.slice(at + 1));
                        }).join(', ')}, 'extra': 'VARCHAR'})`);
                }
                console.log(`ok ${(performance.now() - t0).toFixed(3)}`);
            } else if (verb === 'run') {
                const t0 = performance.now();
                const reader = await con.runAndReadAll(arg);
                const ms = performance.now() - t0;
                console.log(`${ms.toFixed(4)} ${reader.getRows().length}`);
            } else {
                console.log(`error unknown request '${verb}'`);
            }
        } catch (e) {
            console.log(`error ${String(e.message || e).replace(/\n/g, ' ')}`);
        }
    }
}

main().catch((e) => {
    console.log(`error ${String(e.message || e).replace(/\n/g, ' ')}`);
    process.exit(1);
});
