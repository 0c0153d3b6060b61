# newsd: build, test, run.  See README.md.
#
#   make            build bin/newsindex (and every program that exists)
#   make deps       install missing Debian packages (as root), or say which are missing
#   make run        deps + build + index corpus/ into $(INDEX) once, then serve it, with
#                   the search page at http://$(HTTP)/
#   make test       build and run every suite; ends with "N passed, M failed"
#   make bench      the benchmark harness (bench/), writes bench/RESULTS.md; first
#                   installs the peers it compares against (bench-peers, as root)
#   make bench-peers  install Sphinx and SQLite FTS5 (as root), or say which are missing
#   make bench-shards  queries over 1 local index, 3 local and 3 remote shards, writes
#                   bench/RESULTS-shards.md
#   make bench-scale  the scale run alone (1x vs 10x synthetic corpus, newsd against FTS5
#                   and Sphinx, plots in bench/scale-plots/), writes bench/RESULTS-scale.md;
#                   BENCH_SCALE="10 100" for more factors
#   make bench-hostile  normal clients' latency with and without hostile ones, this
#                   tree's newsd against main's, writes bench/RESULTS-hostile.md
#   make bench-hostile-queries  the same with clients sending the costliest queries,
#                   writes bench/RESULTS-hostile-queries.md
#   make bench-similar  SIMILAR's related stories against a title search (a shared
#                   topic), writes bench/RESULTS-similar.md
#   make bench-limits  the deadline's overshoot, PING, RSS and SIGTERM under the
#                   costliest queries, writes bench/RESULTS-limits.md
#   make SANITIZE=1 ...   the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   make fuzz       the libFuzzer targets (tests/fuzz/), with clang, in build/fuzz/
#   make fuzz-run FUZZ_SECONDS=N   run each fuzz target N seconds; ends "N passed, M failed"
#   make fuzz-deps  install clang and its sanitizer/libFuzzer runtimes (as root)
#   make install    install the programs, man pages, the index library (libnewsidx.so,
#                   include/newsidx.h, newsidx.pc) and the systemd units under PREFIX
#                   (default /usr/local); DESTDIR=DIR stages them under DIR
#   make uninstall  remove what install put there (an edited config stays)
#
# User CFLAGS/CXXFLAGS/LDFLAGS are appended to ours, never replace them.

CC  ?= cc
CXX ?= c++
PKG_CONFIG ?= pkg-config
PKGS := xapian-core libevent zlib jansson

INDEX ?= var/index
# Where `make run` serves HTTP (the API and the search page).
HTTP ?= 127.0.0.1:7880
CORPUS ?= corpus

# Where `make install` puts things; newsd reads $(sysconfdir)/newsd.conf by default, so
# the folder is built into bin/newsd (NEWSD_SYSCONFDIR).
PREFIX ?= /usr/local
sysconfdir ?= $(PREFIX)/etc

DEBIAN_PACKAGES := libxapian-dev libevent-dev zlib1g-dev libjansson-dev libjemalloc-dev pkg-config g++ make xapian-tools jq valgrind iproute2 man-db
# Only `make fuzz` needs these (libclang-rt-dev: libFuzzer and the sanitizer runtimes of
# Debian's default clang); `make fuzz-deps` installs them.
FUZZ_PACKAGES := clang libclang-rt-dev
# systemd-analyze, with which tests/e2e/test_install.sh verifies the installed units.
DEBIAN_PACKAGES += systemd
# The HTTP suites: Debian's python3 with the Prometheus client's parser
# (test_http_metrics.sh) and a real browser driven by Selenium (test_http_page.sh).
DEBIAN_PACKAGES += python3 python3-prometheus-client python3-selenium chromium chromium-driver
# The peers `make bench` compares against (Sphinx 2.2's indexer and searchd, SQLite FTS5);
# `make bench` installs them as `make run` installs the daemon's dependencies.
BENCH_PACKAGES := sphinxsearch sqlite3 libsqlite3-dev gnuplot-nox

WARN     := -Wall -Wextra -Werror
BASE_CFLAGS   := -std=c11 -O2 -g $(WARN) -D_GNU_SOURCE
BASE_CXXFLAGS := -std=c++17 -O2 -g $(WARN) -D_GNU_SOURCE

