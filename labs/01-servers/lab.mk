# lab.mk -- lab 01-servers: the variables the kit's Makefile needs (variables only; the
# rules live in the top-level Makefile). Names are prefixed with the lab so labs never clash.
LABS += 01-servers
01-servers_TITLE := Concurrent servers
01-servers_SUMMARY := RESP, dict, server models: from a sequential socket loop to an epoll RESP server that keeps up with Redis
01-servers_STUDENT_SRCS := resp.c dict.c store.c commands.c strings.c client.c pubsub.c server_blocking.c \
  server_pool.c server_epoll.c
01-servers_GIVEN_SRCS := resp_given.c store_given.c commands_given.c server_given.c \
  server_commands_given.c server_main.c glob_given.c commands_catalog_given.c \
  server_config_given.c
01-servers_NEEDS :=
01-servers_TESTS := test_a_resp test_b_dict test_b_store test_c_servers test_d_epoll test_e_pubsub
01-servers_BENCHES := bench_resp bench_servers bench_conns bench_fuzz
01-servers_LIBS :=
# Command-line programs (cmd/NAME.c), built by `make bin` into out/bin/.
01-servers_BINS := keel-server
# Sanitizer builds `make test` runs the reference under (thread joins for concurrent parts).
01-servers_SANITIZERS := address thread
