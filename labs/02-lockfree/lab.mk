# lab.mk -- lab 02-lockfree: the variables the kit's Makefile needs (variables only; the rules
# live in the top-level Makefile). Names are prefixed with the lab so labs never clash.
LABS += 02-lockfree
02-lockfree_TITLE := Lock-free structures
02-lockfree_SUMMARY := spinlocks, epoch-based reclamation, a Treiber stack and Michael-Scott queue, MPMC and SPSC rings, lab 01's pool on the ring
02-lockfree_STUDENT_SRCS := spinlock.c ebr.c stack.c msqueue.c ring.c pool_ring.c
# node_pool_given.c: the cache of EBR-reclaimed nodes the reference's stack and queue use.
02-lockfree_GIVEN_SRCS := node_pool_given.c
# Part F runs lab 01's thread pool on this lab's ring.
02-lockfree_NEEDS := 01-servers
02-lockfree_TESTS := test_a_spinlocks test_b_ebr test_c_stack test_d_msqueue test_e_rings test_f_pool
# bench_ck measures ConcurrencyKit (libck-dev, `make peers`) on the same workloads; it is built
# only where ck's headers are installed, so the kit builds and benchmarks without it.
02-lockfree_HAS_CK := $(wildcard /usr/include/ck_ring.h)
02-lockfree_BENCHES := bench_locks bench_queues bench_pool $(if $(02-lockfree_HAS_CK),bench_ck)
# Benches that measure peers alone: run only with --peers (PEERS=1), and a note's number from
# one reads "needs PEERS=1" in a run without.
02-lockfree_PEER_BENCHES := bench_ck
# The benches link with -flto (the top-level Makefile): ck's structures are header-only and
# inlined into the bench loops, and the lab's are inlined the same way, so that a comparison
# measures the algorithms and not a call. Without it, our SPSC ring moved 98-148 M items a
# second and 176-219 M with it (notes/02-lockfree.md).
02-lockfree_BENCH_LTO := 1
02-lockfree_LIBS :=
# keel-server with --pool-queue ring (cmd/keel-server.c includes lab 01's).
02-lockfree_BINS := keel-server
# Sanitizer builds `make test` runs the reference under: ASan sees use after free in the
# reclamation tests, TSan sees data races on every part.
02-lockfree_SANITIZERS := address thread