# The layers of daemon/, one folder and one library each.  A layer sees only the headers
# of the layers below it (its -I list), so an include that crosses the layering upwards
# does not compile:
#   common   what two programs share (logging, files, the token file, the socket folder)
#   index    the C API of include/newsidx.h over Xapian (the only C++; uses common)
#   ingest   the corpus readers                       (uses common)
#   indexer  newsindex                                (uses ingest, index, common)
#   server   newsd                                    (uses ingest, index, common)
# client/ (newsq) uses common only.  Tests and the bench see every layer.
LAYERS := common index ingest indexer server
INC_common  := -Iinclude -Idaemon/common
INC_index   := $(INC_common) -Idaemon/index
INC_ingest  := $(INC_common) -Idaemon/ingest
INC_indexer := $(INC_ingest) -Idaemon/indexer
INC_server  := $(INC_ingest) -Idaemon/server
INC_client  := $(INC_common) -Iclient
INC_ALL     := -Iinclude $(LAYERS:%=-Idaemon/%)

# Release builds are hardened (fortified libc calls, stack canaries, a position-independent
# executable with read-only relocations bound at start); the sanitizer and fuzz builds
# have their own instrumentation instead.  tests/e2e/test_newsd.sh checks the binaries.
HARDEN_CFLAGS  := -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now

ifeq ($(SANITIZE),1)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD := build/san
HARDEN_CFLAGS :=
HARDEN_LDFLAGS :=
else
SAN :=
BUILD := build/rel
endif

PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

