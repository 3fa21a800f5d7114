# aekit: deep autoencoders for RCV1 in C.  See README.md.
#
#   make            build every tool into bin/
#   make check      C unit tests, bats suites, mandoc -Tlint
#   make asan       the same suite with -fsanitize=address,undefined
#   make demo       build and run the whole workflow on the built-in sample
#   make deps       install missing Debian packages (as root), else print the apt-get line
#   make install    PREFIX=/usr/local DESTDIR=
#   CUDA=auto|0|1   build the CUDA backend when nvcc is found / never / or fail

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
CUDA      ?= auto
NVCC      ?= $(shell command -v nvcc 2>/dev/null || { test -x /usr/local/cuda/bin/nvcc && echo /usr/local/cuda/bin/nvcc; })
BUILD     ?= build
BIN       ?= bin
PYTHON    ?= /usr/bin/python3

GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKGS      := hdf5 openblas libcurl libcrypto jansson yaml-0.1 zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
HAVE_PKGS  := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo yes || echo no)

CC        ?= cc
CFLAGS    ?= -O2 -g
CFLAGS    += -std=c11 -Wall -Wextra -pthread -D_GNU_SOURCE -Icommon $(PKG_CFLAGS) \
             -DAEKIT_VERSION='"$(VERSION)"' -DAEKIT_GIT_COMMIT='"$(GIT_COMMIT)"'
ifneq ($(CI),)
CFLAGS    += -Werror
endif
ifeq ($(SAN),1)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=address,undefined
endif
LDLIBS    += $(PKG_LIBS) -lpthread -lm

# ---- CUDA switch: the backend table in common/backend.c is the only place that cares.
ifeq ($(CUDA),1)
  ifeq ($(NVCC),)
    $(error CUDA=1 but nvcc was not found (set NVCC=/path/to/nvcc))
  endif
  USE_CUDA := 1
else ifeq ($(CUDA),auto)
  USE_CUDA := $(if $(NVCC),1,0)
else ifeq ($(CUDA),0)
  USE_CUDA := 0
else
  $(error CUDA must be auto, 0 or 1 (got '$(CUDA)'))
endif
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
CU_SRC    := $(wildcard common/*.cu)
ifeq ($(USE_CUDA),1)
  CFLAGS  += -DAEKIT_CUDA -I$(CUDA_HOME)/include
  LDLIBS  += -L$(CUDA_HOME)/lib64 -Wl,-rpath,$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++
  CU_OBJ  := $(CU_SRC:common/%.cu=$(BUILD)/common/%.cu.o)
  NVCC_VERSION := $(shell $(NVCC) --version 2>/dev/null | sed -n 's/.*release \([0-9.]*\).*/\1/p')
  CUDA_MSG := yes (nvcc $(NVCC_VERSION))
else
  CU_OBJ  :=
  CUDA_MSG := no
endif
NVCCFLAGS ?= -O2 -arch=sm_90 -Icommon -DAEKIT_CUDA

LIB_SRC   := $(wildcard common/*.c)
LIB_OBJ   := $(LIB_SRC:common/%.c=$(BUILD)/common/%.o)
LIB       := $(BUILD)/libaekit.a
TOOL_SRC  := $(wildcard tools/*.c)
TOOLS     := $(TOOL_SRC:tools/%.c=$(BIN)/%)
UNIT_SRC  := $(wildcard tests/unit/*.c)
UNITS     := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
MAN1      := $(wildcard man/man1/*.1)
MAN5      := $(wildcard man/man5/*.5)
MAN7      := $(wildcard man/man7/*.7)
HDRS      := $(wildcard common/*.h)

.PHONY: all check unit bats lint-man asan demo deps install clean detect bench
all: detect $(TOOLS)

detect:
	@echo "aekit $(VERSION) ($(GIT_COMMIT))"
	@echo "HDF5: $$(pkg-config --modversion hdf5 2>/dev/null || echo 'not found')"
	@echo "OpenBLAS: $$(pkg-config --modversion openblas 2>/dev/null || echo 'not found')"
	@echo "libcurl: $$(pkg-config --modversion libcurl 2>/dev/null || echo 'not found')"
	@echo "CUDA: $(CUDA_MSG)"
	@if [ "$(HAVE_PKGS)" != yes ]; then echo "missing libraries: run 'make deps'" >&2; exit 1; fi

$(BUILD)/common/%.o: common/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/common/%.cu.o: common/%.cu $(HDRS)
	@mkdir -p $(@D)
	$(NVCC) $(NVCCFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ) $(CU_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN)/%: tools/%.c $(LIB) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB) $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

unit: $(UNITS)
	@set -e; for t in $(UNITS); do echo "== $$t"; ./$$t; done

# TAP to the terminal and to $(BUILD)/bats.tap, then one "passed, failed, skipped" line;
# the status is bats' own
bats: $(TOOLS)
	@mkdir -p $(BUILD)
	@{ AEKIT_BIN=$(CURDIR)/$(BIN) AEKIT_BUILD=$(CURDIR)/$(BUILD) PYTHON=$(PYTHON) bats tests/; \
	   echo $$? > $(BUILD)/bats.rc; } | tee $(BUILD)/bats.tap
	@t=$(BUILD)/bats.tap; s=$$(grep -c '^ok .* # skip' $$t); \
	 echo "bats: $$(( $$(grep -c '^ok' $$t) - s )) passed, $$(grep -c '^not ok' $$t) failed, $$s skipped"
	@exit $$(cat $(BUILD)/bats.rc)

lint-man:
	mandoc -Tlint -W warning $(MAN1) $(MAN5) $(MAN7)

check: all
	$(MAKE) unit
	$(MAKE) bats
	$(MAKE) lint-man

asan:
	$(MAKE) BUILD=build-asan BIN=bin-asan SAN=1 CUDA=0 check

demo: 
	@sh .ci/deps --if-root
	$(MAKE) all
	$(MAKE) -C examples demo

deps:
	@sh .ci/deps

bench: all
	@if [ -d bench ]; then $(MAKE) -C bench; else echo "no benchmarks yet"; fi

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1/
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(PREFIX)/share/man/man5/)
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(PREFIX)/share/man/man7/)

clean:
	rm -rf build build-asan bin bin-asan
