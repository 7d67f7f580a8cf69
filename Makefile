# Makefile -- Keel's one non-recursive make: labs/*/lab.mk hold each lab's variables, the rules
# below build any implementation of any lab into out/. `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
.DELETE_ON_ERROR:
.SUFFIXES:

# ---- What to build: override on the command line (make grade LAB=01-servers IMPL=~/mine) ----
LAB ?= all
IMPL ?= labs
DEPS ?= $(IMPL)
SANITIZE ?=
# CHAOS=1: the chaos build (harness/lib/concurrency/kh_chaos.h): every KH_CHAOS_POINT() may yield
# or spin.
CHAOS ?=
# KEEL_OUT is what the Python tools read; OUT= on the command line wins over both.
OUT ?= $(or $(KEEL_OUT),out)
# Absolute, always: the compiler writes each object's header dependencies (-MMD) under the name
# it was given, so an object built once as /abs/out/... and once as out/... would lose them,
# and a changed header would not rebuild what includes it (a stale struct layout crashed
# keel-server that way).
override OUT := $(abspath $(OUT))
# The harness's own tests point these at fixture labs; everyone else leaves them alone.
KEEL_LABS_DIR ?= labs
KEEL_REF_DIR ?= reference

CC ?= cc
WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Werror
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -O2 -g $(WARNINGS) -pthread -MMD -MP
SAN_address := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_undefined := -fsanitize=undefined -fno-sanitize-recover=undefined
SAN_thread := -fsanitize=thread
ifneq ($(SANITIZE),)
  ifeq ($(SAN_$(SANITIZE)),)
    $(error SANITIZE must be address, undefined or thread, not '$(SANITIZE)')
  endif
endif
CFLAGS_ALL := $(CFLAGS_BASE) $(SAN_$(SANITIZE)) $(if $(CHAOS),-DKEEL_CHAOS) $(EXTRA_CFLAGS)
LDFLAGS_ALL := -pthread $(SAN_$(SANITIZE))

# The lab contract: every variable a lab.mk may set, each as <lab>_NAME (harness/LABS.md says
# what each means). `make labvars LAB=...` prints them all; the Python tools read them there.
LAB_SCHEMA := TITLE SUMMARY NEEDS STUDENT_SRCS GIVEN_SRCS REFERENCE_SRCS TESTS BENCHES \
  PEER_BENCHES BINS LIBS SANITIZERS BENCH_LTO DATA
