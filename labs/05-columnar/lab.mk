# lab.mk -- lab 05-columnar: the variables the kit's Makefile needs (variables only; the rules
# live in the top-level Makefile). Every name carries the lab's prefix, so labs never clash;
# harness/LABS.md says what each one means. `make labvars LAB=05-columnar` prints them.
LABS += 05-columnar
05-columnar_TITLE := Columnar query engine
05-columnar_SUMMARY := a vectorized, late-materializing, morsel-parallel query engine over compressed column files, checked against SQLite
# Morsels are handed out by an atomic counter (part D), not lab 02's queues: a counter over a
# known range of row groups is the simplest MPMC queue there is. So the lab stands alone.
05-columnar_NEEDS :=
# What a student writes: a skeleton here, complete in reference/05-columnar/.
05-columnar_STUDENT_SRCS := encoding.c decoding.c chunk.c cache.c expr.c select.c aggregate.c join.c sort.c scan.c exec.c
# The kit's code beside the skeleton: names, errors, CRC-32C, dates and decimals; the table
# file's writer and reader; the CSV loader; the TPC-H generator; the SQL parser (sql.h) and
# planner (plan.h); the SQL shell's line editor (lineedit.h).
05-columnar_GIVEN_SRCS := col_given.c colwriter_given.c colreader_given.c csv_given.c vec_given.c expr_given.c ops_given.c scan_given.c tpch_given.c exec_given.c sql_lex_given.c sql_parse_given.c plan_given.c lineedit_given.c
05-columnar_REFERENCE_SRCS :=
# tests/NAME.c, one binary per part; tests/rubric gives each test its points.
05-columnar_TESTS := test_a_encoding test_a_file test_a_cache test_a_memory test_b_expr test_b_aggregate test_b_join test_b_sort test_b_memory test_c_scan test_d_exec test_e_sql
# bench/NAME.c, each printing CSV; bench/targets states the ratios they must show.
# bench_duckdb races DuckDB, so it is one of the PEER_BENCHES (run only with PEERS=1), built only
# where `make peers` has installed DuckDB's Node.js package under $(OUT)/peers/duckdb.
05-columnar_HAS_DUCKDB := $(wildcard $(OUT)/peers/duckdb/node_modules/@duckdb/node-api/package.json)
05-columnar_BENCHES := bench_encoding bench_queries bench_bandwidth $(if $(05-columnar_HAS_DUCKDB),bench_duckdb)
05-columnar_PEER_BENCHES := bench_duckdb
05-columnar_BINS := keel-tpch keel-sql
# Part E's tests ask SQLite (a kit package) the same queries.
05-columnar_LIBS := -lsqlite3
# The cache is shared by threads (part D's workers): TSan watches its tests.
05-columnar_SANITIZERS := address thread
05-columnar_BENCH_LTO :=
05-columnar_DATA :=
