# lab.mk -- lab 03-bitcask: the variables the kit's Makefile needs (variables only; the rules
# live in the top-level Makefile). Names are prefixed with the lab so labs never clash.
LABS += 03-bitcask
03-bitcask_TITLE := A Bitcask store
03-bitcask_SUMMARY := a log-structured key-value store that loses nothing in a crash, under lab 01's server
03-bitcask_STUDENT_SRCS := record.c keydir.c bitcask.c recovery.c merge.c
03-bitcask_GIVEN_SRCS := io_posix.c bitcask_given.c server_backend.c
# The reference's hint loader (runs of hint files loaded together, checked on a second thread):
# compiled when the implementation holds it; a student's recovery.c may load hints its own way.
03-bitcask_REFERENCE_SRCS := hint_loader.c
# Part E runs lab 01's server with this store underneath.
03-bitcask_NEEDS := 01-servers
03-bitcask_TESTS := test_a_log test_b_recovery test_c_merge test_d_durability test_e_server
# bench_crash sweeps the crash tests' workloads over many seeds (1,000 with --full).
03-bitcask_BENCHES := bench_db bench_bitcask bench_crash
# server_backend.c is a storage backend for lab 01's server (store.h's store_backend_ops);
# cmd/keel-server.c lists it, so `keel-server --store bitcask:DIR` keeps the keyspace here.
03-bitcask_LIBS :=
# bench_db's peers: each linked only when its -dev package is installed (`make peers`); the
# bench compiles its adapter under the same condition (__has_include in bench/peers.h).
03-bitcask_LIBS += $(if $(wildcard /usr/include/leveldb/c.h),-lleveldb)
03-bitcask_LIBS += $(if $(wildcard /usr/include/rocksdb/c.h),-lrocksdb)
03-bitcask_LIBS += $(if $(wildcard /usr/include/lmdb.h),-llmdb)
03-bitcask_LIBS += $(if $(wildcard /usr/include/sqlite3.h),-lsqlite3)
03-bitcask_BINS := keel-server
# Sanitizer builds `make test` runs the reference under (group commit and merge are threaded).
03-bitcask_SANITIZERS := address thread
