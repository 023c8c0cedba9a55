# SPDX-License-Identifier: GPL-2.0
#
# bpf/*.bpf.c --clang -target bpf--> .bpf.o --bpftool gen object--> linked
# .bpf.o --bpftool gen skeleton--> .skel.h --> user/*/*.c --> iommuscope
#
#   make              build $(OUTPUT)/iommuscope (+ iommutop alias)
#   make STATIC=1     a static binary (for the guest test bed)
#   make test         unit, CLI, live host and guest tests
#   make deps         install what building and running need (root)
#   make test-deps    ... and what the tests need ('make test' runs it)
#   make demo         a VFIO workload traced live in a QEMU guest
#   make bench        overhead against the floor, bpftrace and strace (prints)
#   make V=1          show every command

OUTPUT ?= $(abspath .output)
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
CC ?= cc
AWK ?= awk
ARCH ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_H ?= bpf/vmlinux/$(ARCH)/vmlinux.h
STATIC ?= 0

ifeq ($(wildcard $(VMLINUX_H)),)
$(error no vmlinux.h for $(ARCH): run scripts/gen-vmlinux.sh or pass VMLINUX_H=)
endif

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	    -Wno-missing-field-initializers
CFLAGS ?= -g -O2
override CFLAGS += -std=gnu11 -D_GNU_SOURCE $(WARNINGS) $(EXTRA_CFLAGS)
USER_DIRS := $(sort $(dir $(wildcard user/*/*.c)))
INCLUDES := -I$(OUTPUT) -Iinclude $(patsubst %/,-I%,$(USER_DIRS))
LDLIBS := -lbpf -lelf -lz -ljson-c
# iommutop's screen; the exporter's HTTP server (not in static builds:
# Debian's libmicrohttpd.a needs GnuTLS libraries that have no static form)
ifeq ($(STATIC),1)
override LDFLAGS += -static
override CFLAGS += -DISC_NO_HTTP
LDLIBS += -lncursesw -ltinfo
else
LDLIBS += -lncursesw -lmicrohttpd -lpthread
# the exporter's --web.config.file: YAML (libyaml), client certificates
# (GnuTLS, libmicrohttpd's TLS), bcrypt passwords (libxcrypt)
LDLIBS += -lyaml -lgnutls -lcrypt
endif
override LDFLAGS += $(EXTRA_LDFLAGS)

# clang -target bpf does not see the host's system include dirs by itself
CLANG_BPF_SYS_INCLUDES ?= $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	      -Ibpf -Iinclude -I$(dir $(VMLINUX_H)) $(CLANG_BPF_SYS_INCLUDES)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(wildcard user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
LIB_OBJS := $(filter-out $(OUTPUT)/user/cmd/main.o,$(USER_OBJS))
CHECK_OBJ := $(OUTPUT)/catalog_check.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
CLIENT := $(OUTPUT)/tests/vfio_client
BIN := $(OUTPUT)/iommuscope

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(patsubst $(abspath .)/%,%,$(2))";
endif

.PHONY: all clean deps print-ldlibs print-lib-objs print-includes demo install test test-unit test-cli test-live \
	test-guest test-deps test-package check-catalog check-cold check-man asan valgrind fuzz lint check-funclen check-headers \
	bench bench-bins
all: $(BIN) $(OUTPUT)/iommutop

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $@.d -MT $@ -c $< -o $(@:.bpf.o=.tmp.bpf.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.bpf.o=.tmp.bpf.o)
	$(Q)$(LLVM_STRIP) -g $@

# The NOLINT markers: a half-built skeleton is freed inside libbpf
# (bpf_object__destroy_skeleton), which clang-tidy's analyzer cannot see.
$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q){ echo '// NOLINTBEGIN(clang-analyzer-unix.Malloc)'; \
	      $(BPFTOOL) gen skeleton $< name $*_bpf; \
	      echo '// NOLINTEND(clang-analyzer-unix.Malloc)'; } > $@

# The catalog, checked against the system's uapi headers at compile time.
$(OUTPUT)/catalog_check.c: include/catalog.def scripts/gen-catalog-check.awk | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(AWK) -f scripts/gen-catalog-check.awk $< > $@
$(CHECK_OBJ): $(OUTPUT)/catalog_check.c
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-missing-prototypes -c $< -o $@
check-catalog: $(CHECK_OBJ)

# ... and against the uapi headers of 5.10, 6.1, 6.12 and 7.2 (fetched once)
check-headers:
	$(Q)OUTPUT=$(OUTPUT) scripts/check-catalog-headers.sh

$(OUTPUT)/user/%.o: user/%.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -MMD -MP -c $< -o $@

$(BIN): $(USER_OBJS) $(CHECK_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $(USER_OBJS) $(LDLIBS) -o $@

$(OUTPUT)/iommutop: $(BIN)
	$(Q)ln -sf iommuscope $@

# ---- tests ----
$(OUTPUT)/tests/%: tests/unit/%.c tests/unit/harness.h tests/unit/json_check.h $(LIB_OBJS) $(CHECK_OBJ) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -Itests/unit -MMD -MP $(LDFLAGS) $< $(LIB_OBJS) $(CHECK_OBJ) $(LDLIBS) -o $@

$(CLIENT): tests/client/vfio_client.c | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) -MMD -MP $< -o $@

test: all
	$(Q)scripts/run-tests.sh

test-unit: $(UNIT_BINS)
	$(Q)scripts/run-unit.sh $(UNIT_BINS)

test-cli: all
	$(Q)ISC_BIN=$(BIN) bats tests/cli.bats tests/profile.bats tests/install.bats tests/funclen.bats

test-live: all $(CLIENT)
	$(Q)ISC_BIN=$(BIN) ISC_CLIENT=$(CLIENT) bats tests/live.bats tests/audit.bats tests/badinput.bats \
		tests/top.bats tests/export.bats tests/fleet.bats tests/policy.bats tests/vm.bats

test-guest:
	$(Q)scripts/test-guest.sh

# the dependency split, then the Debian package built from a copy of the
# tree, lintian, installed, run and purged (root; docs/packaging.md)
test-package: all
	$(Q)ISC_BIN=$(BIN) bats tests/deps.bats tests/package.bats

# the guest test bed's cold-cache steps, run on a warm cache too
check-cold:
	$(Q)scripts/check-cold.sh

# ---- make bench: prints figures and PASS/FAIL against the targets; never
# part of 'make test' (docs/performance.md). BENCH_GUEST=0 skips the guest.
BENCH := $(OUTPUT)/bench
BENCH_BINS := $(BENCH)/bench_loop $(BENCH)/bench_floor $(BENCH)/decode_bench

$(BENCH):
	$(Q)mkdir -p $@

$(BENCH)/empty.bpf.o: tests/bench/empty.bpf.c $(VMLINUX_H) | $(BENCH)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $(@:.bpf.o=.tmp.bpf.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.bpf.o=.tmp.bpf.o)
	$(Q)$(LLVM_STRIP) -g $@

$(BENCH)/empty.skel.h: $(BENCH)/empty.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name empty_bpf > $@

$(BENCH)/bench_floor: tests/bench/floor.c $(BENCH)/empty.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(BENCH) $(LDFLAGS) $< -lbpf -lelf -lz -o $@

$(BENCH)/bench_loop: tests/bench/ioctl_loop.c | $(BENCH)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $< -o $@

$(BENCH)/decode_bench: tests/bench/decode_bench.c $(LIB_OBJS) $(CHECK_OBJ) | $(BENCH)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(INCLUDES) $(LDFLAGS) $< $(LIB_OBJS) $(CHECK_OBJ) $(LDLIBS) -o $@

bench-bins: $(BENCH_BINS)

bench: all bench-bins
	$(Q)OUTPUT=$(OUTPUT) scripts/bench.sh

# AddressSanitizer + UndefinedBehaviorSanitizer build of everything, then the
# unit and host tests against it (leaks reported by LeakSanitizer).
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
asan:
	$(Q)$(MAKE) --no-print-directory OUTPUT=$(abspath .output-asan) \
		EXTRA_CFLAGS="$(ASAN_FLAGS)" EXTRA_LDFLAGS="$(ASAN_FLAGS)" \
		all $(abspath .output-asan)/tests/vfio_client $(patsubst $(OUTPUT)/%,$(abspath .output-asan)/%,$(UNIT_BINS))
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		OUTPUT=$(abspath .output-asan) scripts/run-unit.sh $(patsubst $(OUTPUT)/%,$(abspath .output-asan)/%,$(UNIT_BINS))
	$(Q)ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ISC_BIN=$(abspath .output-asan)/iommuscope ISC_CLIENT=$(abspath .output-asan)/tests/vfio_client \
		bats tests/cli.bats tests/profile.bats tests/live.bats tests/audit.bats

valgrind: all $(CLIENT) $(OUTPUT)/tests/test_outeq
	$(Q)ISC_BIN=$(BIN) ISC_CLIENT=$(CLIENT) ISC_OUTEQ=$(OUTPUT)/tests/test_outeq bats tests/valgrind.bats

# Static analysis with the checked-in configuration (.clang-tidy; the
# cppcheck options here). Both must be clean. cppcheck 2.10's preprocessor
# cannot expand the catalog's X-macros or the unit harness's variadic
# macros: catalog.c's expansion error is suppressed and tests/unit/ is left
# to -Werror and the ASan/UBSan runs.
CPPCHECK_FLAGS := -q --enable=warning,performance,portability --std=c11 --inline-suppr \
	--error-exitcode=1 -D__x86_64__ -D_GNU_SOURCE \
	'-Dbpf_object__for_each_program(p,o)=for(p=0;p;)' \
	'-Djson_object_object_foreach(o,k,v)=for(char*k=0;k;)for(struct json_object*v=0;v;)' \
	--suppress=preprocessorErrorDirective:user/decode/catalog.c
# No function in user/*/*.c or bpf/*.c longer than 80 lines (signature to
# closing brace); each offender is printed as file:line.
check-funclen:
	$(Q)scripts/check-funclen.sh

lint: $(SKELS) check-funclen check-man
	$(call msg,TIDY,user/*/*.c)
	$(Q)clang-tidy -quiet $(USER_SRCS) -- -std=gnu11 -D_GNU_SOURCE $(INCLUDES) 2>/dev/null | \
		{ ! grep -E 'error:|warning:'; }
	$(call msg,CPPCHECK,user/ tests/client/)
	$(Q)cppcheck $(CPPCHECK_FLAGS) $(INCLUDES) $(USER_SRCS) tests/client/*.c
	@echo "lint: clang-tidy and cppcheck clean"

# Every man page rendered by man(1) with its warnings on: any warning text
# on stderr fails. Part of 'make lint'.
MAN5 := $(wildcard docs/*.5)
MAN8 := $(wildcard docs/*.8)
check-man:
	$(call msg,MAN,docs/*.5 docs/*.8)
	$(Q)for p in $(MAN5) $(MAN8); do \
		w=$$(MANWIDTH=80 man --warnings -l "$$p" 2>&1 >/dev/null); \
		[ -z "$$w" ] || { echo "$$p:"; echo "$$w"; exit 1; }; \
	done
	@echo "check-man: $(words $(MAN5) $(MAN8)) man pages clean"

# libFuzzer targets; FUZZ_SECONDS per target (default 15)
fuzz:
	$(Q)scripts/fuzz.sh

# make install [PREFIX=/usr/local] [DESTDIR=...]: the binary (root-only
# 0750, it loads BPF), the iommutop alias, man pages, the audit and enforce
# service units.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
# contrib/: the Prometheus rules (and their promtool unit tests) and the
# Grafana dashboard, for the monitoring host to take (iommuscope-export(8))
CONTRIBDIR ?= $(PREFIX)/share/iommuscope
CONTRIB := $(wildcard contrib/prometheus/*.yml contrib/grafana/*.json)
install: all
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(CONTRIBDIR)/prometheus $(DESTDIR)$(CONTRIBDIR)/grafana
	$(Q)for f in $(CONTRIB); do \
		install -m 0644 $$f $(DESTDIR)$(CONTRIBDIR)/$${f#contrib/} || exit 1; \
	done
	$(Q)install -m 0750 $(BIN) $(DESTDIR)$(SBINDIR)/iommuscope
	$(Q)ln -sf iommuscope $(DESTDIR)$(SBINDIR)/iommutop
	$(Q)install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	$(Q)install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	$(Q)for u in iommuscope-audit iommuscope-enforce; do \
		sed 's|/usr/sbin/iommuscope|$(SBINDIR)/iommuscope|' packaging/$$u.service \
			> $(DESTDIR)$(UNITDIR)/$$u.service && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; \
	done
	@echo "installed under $(DESTDIR)$(PREFIX)"

deps:
	$(Q)scripts/deps.sh

test-deps:
	$(Q)scripts/deps.sh --test

# the link libraries, objects and include flags, for scripts that link
# against the objects (fuzz.sh)
print-ldlibs:
	@echo $(LDLIBS)
print-lib-objs:
	@echo $(LIB_OBJS)
print-includes:
	@echo $(INCLUDES)

demo:
	$(Q)scripts/deps.sh --test
	$(Q)scripts/demo.sh

clean:
	$(call msg,CLEAN,$(OUTPUT))
	$(Q)rm -rf $(OUTPUT)

.DELETE_ON_ERROR:
.SECONDARY:

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/user/*/*.d $(OUTPUT)/tests/*.d)
