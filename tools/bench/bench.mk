# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench: AEAD throughput, timing only (never part of make check).
#   1. host: libgmrk's software path against raw OpenSSL EVP and raw
#      libgcrypt, AES-256-GCM, ChaCha20-Poly1305, SM4-GCM, 64 B .. 1 MiB,
#      single thread, MB/s and ratios        (tools/bench/bench_host.c)
#   2. VM:   the card, the kernel's own AF_ALG algorithms, software, auto
#      routing, side by side; ratios only     (tools/bench/bench_vm.c)
# Tables also land in $(BUILD)/bench/{host,vm}.txt.
#
#   make bench                      both, host first (never in parallel)
#   make bench-host / bench-vm      one of them
#   BENCH_ARGS="--runs 100 --min-ms 3 --sizes 64,4096 --cipher sm4-gcm"
#                                   (host defaults: 100 runs of 3 ms; and
#                                   --peers-block: raw peers' output laid
#                                   out as a libgmrk block)
#   BENCH_VM_ARGS=...               the same for the VM part (defaults
#                                   12 runs of 50 ms, paths taking turns)
#   BENCH_VM_MODE=sim|pci           pci: the gm-rk card emulated in QEMU
#                                   (tools/qemu/build.sh); default sim

-include $(TOP)/lib/sm4/sm4.mk

BENCH_OUT := $(BUILD)/bench
BENCH_HOST := $(BENCH_OUT)/gmrk-bench-host
BENCH_VM_EXTRA := $(BENCH_OUT)/vm-extra
BENCH_VM := $(BENCH_VM_EXTRA)/gmrk-bench-vm
BENCH_ARGS ?=
BENCH_VM_ARGS ?=
BENCH_VM_MODE ?= sim
BENCH_VM_TIMEOUT ?= 2400

BENCH_COMMON := tools/bench/benchutil.c $(SM4_SRCS)
BENCH_DEPS := $(addprefix $(TOP)/,$(BENCH_COMMON)) $(TOP)/tools/bench/benchutil.h \
	$(wildcard $(TOP)/lib/sm4/*.h) $(TOP)/tools/bench/bench.mk
BENCH_CFLAGS := $(USER_CFLAGS) -I$(TOP)/lib/include -I$(TOP)/tools/bench $(SM4_CFLAGS)
# Against the shared libgmrk in $(BUILD)/lib, as a user links it; lib/sm4
# is compiled in as well for the raw SM4-GCM column (the library keeps its
# copy's symbols local).
BENCH_LDFLAGS := -L$(BUILD)/lib -Wl,-rpath,$(BUILD)/lib -lgmrk $(SM4_LIBS)
BENCH_LIB := $(BUILD)/lib/libgmrk.so $(BUILD)/lib/libgmrk.so.1

.PHONY: bench bench-host bench-vm

$(BENCH_HOST): $(TOP)/tools/bench/bench_host.c $(BENCH_DEPS) $(BENCH_LIB)
	@mkdir -p $(@D)
	@echo "  CC      $(@F)"
	@$(CC) $(BENCH_CFLAGS) -o $@ $(TOP)/tools/bench/bench_host.c \
		$(addprefix $(TOP)/,$(BENCH_COMMON)) $(BENCH_LDFLAGS) -lgcrypt

$(BENCH_VM): $(TOP)/tools/bench/bench_vm.c $(BENCH_DEPS) $(BENCH_LIB)
	@mkdir -p $(@D)
	@echo "  CC      $(@F)"
	@$(CC) $(BENCH_CFLAGS) -o $@ $(TOP)/tools/bench/bench_vm.c \
		$(addprefix $(TOP)/,$(BENCH_COMMON)) $(BENCH_LDFLAGS)

# Sequential on purpose: the two parts must not compete for the CPU.
bench: deps
	@$(MAKE) --no-print-directory bench-host
	@$(MAKE) --no-print-directory bench-vm

bench-host: deps $(BENCH_HOST)
	@echo "== make bench: host =="
	@set -o pipefail; $(BENCH_HOST) $(BENCH_ARGS) | tee $(BENCH_OUT)/host.txt

# The guest finds libgmrk in /extra/lib (its LD_LIBRARY_PATH), wherever
# $(BUILD) is. The guest script's output is cut out of the serial log between its
# BENCH-BEGIN and BENCH-END markers; a run that fails prints the log's tail.
bench-vm: deps module $(BENCH_VM)
	@echo "== make bench: VM ($(BENCH_VM_MODE) mode, TCG) =="
	@qemu=/usr/bin/qemu-system-x86_64; \
	if [ "$(BENCH_VM_MODE)" = pci ]; then \
		qemu=$$($(TOP)/tools/qemu/build.sh | tail -1) || exit 1; \
	fi; \
	printf '%s\n' 'GMRK_BENCH_VM_ARGS="$(BENCH_VM_ARGS)"' > $(BENCH_VM_EXTRA)/bench.conf; \
	mkdir -p $(BENCH_VM_EXTRA)/lib && cp -L $(BUILD)/lib/libgmrk.so.1 $(BENCH_VM_EXTRA)/lib/; \
	$(TOP)/tests/vm/run.sh --mode $(BENCH_VM_MODE) --name bench-$(BENCH_VM_MODE) \
		--qemu $$qemu --guest-script $(TOP)/tools/bench/vm-bench.sh \
		--extra $(BENCH_VM_EXTRA) --timeout $(BENCH_VM_TIMEOUT) \
		--test-timeout $(BENCH_VM_TIMEOUT) \
		--log $(BENCH_OUT)/vm-serial.txt > $(BENCH_OUT)/vm-run.tap; \
	rc=$$?; \
	sed -n '/^BENCH-BEGIN/,/^BENCH-END/p' $(BENCH_OUT)/vm-serial.txt | \
		sed '1d;$$d' | tee $(BENCH_OUT)/vm.txt; \
	if [ $$rc -ne 0 ] || ! grep -q '^BENCH-END 0' $(BENCH_OUT)/vm-serial.txt; then \
		echo "bench-vm: the VM run failed; see $(BENCH_OUT)/vm-serial.txt" >&2; \
		tail -20 $(BENCH_OUT)/vm-serial.txt >&2; exit 1; \
	fi