ALL_CFLAGS   = $(BASE_CFLAGS) $(SAN) $(HARDEN_CFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_CXXFLAGS = $(BASE_CXXFLAGS) $(SAN) $(HARDEN_CFLAGS) $(PKG_CFLAGS) $(CXXFLAGS)
ALL_LDFLAGS  = $(SAN) $(HARDEN_LDFLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm

# Program entry points; every other source of a layer's folder goes into its library.
MAINS := daemon/indexer/newsindex.c daemon/server/newsd.c
layer_srcs = $(filter-out $(MAINS),$(wildcard daemon/$(1)/*.c daemon/$(1)/*.cc))
layer_objs = $(patsubst %.cc,$(BUILD)/%.o,$(patsubst %.c,$(BUILD)/%.o,$(call layer_srcs,$(1))))
layer_lib  = $(BUILD)/lib$(1).a
LIB_ALL_OBJS := $(foreach l,$(LAYERS),$(call layer_objs,$(l)))

# What each program links, most dependent layer first (static archives are searched in
# order); tests link every layer.
LIBS_newsindex := $(foreach l,indexer ingest index common,$(call layer_lib,$(l)))
LIBS_newsd     := $(foreach l,server ingest index common,$(call layer_lib,$(l)))
LIBS_newsq     := $(call layer_lib,common)
LIBS_TESTS     := $(foreach l,server indexer ingest index common,$(call layer_lib,$(l)))

PROGRAMS := bin/newsindex bin/newsd bin/newsq
# The index as a shared library, for programs outside this tree (installed; newsd and
# newsindex link the static layers, unchanged).
# libnewsidx.so.$(NEWSIDX_SOVERSION) holds the index layer and the pieces of common it
# calls (those the linker takes from a position-independent libcommon.a: today the day
# and UTF-8 rules), built again position-independent in $(BUILD)/pic/.  The
# version script daemon/index/newsidx.map exports the newsidx_* C API and nothing else;
# -z defs makes every symbol resolve at link time, so the library names its own
# dependencies (Xapian, the C++ runtime) and a C program links it with -lnewsidx alone.
# The soname's number changes when a change to include/newsidx.h breaks programs built
# against the previous library.
NEWSIDX_SOVERSION := 0
# The version of newsd (NEWSD_VERSION in daemon/common/version.h).
NEWSIDX_VERSION := $(shell sed -n 's/^\#define NEWSD_VERSION "\(.*\)"$$/\1/p' daemon/common/version.h)
SHLIB_NAME := libnewsidx.so.$(NEWSIDX_SOVERSION)
SHLIB := $(BUILD)/$(SHLIB_NAME)
PIC_BUILD := $(BUILD)/pic
pic_objs = $(patsubst %.cc,$(PIC_BUILD)/%.o,$(patsubst %.c,$(PIC_BUILD)/%.o,$(1)))
SHLIB_OBJS := $(call pic_objs,$(call layer_srcs,index))
SHLIB_COMMON := $(PIC_BUILD)/libcommon.a
PIC_CFLAGS   = $(filter-out -fPIE,$(ALL_CFLAGS)) -fPIC
PIC_CXXFLAGS = $(filter-out -fPIE,$(ALL_CXXFLAGS)) -fPIC
CLIENT_SRCS := $(wildcard client/*.c)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

# Fuzz targets (tests/fuzz/fuzz_<target>.c).  Each is also linked with tests/fuzz/replay.c
# by the normal build, and `make test` replays its committed seeds and regression inputs.
FUZZ_TARGETS := proto query text reuters jsonl trec gz
FUZZ_COMMON := tests/fuzz/fuzz_common.c
FUZZ_REPLAY_BINS := $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz/replay_%)
FUZZ_DEFS := -Itests/fuzz -DFUZZ_SRCDIR='"$(CURDIR)"'

.PHONY: all deps run test install uninstall bench bench-quick bench-scale bench-reindex bench-shards bench-hostile bench-hostile-queries bench-limits bench-similar bench-peers clean \
        check-deps FORCE \
        fuzz fuzz-run fuzz-deps
.DEFAULT_GOAL := all
# Keep object files that pattern rules make on the way to a program.
.SECONDARY:

all: check-deps $(PROGRAMS) $(SHLIB)

check-deps:
	@$(PKG_CONFIG) --exists $(PKGS) jemalloc 2>/dev/null || { \
	  echo "newsd: missing build dependencies; run 'make deps' (as root) or install:"; \
	  echo "  apt-get install $(DEBIAN_PACKAGES)"; exit 1; }

deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "deps: missing Debian packages:$$missing"; \
	  echo "deps: run as root, or: sudo apt-get install$$missing"; exit 1; fi; \
	echo "deps: installing$$missing"; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing

# Flags are recorded so that changing them (e.g. SANITIZE, or sysconfdir) rebuilds everything.
FLAGS_RECORD = $(ALL_CFLAGS) $(ALL_CXXFLAGS) $(ALL_LDFLAGS) sysconfdir=$(sysconfdir)
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(FLAGS_RECORD)' | cmp -s - $@ || echo '$(FLAGS_RECORD)' > $@
bin/.flags: $(BUILD)/.flags FORCE
	@mkdir -p bin
	@cmp -s $< $@ || cp $< $@
FORCE:

# Each folder's sources see the include list of its layer (INC, per folder).
$(foreach l,$(LAYERS),$(eval $(BUILD)/daemon/$(l)/%.o: INC = $(INC_$(l))))
$(BUILD)/client/%.o: INC = $(INC_client)
# Only newsd's main needs to know where its default configuration file lives.
$(BUILD)/daemon/server/newsd.o: DEFS = -DNEWSD_SYSCONFDIR='"$(sysconfdir)"'

$(BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(INC) $(DEFS) -MMD -MP -c $< -o $@

$(BUILD)/%.o: %.cc $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) $(INC) -MMD -MP -c $< -o $@

# The search page newsd serves over HTTP (daemon/server/www/) is built into it: embed.sh
# writes the files' bytes as a C file (the same for every build), compiled into the
# server's library.
WWW_FILES := $(sort $(wildcard daemon/server/www/*.html daemon/server/www/*.js daemon/server/www/*.css))
WWW_C := build/gen/www_assets.c
$(WWW_C): $(WWW_FILES) daemon/server/www/embed.sh
	@mkdir -p $(dir $@)
	sh daemon/server/www/embed.sh $(WWW_FILES) > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/www_assets.o: $(WWW_C) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(INC_server) -c $< -o $@
$(call layer_lib,server): $(BUILD)/gen/www_assets.o

# One library per layer.
$(foreach l,$(LAYERS),$(eval $(call layer_lib,$(l)): $(call layer_objs,$(l))))
$(BUILD)/lib%.a:
	@rm -f $@
	ar rcs $@ $^

# The indexer allocates and frees millions of small posting-map nodes, which jemalloc
# serves faster than glibc's malloc (commit c724344 has the measurement).  Sanitizer
# builds keep their own allocator.
bin/newsindex: PROG_LIBS = $(if $(SAN),,$(shell $(PKG_CONFIG) --libs jemalloc))

bin/newsindex: $(BUILD)/daemon/indexer/newsindex.o $(LIBS_newsindex) bin/.flags
	@mkdir -p bin
	$(CXX) $(ALL_LDFLAGS) -o $@ $< $(LIBS_newsindex) $(LIBS) $(PROG_LIBS)

bin/newsd: $(BUILD)/daemon/server/newsd.o $(LIBS_newsd) bin/.flags
	@mkdir -p bin
	$(CXX) $(ALL_LDFLAGS) -o $@ $< $(LIBS_newsd) $(LIBS)

# newsq is thin: it speaks the protocol and links nothing of the index; it shares only
# the common layer (the token-file rules, the default socket's folder) with newsd.
bin/newsq: $(CLIENT_SRCS:%.c=$(BUILD)/%.o) $(LIBS_newsq) bin/.flags
	@mkdir -p bin
	$(CC) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(LIBS_newsq) $(shell $(PKG_CONFIG) --libs jansson)

# ---- The index as a shared library (what it holds: beside PROGRAMS) ----

$(PIC_BUILD)/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(PIC_CFLAGS) $(INC_index) -MMD -MP -c $< -o $@

$(PIC_BUILD)/%.o: %.cc $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CXX) $(PIC_CXXFLAGS) $(INC_index) -MMD -MP -c $< -o $@

$(SHLIB_COMMON): $(call pic_objs,$(call layer_srcs,common))
	@rm -f $@
	ar rcs $@ $^

$(SHLIB): $(SHLIB_OBJS) $(SHLIB_COMMON) daemon/index/newsidx.map
	$(CXX) -shared -Wl,-soname,$(SHLIB_NAME) -Wl,--version-script=daemon/index/newsidx.map \
	  -Wl,-z,defs $(filter-out -pie,$(ALL_LDFLAGS)) -o $@ $(SHLIB_OBJS) $(SHLIB_COMMON) \
	  $(shell $(PKG_CONFIG) --libs xapian-core) -lm

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h $(LIBS_TESTS) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(INC_ALL) -Itests/unit -c $< -o $@.o
	$(CXX) $(ALL_LDFLAGS) -o $@ $@.o $(LIBS_TESTS) $(LIBS)

# One replay driver per fuzz target: its inputs run through LLVMFuzzerTestOneInput.
$(BUILD)/tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(FUZZ_COMMON) \
                              tests/fuzz/fuzz.h $(LIBS_TESTS) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(INC_ALL) $(FUZZ_DEFS) -DFUZZ_TARGET='"$*"' -c tests/fuzz/replay.c -o $@.replay.o
	$(CC) $(ALL_CFLAGS) $(INC_ALL) $(FUZZ_DEFS) -c $(FUZZ_COMMON) -o $@.common.o
	$(CC) $(ALL_CFLAGS) $(INC_ALL) $(FUZZ_DEFS) -c $< -o $@.o
	$(CXX) $(ALL_LDFLAGS) -o $@ $@.replay.o $@.common.o $@.o $(LIBS_TESTS) $(LIBS)

# The load and crash tests' client (tests/tools/stress.c): libc only, and never built
# with the sanitizers: it is not what the tests examine, and it must run at full speed.
STRESS := $(BUILD)/tools/stress
$(STRESS): tests/tools/stress.c tests/tools/stress_load.c tests/tools/stress.h tests/tools/dial.h \
           include/newsd_limits.h $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Iinclude $(CFLAGS) -o $@ $(filter %.c,$^) $(LDFLAGS)

# The shard suite's helper (tests/tools/shardtool.c): splits a corpus into one index and
# N shards, and compares results over the C API.  Built like the unit tests.
SHARDTOOL := $(BUILD)/tools/shardtool
$(SHARDTOOL): tests/tools/shardtool.c $(LIBS_TESTS) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(INC_ALL) -c $< -o $@.o
	$(CXX) $(ALL_LDFLAGS) -o $@ $@.o $(LIBS_TESTS) $(LIBS)

# The sharded-build test's look into shards through the C API (tests/tools/shardcheck.c).
SHARDCHECK := $(BUILD)/tools/shardcheck
$(SHARDCHECK): tests/tools/shardcheck.c $(LIBS_TESTS) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(INC_ALL) -c $< -o $@.o
	$(CXX) $(ALL_LDFLAGS) -o $@ $@.o $(LIBS_TESTS) $(LIBS)

# The brute-force NEAR/ADJ counter of test_understand.sh (tests/tools/nearscan.cc): the
# corpus through the readers, Xapian's TermGenerator for the words, no index.
NEARSCAN := $(BUILD)/tools/nearscan
$(NEARSCAN): tests/tools/nearscan.cc $(LIBS_TESTS) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) $(INC_ALL) -c $< -o $@.o
	$(CXX) $(ALL_LDFLAGS) -o $@ $@.o $(LIBS_TESTS) $(LIBS)

test: all $(UNIT_BINS) $(FUZZ_REPLAY_BINS) $(STRESS) $(SHARDTOOL) $(SHARDCHECK) $(NEARSCAN)
	@BUILD=$(BUILD) sh tests/run.sh $(UNIT_BINS) $(FUZZ_REPLAY_BINS)

# ---- install, uninstall (README.md, "Run it as a service"; newsd(8), "SYSTEMD") ----
# Everything is installed from the build `make` made (the hardened release build, unless
# SANITIZE=1).  The units and newsidx.pc are made from their .in files with the install
# paths, in $(BUILD)/install/.  The config (daemon/server/newsd.conf.example) goes to
# $(sysconfdir)/newsd.conf only when no file is there: an operator's config is never
# overwritten, and uninstall removes it only when it is still the shipped example.
# Installing to / as root (no DESTDIR) also creates the newsd user and the state folder
# and tells ldconfig and a running systemd about the new files; the units are not
# enabled or started.

# The GNU directory variables beside PREFIX and sysconfdir (top of this file): set PREFIX,
# or any of them; DESTDIR stages a whole install under another root (a package's).
prefix ?= $(PREFIX)
exec_prefix ?= $(prefix)
bindir ?= $(exec_prefix)/bin
sbindir ?= $(exec_prefix)/sbin
libdir ?= $(exec_prefix)/lib
includedir ?= $(prefix)/include
datarootdir ?= $(prefix)/share
datadir ?= $(datarootdir)
docdir ?= $(datarootdir)/doc/newsd
mandir ?= $(datarootdir)/man
man1dir ?= $(mandir)/man1
man8dir ?= $(mandir)/man8
pkgconfigdir ?= $(libdir)/pkgconfig
# localstatedir and runstatedir are the GNU names, kept for packagers; the service does
# not use them: systemd's StateDirectory= and RuntimeDirectory= put the index in
# /var/lib/newsd and the socket in /run/newsd whatever the prefix.
localstatedir ?= $(prefix)/var
runstatedir ?= $(localstatedir)/run
# The units, the user and the state folder go below the prefix too, which systemd
# searches (/usr/local/lib/systemd/system, /usr/local/lib/sysusers.d, ...), rather than
# where `pkg-config systemd` points (always the distribution's /usr/lib), so that an
# install under /usr/local never writes into the distribution's folders and uninstall
# finds everything under the same prefix.
systemdunitdir ?= $(prefix)/lib/systemd/system
sysusersdir ?= $(prefix)/lib/sysusers.d
tmpfilesdir ?= $(prefix)/lib/tmpfiles.d
DESTDIR ?=
INSTALL ?= install

SYSTEMD_SRC := daemon/server/systemd
CONF_EXAMPLE := daemon/server/newsd.conf.example
GEN := $(BUILD)/install
# LimitNOFILE of newsd.service: the most connections newsd accepts plus its own files.
NEWSD_NOFILE = $(shell awk '/^\#define NEWSD_MAX_CONNECTIONS_LIMIT /{c=$$3} \
  /^\#define NEWSD_RESERVED_FDS /{r=$$3} END{if (c ~ /^[0-9]+$$/ && r ~ /^[0-9]+$$/) print c + r}' \
  include/newsd_limits.h)
SUBST = sed -e 's|@prefix@|$(prefix)|g' -e 's|@exec_prefix@|$(exec_prefix)|g' \
  -e 's|@bindir@|$(bindir)|g' -e 's|@sbindir@|$(sbindir)|g' -e 's|@libdir@|$(libdir)|g' \
  -e 's|@includedir@|$(includedir)|g' -e 's|@sysconfdir@|$(sysconfdir)|g' \
  -e 's|@VERSION@|$(NEWSIDX_VERSION)|g' -e 's|@NOFILE@|$(NEWSD_NOFILE)|g'
# What install puts under $(DESTDIR), less the config and the example (checked apart).
INSTALLED = $(bindir)/newsq $(bindir)/newsindex $(sbindir)/newsd \
  $(man1dir)/newsq.1 $(man8dir)/newsd.8 $(man8dir)/newsindex.8 \
  $(includedir)/newsidx.h $(libdir)/$(SHLIB_NAME) $(libdir)/libnewsidx.so \
  $(pkgconfigdir)/newsidx.pc \
  $(systemdunitdir)/newsd.service $(systemdunitdir)/newsd-reindex.service \
  $(systemdunitdir)/newsd-reindex.timer $(sysusersdir)/newsd.conf $(tmpfilesdir)/newsd.conf

install: all
	@[ -n "$(NEWSD_NOFILE)" ] || { echo "install: no NEWSD_MAX_CONNECTIONS_LIMIT or NEWSD_RESERVED_FDS in include/newsd_limits.h"; exit 1; }
	@[ -n "$(NEWSIDX_VERSION)" ] || { echo "install: no NEWSD_VERSION found in daemon/common/version.h"; exit 1; }
	@mkdir -p $(GEN)
	$(SUBST) daemon/index/newsidx.pc.in >$(GEN)/newsidx.pc
	$(SUBST) $(SYSTEMD_SRC)/newsd.service.in >$(GEN)/newsd.service
	$(SUBST) $(SYSTEMD_SRC)/newsd-reindex.service.in >$(GEN)/newsd-reindex.service
	$(INSTALL) -D -m 0755 bin/newsq $(DESTDIR)$(bindir)/newsq
	$(INSTALL) -D -m 0755 bin/newsindex $(DESTDIR)$(bindir)/newsindex
	$(INSTALL) -D -m 0755 bin/newsd $(DESTDIR)$(sbindir)/newsd
	$(INSTALL) -D -m 0644 client/newsq.1 $(DESTDIR)$(man1dir)/newsq.1
	$(INSTALL) -D -m 0644 daemon/server/newsd.8 $(DESTDIR)$(man8dir)/newsd.8
	$(INSTALL) -D -m 0644 daemon/indexer/newsindex.8 $(DESTDIR)$(man8dir)/newsindex.8
	$(INSTALL) -D -m 0644 include/newsidx.h $(DESTDIR)$(includedir)/newsidx.h
	$(INSTALL) -D -m 0644 $(SHLIB) $(DESTDIR)$(libdir)/$(SHLIB_NAME)
	ln -sf $(SHLIB_NAME) $(DESTDIR)$(libdir)/libnewsidx.so
	$(INSTALL) -D -m 0644 $(GEN)/newsidx.pc $(DESTDIR)$(pkgconfigdir)/newsidx.pc
	$(INSTALL) -D -m 0644 $(GEN)/newsd.service $(DESTDIR)$(systemdunitdir)/newsd.service
	$(INSTALL) -D -m 0644 $(GEN)/newsd-reindex.service $(DESTDIR)$(systemdunitdir)/newsd-reindex.service
	$(INSTALL) -D -m 0644 $(SYSTEMD_SRC)/newsd-reindex.timer $(DESTDIR)$(systemdunitdir)/newsd-reindex.timer
	$(INSTALL) -D -m 0644 $(SYSTEMD_SRC)/newsd.sysusers $(DESTDIR)$(sysusersdir)/newsd.conf
	$(INSTALL) -D -m 0644 $(SYSTEMD_SRC)/newsd.tmpfiles $(DESTDIR)$(tmpfilesdir)/newsd.conf
	@if [ -f $(CONF_EXAMPLE) ]; then \
	  echo "$(INSTALL) -D -m 0644 $(CONF_EXAMPLE) $(DESTDIR)$(docdir)/newsd.conf.example"; \
	  $(INSTALL) -D -m 0644 $(CONF_EXAMPLE) $(DESTDIR)$(docdir)/newsd.conf.example || exit 1; \
	  if [ -e $(DESTDIR)$(sysconfdir)/newsd.conf ]; then \
	    echo "install: $(DESTDIR)$(sysconfdir)/newsd.conf exists: kept as it is"; \
	  else \
	    echo "$(INSTALL) -D -m 0644 $(CONF_EXAMPLE) $(DESTDIR)$(sysconfdir)/newsd.conf"; \
	    $(INSTALL) -D -m 0644 $(CONF_EXAMPLE) $(DESTDIR)$(sysconfdir)/newsd.conf || exit 1; \
	  fi; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	  if command -v systemd-sysusers >/dev/null; then \
	    echo "systemd-sysusers $(sysusersdir)/newsd.conf"; systemd-sysusers $(sysusersdir)/newsd.conf || exit 1; fi; \
	  if command -v systemd-tmpfiles >/dev/null; then \
	    echo "systemd-tmpfiles --create $(tmpfilesdir)/newsd.conf"; \
	    systemd-tmpfiles --create $(tmpfilesdir)/newsd.conf || exit 1; fi; \
	  if command -v ldconfig >/dev/null; then echo ldconfig; ldconfig; fi; \
	  if [ -d /run/systemd/system ]; then echo "systemctl daemon-reload"; systemctl daemon-reload; fi; \
	fi

# The newsd user, its state folder (the index) and an edited config are the operator's:
# uninstall leaves them, and says so for the config.
uninstall:
	@conf=$(DESTDIR)$(sysconfdir)/newsd.conf; example=$(DESTDIR)$(docdir)/newsd.conf.example; \
	if [ -f "$$conf" ]; then \
	  if [ -f "$$example" ] && cmp -s "$$conf" "$$example"; then echo "rm -f $$conf"; rm -f "$$conf"; \
	  else echo "uninstall: $$conf differs from the example installed: kept"; fi; \
	fi
	rm -f $(DESTDIR)$(docdir)/newsd.conf.example
	rmdir $(DESTDIR)$(docdir) 2>/dev/null || true
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	  if command -v ldconfig >/dev/null; then echo ldconfig; ldconfig; fi; \
	  if [ -d /run/systemd/system ]; then echo "systemctl daemon-reload"; systemctl daemon-reload; fi; \
	fi

# ---- fuzzing (clang + libFuzzer; see tests/README.md, "Fuzzing") ----

FUZZ_CC  ?= clang
FUZZ_CXX ?= clang++
FUZZ_BUILD := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -O1 -g $(WARN) -D_GNU_SOURCE $(INC_ALL) $(PKG_CFLAGS) \
                $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(CFLAGS)
FUZZ_CXXFLAGS = -std=c++17 -O1 -g $(WARN) -D_GNU_SOURCE $(INC_ALL) $(PKG_CFLAGS) \
                $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(CXXFLAGS)
FUZZ_LIB_OBJS := $(LIB_ALL_OBJS:$(BUILD)/%=$(FUZZ_BUILD)/%)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

# Seconds each target runs in `make fuzz-run` (CI passes less: .ci/run).
FUZZ_SECONDS ?= 60
# Longest input libFuzzer makes, in bytes: several records of any format, or 16 request
# lines, yet small enough to keep thousands of executions a second.
FUZZ_MAX_LEN ?= 16384
# Seconds one input may take before it counts as a hang (a search is capped at 2 s).
FUZZ_TIMEOUT ?= 10
# Memory (MB) a target may use before it counts as a leak gone wild.
FUZZ_RSS_MB ?= 2048

fuzz-deps:
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="$(FUZZ_PACKAGES)"

fuzz: $(FUZZ_BINS)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_DEFS) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/gen/www_assets.o: $(WWW_C)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/libnewsd.a: $(FUZZ_LIB_OBJS) $(FUZZ_BUILD)/gen/www_assets.o
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_BUILD)/tests/fuzz/fuzz_common.o \
                      $(FUZZ_BUILD)/libnewsd.a
	$(FUZZ_CXX) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS) $(LDFLAGS)

fuzz-run: fuzz
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_MAX_LEN=$(FUZZ_MAX_LEN) \
	  FUZZ_TIMEOUT=$(FUZZ_TIMEOUT) FUZZ_RSS_MB=$(FUZZ_RSS_MB) \
	  sh tests/fuzz/run.sh $(FUZZ_TARGETS)

run: deps
	@$(MAKE) --no-print-directory all
	@if [ -d "$(INDEX)" ]; then \
	  echo "run: reusing the index in $(INDEX) (delete it, or run bin/newsindex --rebuild, to rebuild)"; \
	  bin/newsindex --upgrade $(INDEX) || exit 1; \
	else \
	  mkdir -p $(dir $(INDEX)) && bin/newsindex --index $(INDEX) $(CORPUS); \
	fi
	@echo "run: the search page will be at http://$(HTTP)/ once newsd says it is ready"
	@if [ -x bin/newsd ]; then exec bin/newsd --index $(INDEX) --http $(HTTP); fi

# A peer that cannot be installed (not root, no network) does not stop the run: the
# results' first line names it and every table marks it.
bench: all
	@$(MAKE) --no-print-directory bench-peers || echo "bench: going on without the missing peers"
	@sh bench/run.sh

bench-quick: all
	@$(MAKE) --no-print-directory bench-peers || echo "bench: going on without the missing peers"
	@BENCH_QUICK=1 sh bench/run.sh

# The scale run takes longer than the default bench's budget (a 10x build alone takes
# minutes), so it is a target of its own with its own results file.
# It installs its peers and gnuplot first when missing (as root; else they are named
# in the results as not run).  BENCH_SCALE="10 100" adds 100x: an hour or more.
bench-scale: all
	@command -v indexer > /dev/null && command -v gnuplot > /dev/null && pkg-config --exists sqlite3 || \
	  { [ "$$(id -u)" = 0 ] && $(MAKE) --no-print-directory bench-peers; } || true
	@BENCH_SCALE="$${BENCH_SCALE:-10}" BENCH_INDEXING=0 BENCH_QUERY=0 \
	  BENCH_OUT="$${BENCH_OUT:-bench/RESULTS-scale.md}" sh bench/run.sh

# Queries while newsd rebuilds (REINDEX) at 1 and 8 connections: about ten minutes.
bench-reindex: all
	@BENCH_REINDEX_CONNS="$${BENCH_REINDEX_CONNS:-1 8}" sh bench/reindex.sh | tee bench/RESULTS-reindex.md

# Queries over 1 local index, 3 local and 3 remote shards (xapian-tcpsrv), and a page's
# stored fields over remote shards: three rounds, a few minutes.
bench-shards: all
	@sh bench/shards.sh > bench/RESULTS-shards.md.tmp && mv bench/RESULTS-shards.md.tmp bench/RESULTS-shards.md && cat bench/RESULTS-shards.md

# Normal clients' latency with and without hostile clients, this tree's newsd against
# BENCH_HOSTILE_BASE's (default main), interleaved: a few minutes.
bench-hostile: all
	@sh bench/hostile.sh | tee bench/RESULTS-hostile.md

# The same with 2 clients sending the costliest queries within the caps back to back
# instead (stress -K query), this tree's newsd alone unless BENCH_HOSTILE_BASE is set.
bench-hostile-queries: all
	@BENCH_HOSTILE_KINDS=query BENCH_HOSTILE_BASE="$${BENCH_HOSTILE_BASE-}" sh bench/hostile.sh | tee bench/RESULTS-hostile-queries.md

# The hard query limits against the costliest queries: the deadline's overshoot, PING
# beside them, RSS under four connections of them for a minute, SIGTERM: about 3 minutes.
bench-limits: all
	@python3 bench/limits.py > bench/RESULTS-limits.md.tmp && mv bench/RESULTS-limits.md.tmp bench/RESULTS-limits.md && cat bench/RESULTS-limits.md

bench-similar: all
	@python3 bench/similar.py > bench/RESULTS-similar.md.tmp && mv bench/RESULTS-similar.md.tmp bench/RESULTS-similar.md && cat bench/RESULTS-similar.md

# The peers the benchmarks compare against: SQLite FTS5 and Sphinx's indexer/searchd;
# gnuplot draws bench-scale's plots.
# Installs the missing ones as root, or says which are missing (as deps does).
bench-peers:
	@$(MAKE) --no-print-directory deps DEBIAN_PACKAGES="$(BENCH_PACKAGES)"

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
