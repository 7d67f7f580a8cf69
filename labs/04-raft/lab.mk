# lab.mk -- lab 04-raft: the variables the kit's Makefile needs (variables only; the rules live
# in the top-level Makefile). Every name carries the lab's prefix, so labs never clash;
# harness/LABS.md says what each one means. `make labvars LAB=04-raft` prints them.
LABS += 04-raft
04-raft_TITLE := Raft, replicated KV
04-raft_SUMMARY := Raft as a pure state machine: elections and log replication, checked by a deterministic simulator
# Earlier labs this one builds on, direct ones only: lab 03 (its struct bc_io and CRC-32C, for
# part C's storage; the replicated KV of part E keeps its keys in a lab 03 store),
# and through it lab 01.
04-raft_NEEDS := 03-bitcask
# What a student writes: a skeleton here, complete in reference/04-raft/.
04-raft_STUDENT_SRCS := raft_election.c raft_replication.c raft_storage.c raft_snapshot.c raft_read.c raft_kv.c raft_prevote.c
# The kit's code beside the skeleton: a node's life, its log in memory, the wire format, the
# KV's command format, and keel-raftkv (the server: raftkv.h).
04-raft_GIVEN_SRCS := raft_given.c raft_msg_given.c raft_kv_given.c raftkv_given.c raftkv_clients_given.c raftkv_net_given.c
04-raft_REFERENCE_SRCS :=
# tests/NAME.c, one binary per part; tests/rubric gives each test its points.
04-raft_TESTS := test_a_election test_b_replication test_b_restarts test_b_churn test_b_search test_c_storage test_c_crash test_d_storage test_d_snapshot test_e_kv test_e_snapshot test_e_read test_e_cluster test_e_server test_f_prevote
# bench/NAME.c, each printing CSV; bench/targets states the ratios they must show.
# bench_etcd measures keel-raftkv against etcd, so it is one of the PEER_BENCHES (run only with
# PEERS=1), built only where etcd and etcdctl are installed (`make peers`).
04-raft_HAS_ETCD := $(and $(wildcard /usr/bin/etcd),$(wildcard /usr/bin/etcdctl))
04-raft_BENCHES := bench_sim bench_search bench_seeds bench_timeline bench_raftkv bench_redis $(if $(04-raft_HAS_ETCD),bench_etcd)
04-raft_PEER_BENCHES := bench_etcd
04-raft_BINS := keel-raftkv
04-raft_LIBS :=
# The node is single-threaded and pure. ASan and UBSan find its memory bugs; TSan watches the
# real-process tests, whose driver runs a proxy thread and client threads beside the nodes.
04-raft_SANITIZERS := address thread
04-raft_BENCH_LTO :=
04-raft_DATA :=
