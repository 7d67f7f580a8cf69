# lab.mk -- lab 03-bitcask: the variables the kit's Makefile needs (variables only; the rules
# live in the top-level Makefile). Names are prefixed with the lab so labs never clash.
LABS += 03-bitcask
03-bitcask_STUDENT_SRCS := record.c keydir.c bitcask.c recovery.c merge.c
03-bitcask_GIVEN_SRCS := io_posix.c bitcask_given.c
03-bitcask_NEEDS :=
03-bitcask_TESTS := test_a_log test_b_recovery test_c_merge test_d_durability
03-bitcask_BENCHES :=
03-bitcask_LIBS :=
03-bitcask_BINS :=
# Sanitizer builds `make test` runs the reference under (group commit and merge are threaded).
03-bitcask_SANITIZERS := address thread
