# lab.mk -- lab 01-servers: the variables the kit's Makefile needs (variables only; the
# rules live in the top-level Makefile). Names are prefixed with the lab so labs never clash.
LABS += 01-servers
01-servers_STUDENT_SRCS := resp.c
01-servers_GIVEN_SRCS := resp_given.c
01-servers_NEEDS :=
01-servers_TESTS := test_a_resp
01-servers_BENCHES := bench_resp
01-servers_LIBS :=
# Command-line programs (cmd/NAME.c), built by `make bin` into out/bin/.
01-servers_BINS :=
# Sanitizer builds `make test` runs the reference under (thread joins for concurrent parts).
01-servers_SANITIZERS := address