include $(sort $(wildcard $(KEEL_LABS_DIR)/*/lab.mk))
LABS_SELECTED := $(if $(filter all,$(LAB)),$(LABS),$(LAB))
$(foreach l,$(LABS_SELECTED),$(if $(filter $(l),$(LABS)),,$(error no lab '$(l)'; labs: $(LABS))))

# A lab's NEEDS, transitively, each needed lab before the labs that need it (03-bitcask needs
# 01-servers; a lab that needs 03 gets 01 as well). uniq keeps each word's first occurrence.
uniq = $(if $(1),$(firstword $(1)) $(call uniq,$(filter-out $(firstword $(1)),$(1))))
needs_all = $(call needs_walk,$(1),$(1))
# $(2): the labs on the way here; meeting one again is a cycle, which would recurse forever.
needs_walk = $(strip $(call uniq,$(foreach n,$($(1)_NEEDS),$(if $(filter $(n),$(2)),\
  $(error NEEDS has a cycle: $(2) $(n)),$(call needs_walk,$(n),$(2) $(n)) $(n)))))
$(foreach l,$(LABS_SELECTED),$(foreach n,$(call needs_all,$(l)),$(if $(filter $(n),$(LABS)),,\
  $(error lab $(l) needs '$(n)', which is not a lab here; labs: $(LABS)))))

# An implementation is `labs`, `reference`, or a path; a path with a subdirectory named after
# the lab means that subdirectory (one submission folder can hold several labs).
impl_dir = $(strip $(if $(filter labs,$(1)),$(KEEL_LABS_DIR)/$(2),$(if $(filter reference,$(1)),$(KEEL_REF_DIR)/$(2),$(if $(wildcard $(1)/$(2)/.),$(1)/$(2),$(1)))))
impl_name = $(if $(filter labs reference,$(1)),$(1),ext$(subst /,_,$(abspath $(1))))
VARIANT := $(call impl_name,$(IMPL))$(if $(filter-out $(IMPL),$(DEPS)),+deps-$(call impl_name,$(DEPS)))$(if $(SANITIZE),-$(SANITIZE))$(if $(CHAOS),-chaos)
BUILD_ROOT := $(OUT)/build/$(VARIANT)
HARNESS_BD := $(OUT)/build/harness$(if $(SANITIZE),-$(SANITIZE))$(if $(CHAOS),-chaos)

# ---- libharness: harness/lib/<concern>/*.c (core, net, storage, concurrency, ...) ----
# Every folder that holds a kh_*.h header is on the include path of libharness, of the
# harness's programs and of every lab, so code names a header alone ("kh_faultfs.h").
HARNESS_SRCS := $(wildcard harness/lib/*/*.c)
HARNESS_OBJS := $(patsubst harness/lib/%.c,$(HARNESS_BD)/%.o,$(HARNESS_SRCS))
HARNESS_INCLUDES := $(patsubst %/,-I%,$(sort $(dir $(wildcard harness/lib/*/kh_*.h))))
HARNESS_LIB := $(HARNESS_BD)/libharness.a
$(HARNESS_BD)/%.o: harness/lib/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(HARNESS_INCLUDES) -c $< -o $@
$(HARNESS_LIB): $(HARNESS_OBJS)
	@rm -f $@
	ar rcs $@ $^

# ---- The harness's own programs (harness/cmd/NAME.c, e.g. the load generator keel-load) ----
HARNESS_CMDS := $(patsubst harness/cmd/%.c,$(HARNESS_BD)/cmd/%,$(wildcard harness/cmd/*.c))
# (The generated dependencies add headers to these targets: compile only the .c and libraries.)
$(HARNESS_BD)/cmd/%: harness/cmd/%.c $(HARNESS_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) $(HARNESS_INCLUDES) -o $@ $(filter %.c %.o %.a,$^) -lcmocka -lm

# ---- One lab: student sources from the implementation, the rest from the kit ----
# $(1) = lab. Objects of the labs it NEEDS are built from DEPS into this lab's build directory.
define LAB_RULES
$(1)_IMPL_DIR := $(call impl_dir,$(IMPL),$(1))
$(1)_BD := $(BUILD_ROOT)/$(1)
$(1)_NEEDS_ALL := $(call needs_all,$(1))
$(1)_INCLUDES := $(call lab_includes,$(1))
# Every needed lab's LIBS as well: a library an earlier lab's code calls is needed here too.
$(1)_LIBS_ALL := $($(1)_LIBS) $(foreach n,$(call needs_all,$(1)),$($(n)_LIBS))
$(1)_OBJS := $(patsubst %.c,$(BUILD_ROOT)/$(1)/student/%.o,$(call impl_srcs,$(IMPL),$(1))) \
  $(patsubst %.c,$(BUILD_ROOT)/$(1)/given/%.o,$($(1)_GIVEN_SRCS)) \
  $(foreach n,$(call needs_all,$(1)),$(patsubst %.c,$(BUILD_ROOT)/$(1)/needs/$(n)/student/%.o,$(call impl_srcs,$(DEPS),$(n))) \
    $(patsubst %.c,$(BUILD_ROOT)/$(1)/needs/$(n)/given/%.o,$($(n)_GIVEN_SRCS)))
# BENCH_LTO=1 in a lab.mk: the lab's own objects carry GCC's intermediate code as well
# (fat LTO objects), and its benchmarks link with -flto, so that the lab's functions are
# inlined into a bench's loop as a header-only peer's are. Tests link the objects' ordinary
# code; sanitizer builds leave LTO out.
$(1)_LTO := $(if $(and $($(1)_BENCH_LTO),$(if $(SANITIZE),,1)),-flto=auto -ffat-lto-objects)
# The lab.mk files the build reads: a changed NEEDS or LIBS relinks (and builds what is new).
$(1)_MKS := $(KEEL_LABS_DIR)/$(1)/lab.mk $(foreach n,$(call needs_all,$(1)),$(KEEL_LABS_DIR)/$(n)/lab.mk)
$(1)_TEST_BINS := $(patsubst %,$(BUILD_ROOT)/$(1)/tests/%,$($(1)_TESTS))
$(1)_BENCH_BINS := $(patsubst %,$(BUILD_ROOT)/$(1)/bench/%,$($(1)_BENCHES))

$(BUILD_ROOT)/$(1)/student/%.o: $(call impl_dir,$(IMPL),$(1))/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_ALL) $$($(1)_LTO) $$($(1)_INCLUDES) -c $$< -o $$@
$(BUILD_ROOT)/$(1)/given/%.o: $(KEEL_LABS_DIR)/$(1)/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_ALL) $$($(1)_LTO) $$($(1)_INCLUDES) -c $$< -o $$@
$(BUILD_ROOT)/$(1)/tests/%.o: $(KEEL_LABS_DIR)/$(1)/tests/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_ALL) $$($(1)_INCLUDES) -DKEEL_RUBRIC='"$(abspath $(KEEL_LABS_DIR)/$(1)/tests/rubric)"' -c $$< -o $$@
$(BUILD_ROOT)/$(1)/bench/%.o: $(KEEL_LABS_DIR)/$(1)/bench/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_ALL) $$($(1)_LTO) $$($(1)_INCLUDES) -c $$< -o $$@
$(BUILD_ROOT)/$(1)/tests/%: $(BUILD_ROOT)/$(1)/tests/%.o $$($(1)_OBJS) $(HARNESS_LIB) $$($(1)_MKS)
	$$(CC) $$(LDFLAGS_ALL) -o $$@ $$(filter %.o %.a,$$^) -lcmocka $$($(1)_LIBS_ALL) -lm
$(BUILD_ROOT)/$(1)/bench/%: $(BUILD_ROOT)/$(1)/bench/%.o $$($(1)_OBJS) $(HARNESS_LIB) $$($(1)_MKS)
	$$(CC) $$(LDFLAGS_ALL) $$(if $$($(1)_LTO),-O2 -flto=auto) -o $$@ $$(filter %.o %.a,$$^) -lcmocka $$($(1)_LIBS_ALL) -lm
$(BUILD_ROOT)/$(1)/cmd/%: $(KEEL_LABS_DIR)/$(1)/cmd/%.c $$($(1)_OBJS) $(HARNESS_LIB) $$($(1)_MKS)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_ALL) $$($(1)_INCLUDES) -o $$@ $$< $$(filter %.o %.a,$$^) $$($(1)_LIBS_ALL) -lm
build-$(1): tests-$(1) $$($(1)_BENCH_BINS)
# What grading needs: the tests and the programs they start (no benchmarks, whose LTO links
# cost more than a lab's tests).
tests-$(1): $$($(1)_TEST_BINS) $(patsubst %,$(BUILD_ROOT)/$(1)/cmd/%,$($(1)_BINS)) $(HARNESS_CMDS)
bin-$(1): $(patsubst %,$(BUILD_ROOT)/$(1)/cmd/%,$($(1)_BINS))
	@mkdir -p $(OUT)/bin
	@$$(if $$^,cp $$^ $(OUT)/bin/ && echo "bin: $$(notdir $$^) from $(IMPL) in $(OUT)/bin/",echo "bin: lab $(1) has no programs yet")
endef

# $(1) = lab, $(2) = a lab it needs (directly or through another), built from DEPS
# (`DEPS=reference` when stuck on $(2)) with $(2)'s own includes: its headers and those of the
# labs it needs in turn.
define NEED_RULES
$(BUILD_ROOT)/$(1)/needs/$(2)/student/%.o: $(call impl_dir,$(DEPS),$(2))/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_ALL) $(call lab_includes,$(2)) -c $$< -o $$@
$(BUILD_ROOT)/$(1)/needs/$(2)/given/%.o: $(KEEL_LABS_DIR)/$(2)/%.c
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS_ALL) $(call lab_includes,$(2)) -c $$< -o $$@
endef

# The sources an implementation $(1) of lab $(2) contributes: STUDENT_SRCS, and those of the
# lab's REFERENCE_SRCS it holds (room the reference takes for an optimization; a student's
# folder may hold files of those names too, or not).
impl_srcs = $($(2)_STUDENT_SRCS) $(notdir $(wildcard $(addprefix $(call impl_dir,$(1),$(2))/,$($(2)_REFERENCE_SRCS))))

# A lab's own headers, then those of every lab it needs, then the harness's.
lab_includes = -I$(KEEL_LABS_DIR)/$(1) $(foreach n,$(call needs_all,$(1)),-I$(KEEL_LABS_DIR)/$(n)) $(HARNESS_INCLUDES)

# Each rule set from its own $(eval): rules joined into one text would run together.
$(foreach l,$(LABS_SELECTED),$(eval $(call LAB_RULES,$(l))))
$(foreach l,$(LABS_SELECTED),$(foreach n,$(call needs_all,$(l)),$(eval $(call NEED_RULES,$(l),$(n)))))
.SECONDARY:
-include $(shell find $(OUT)/build -name '*.d' 2>/dev/null)

# ---- Targets (each `## ` comment is what `make help` prints) ----
.PHONY: help build tests sandbox builddir labvars grade bench report demo mutate test deps peers handout format \
        format-check lint bin clean newlab compile_commands.json

help: ## list the targets
	@echo "Keel: make TARGET [LAB=NN-name|all] [IMPL=labs|reference|DIR] [DEPS=reference] [SANITIZE=address|undefined|thread] [CHAOS=1]"
	@grep -E '^[a-zA-Z_.-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^[^:]*:([a-zA-Z_.-]+):.*## /\1\t/; s/^([a-zA-Z_.-]+):.*## /\1\t/' | \
	  awk -F'\t' '{ printf "  %-22s %s\n", $$1, $$2 }'

build: $(addprefix build-,$(LABS_SELECTED)) ## build LAB's tests and benchmarks for IMPL into out/build/
tests: $(addprefix tests-,$(LABS_SELECTED)) ## build only what grading LAB needs (tests, programs)
builddir: ## print the build directory of LAB for IMPL (used by the harness)
	@echo $(BUILD_ROOT)/$(LAB)
labvars: ## print every variable of LAB's lab.mk, as the schema names them (read by every tool)
	@$(foreach v,$(LAB_SCHEMA),echo '$(v)=$(subst ','\'',$(strip $($(LAB)_$(v))))';)
	@echo 'NEEDS_ALL=$(call needs_all,$(LAB))'
	@echo 'IMPL_DIR=$(call impl_dir,$(IMPL),$(LAB))'
	@echo 'DEPS_DIRS=$(foreach n,$(call needs_all,$(LAB)),$(call impl_dir,$(DEPS),$(n)))'

bin: $(addprefix bin-,$(LABS_SELECTED)) ## the labs' command-line programs from IMPL into out/bin/
# The Python tools write under $KEEL_OUT (harness/py/keelkit.py), so each gets this OUT as that.
grade: ## grade LAB (default: your labs/ copy); PART=A for one part; TEST=name SEED=n to replay one failure
	@KEEL_OUT=$(OUT) harness/grade $(LAB) --impl $(IMPL) $(if $(filter-out $(IMPL),$(DEPS)),--deps $(DEPS)) \
	  $(foreach p,$(PART),--part $(p)) $(if $(TEST),--test $(TEST)) $(if $(SEED),--seed $(SEED)) \
	  $(if $(SANITIZE),--sanitize $(SANITIZE))
bench: ## benchmark LAB for IMPL (PEERS=1 adds real systems, FULL=1 the long runs), plot it
	@KEEL_OUT=$(OUT) harness/bench $(LAB) --impl $(IMPL) $(if $(PEERS),--peers) $(if $(FULL),--full,--quick)
report: ## build out/report/index.html from the latest grades, results and notes/
	@KEEL_OUT=$(OUT) python3 visualize/report.py --in $(OUT) --out $(OUT)/report
demo: deps ## install what is missing, grade every reference, quick benchmarks, the report (PEERS=1: against the peers too)
	@KEEL_OUT=$(OUT) harness/grade all --impl reference
	@KEEL_OUT=$(OUT) harness/bench all --impl reference --quick $(if $(PEERS),--peers)
	@KEEL_OUT=$(OUT) python3 visualize/report.py --in $(OUT) --out $(OUT)/report
	@echo; echo "demo: the report is at $(abspath $(OUT))/report/index.html"
mutate: ## the mutation sweep of LAB's reference [SEED=n MAX=n MINUTES=m]; harness/mutate --help
	@KEEL_OUT=$(OUT) harness/mutate $(LAB) $(if $(SEED),--seed $(SEED)) $(if $(MAX),--max $(MAX)) \
	  $(if $(MINUTES),--minutes $(MINUTES))
test: deps ## the kit's own suite: harness tests, references, skeletons, mutants, sanitizers
	@KEEL_OUT=$(OUT) harness/check
sandbox: $(HARNESS_BD)/cmd/keel-sandbox ## build the grader's sandbox launcher, print its path
	@echo $(HARNESS_BD)/cmd/keel-sandbox
deps: ## install the Debian packages the kit needs (only those missing)
	@harness/deps kit
peers: ## install the comparison peers (redis, leveldb, rocksdb, lmdb, sqlite, ck, DuckDB, ...)
	@KEEL_OUT=$(OUT) harness/deps peers
handout: ## write out/handout.tar.gz: what students get (no reference/, no mutants) [REVEAL="01-servers ..."]
	@harness/handout $(OUT)/handout.tar.gz $(foreach l,$(REVEAL),--reveal $(l))
newlab: ## make lab NAME=NN-name from harness/template [TITLE="..."]; harness/LABS.md says what next
	@harness/newlab '$(NAME)' $(if $(TITLE),--title '$(subst ','\'',$(value TITLE))')

# (wildcard keeps the files that exist: one git still tracks but the working tree moved is gone)
FORMAT_FILES = $(wildcard $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find labs reference harness -name '*.[ch]'))
format: ## reformat the C sources with the checked-in .clang-format
	@clang-format -i $(FORMAT_FILES)
format-check: ## fail if a C source is not formatted
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "format: clean ($(words $(FORMAT_FILES)) files)"
lint: ## clang-tidy and cppcheck over reference/ and harness/
	@cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
	  --suppress=missingIncludeSystem $(foreach l,$(LABS),-I$(KEEL_LABS_DIR)/$(l)) $(HARNESS_INCLUDES) \
	  reference harness/lib
	@clang-tidy --quiet $(wildcard $(KEEL_REF_DIR)/*/*.c) $(HARNESS_SRCS) -- -std=c11 -D_GNU_SOURCE \
	  $(foreach l,$(LABS),-I$(KEEL_LABS_DIR)/$(l)) $(HARNESS_INCLUDES)
# Phony, so an old or empty database is never "up to date". A recipe line that names $(MAKE) runs
# even under make -n, so a dry run stops before bear (which would record nothing), and bear
# writes a temporary file that replaces the database only when the build worked and recorded
# compiler calls: a failed or interrupted build leaves the old one.
compile_commands.json: ## compile database for clangd (via bear), from a clean build of IMPL
	@rm -rf $(BUILD_ROOT) $(HARNESS_BD) $@.tmp
	@$(if $(findstring n,$(firstword -$(MAKEFLAGS))),echo "$@: not made in a dry run"; exit 0;) \
	bear --output $@.tmp -- $(MAKE) --no-print-directory build LAB=$(LAB) IMPL=$(IMPL) && \
	  grep -q '"file"' $@.tmp && mv $@.tmp $@ || \
	  { rm -f $@.tmp; echo "$@: the build failed or bear recorded nothing; kept the old one" >&2; exit 1; }
clean: ## remove out/
	rm -rf $(OUT)
