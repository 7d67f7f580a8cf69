# lab.mk -- lab @LAB@: the variables the kit's Makefile needs (variables only; the rules live
# in the top-level Makefile). Every name carries the lab's prefix, so labs never clash;
# harness/LABS.md says what each one means. `make labvars LAB=@LAB@` prints them.
LABS += @LAB@
@LAB@_TITLE := @TITLE@
@LAB@_SUMMARY := @SUMMARY@
# Earlier labs this one builds on, direct ones only: the build adds what those need in turn.
@LAB@_NEEDS :=
# What a student writes: a skeleton here, complete in reference/@LAB@/.
@LAB@_STUDENT_SRCS := crc32.c
# The kit's code beside the skeleton: status names and the bitwise definition.
@LAB@_GIVEN_SRCS := crc32_given.c
# Extra files only the reference may hold (room for an optimization); none here.
@LAB@_REFERENCE_SRCS :=
# tests/NAME.c, one binary per part; tests/rubric gives each test its points.
@LAB@_TESTS := test_a_crc32
# bench/NAME.c, each printing CSV; bench/targets states the ratios they must show.
@LAB@_BENCHES := bench_crc32
# Benches that measure peers only, run with PEERS=1 alone; this lab has no peer.
@LAB@_PEER_BENCHES :=
# cmd/NAME.c programs for `make bin`; none here.
@LAB@_BINS :=
@LAB@_LIBS :=
# Sanitizer builds `make test` grades the reference under (add thread for threaded parts).
@LAB@_SANITIZERS := address
@LAB@_BENCH_LTO :=
@LAB@_DATA :=
