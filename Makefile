# sre.oom — developer entry points. The README's quick start is `make report`
# and `make test`; everything else here is what those two are made of.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The real interpreter behind any shim (pyenv's shim costs ~65 ms a start).
PYTHON ?= $(shell python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PYVER := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
COLLECTIONS := $(CURDIR)/build/collections
# The `ansible` wheel on PyPI is the only source of community.docker and
# ansible.posix here (no Galaxy server); only those two are unpacked from it.
ANSIBLE_BUNDLE := ansible==12.3.0
MATRIX := 2.17 2.18
CORE_2.17 := ansible-core==2.17.14
CORE_2.18 := ansible-core==2.18.19
INVENTORY ?= inventory/localhost.yml
MOLECULE_SCENARIOS ?= default oom_event oom_scope unprivileged oomd

export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help setup setup-dev report test test-matrix lint sanity units hostile-tests docs-tests report-tests runner-tests roles-tests eda-tests eda-vm live-tests \
        integration molecule molecule-infra vm vm-down ee bench changelog build clean

help:
	@echo "make report       gather OOM facts and write the fleet report (read-only)"
	@echo "make test         every test: lint, sanity, units, docs, report, runner, roles, eda, live, integration, molecule, vm, eda-vm, ee (README: Tests)"
	@echo "make vm           the VM scenario alone (QEMU: systemd-oomd, kernel kills, panic)"
	@echo "make test-matrix  sanity and units on ansible-core $(MATRIX)"
	@echo "make setup        create .venv with the whole toolchain, and the collection link tree (alias: setup-dev)"
	@echo "make ee           build the execution and decision environments (docs/*-environment.yml)"
	@echo "make bench        run the benchmarks under bench/"

setup: $(VENV)/.stamp $(COLLECTIONS)/ansible_collections/sre/oom

setup-dev: setup

$(VENV)/.stamp: requirements-dev.txt scripts/setup-venv.sh
	scripts/setup-venv.sh "$(PYTHON)" $(VENV) requirements-dev.txt "" "$(ANSIBLE_BUNDLE)"
	touch $@

# `make report` needs only ansible-core and jinja2 (pinned in requirements-dev.txt):
# a .venv with the whole toolchain (.stamp) has them, else only they are installed.
$(VENV)/.runtime: requirements-dev.txt scripts/setup-venv.sh
	scripts/setup-venv.sh "$(PYTHON)" $(VENV) requirements-dev.txt runtime ""
	touch $@
REPORT_VENV := $(if $(wildcard $(VENV)/.stamp),$(VENV)/.stamp,$(VENV)/.runtime)

$(COLLECTIONS)/ansible_collections/sre/oom:
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

report: $(REPORT_VENV) $(COLLECTIONS)/ansible_collections/sre/oom
	ansible-playbook -i $(INVENTORY) playbooks/report.yml $(REPORT_ARGS)

test: setup lint sanity units docs-tests report-tests runner-tests roles-tests eda-tests live-tests integration molecule vm eda-vm ee

lint: setup
	yamllint -s .
	ruff check .
	ansible-lint --profile production --offline
	antsibull-changelog lint
	scripts/check-build.sh
	scripts/build-ee.sh create

sanity: setup
	scripts/ansible-test.sh $(VENV) sanity --python $(PYVER)

units: setup
	scripts/ansible-test.sh $(VENV) units --python $(PYVER)

# Host sysctls that privileged containers (and these tests) can change are
# recorded before and restored after, whatever the outcome.
SAFE := molecule/scripts/with-host-sysctls.sh

# The hostile-input unit tests alone (marker `hostile`, tests/unit/conftest.py).
hostile-tests: setup
	PYTHONPATH=$(COLLECTIONS) $(BIN)/python -m pytest tests/unit -m hostile -q -p no:cacheprovider

# Every fenced block of the Markdown run or checked (tests/docs/snippets.py says
# how), in a scratch copy of the checkout; and no doc points outside the repository.
docs-tests: setup
	$(BIN)/python -m pytest tests/docs -q -p no:cacheprovider

# The report role rendered on crafted facts, then opened in headless Chromium.
report-tests: setup
	tests/report/ensure-chromium.sh >/dev/null
	SRE_OOM_REQUIRE_BROWSER=1 $(BIN)/python -m pytest tests/report -q -p no:cacheprovider

# The playbooks as AWX runs them: ansible-runner jobs on a private data dir
# (site.yml in check mode on this machine, report.yml into a temporary dir).
runner-tests: setup
	$(BIN)/python -m pytest tests/runner -q -p no:cacheprovider

# The roles' checks of their variables: each role applied to this machine with
# `ansible-playbook --check --diff` (nothing changed), bad values refused.
roles-tests: setup
	$(BIN)/python -m pytest tests/roles -q -p no:cacheprovider

# The EDA source sre.oom.oom_kills: unit tests on fixtures, then on the real
# /dev/kmsg with a real memory-cgroup OOM kill, on the real journal in a systemd
# container, and under ansible-rulebook (Java 17+) running
# extensions/eda/rulebooks/oom_kills.yml on real kills; fleet mode on real
# systemd-journal-remote journals and in two containers (~3 min in all). The
# two-VM fleet test is `make eda-vm` (also part of `make test`).
eda-tests: setup molecule-infra
	tests/eda/ensure-deps.sh >/dev/null
	$(SAFE) env SRE_OOM_REQUIRE_LIVE=1 $(BIN)/python -m pytest tests/eda -q -p no:cacheprovider --ignore tests/eda/test_vm_fleet.py

# next_victims against the kernel's real choice: memory-cgroup OOMs on this
# machine's kernel (own memory cgroups, own processes); and the sysctl guard
# itself, on vm.oom_dump_tasks (flipped, then written back).
live-tests: setup
	$(SAFE) env SRE_OOM_REQUIRE_LIVE=1 $(BIN)/python -m pytest tests/live -q -p no:cacheprovider

# The fleet on the VM test bed (scripts/vm/): two VMs ship their journals to a
# systemd-journal-remote on 127.0.0.1, a real kill on vm2 fires the rule, and the
# response playbook restarts the unit on vm2 over SSH; kill -> event and kill ->
# playbook start are written to bench/results/eda-vm.json (~5 min under TCG).
# Whatever happens, both VMs are stopped by their pids (the test, and the trap here).
eda-vm: setup
	scripts/vm/deps.sh
	tests/eda/ensure-deps.sh >/dev/null
	trap 'scripts/vm/down.sh vm1 vm2' EXIT; \
	  SRE_OOM_EDA_VM=1 SRE_OOM_REQUIRE_LIVE=1 $(BIN)/python -m pytest tests/eda/test_vm_fleet.py -q -s -p no:cacheprovider

integration: setup molecule-infra
	ANSIBLE_ROLES_PATH=$(CURDIR)/tests/integration/targets \
	  $(SAFE) ansible-playbook -i tests/integration/inventory.yml tests/integration/localhost.yml
	$(SAFE) molecule/scripts/test.sh integration

molecule-infra:
	molecule/scripts/infra.sh

molecule: setup molecule-infra
	for s in $(MOLECULE_SCENARIOS); do \
	  echo "== molecule test -s $$s"; $(SAFE) molecule/scripts/test.sh $$s; done

# Two VMs (Debian bookworm and trixie under QEMU; KVM when it boots, else
# TCG), reached over SSH on 127.0.0.1: the policy, systemd-oomd and kernel
# kills, a panic and reboot, for real (molecule/vm). The VMs have their own
# kernels: the host's sysctls are not touched. Whatever happens, the VMs are
# stopped by their pids (destroy.yml, and the trap here).
VM_NAMES := sre-oom-vm-bookworm sre-oom-vm-trixie
vm: setup
	scripts/vm/deps.sh
	trap 'scripts/vm/down.sh $(VM_NAMES)' EXIT; molecule/scripts/test.sh vm

vm-down:
	scripts/vm/down.sh --all

# The execution environment, from the Debian image of molecule-infra, built
# offline (wheels downloaded here), then smoke-tested (scripts/build-ee.sh); then
# the decision environment (ansible-rulebook, Debian's Java, sre.oom), built the
# same way and checked by a rulebook run on a fixture kill (scripts/build-de.sh).
ee: setup molecule-infra
	scripts/build-ee.sh build

test-matrix: $(foreach v,$(MATRIX),matrix-$(v))

matrix-%:
	scripts/setup-venv.sh "$(PYTHON)" $(VENV)-$* requirements-dev.txt "$(CORE_$*)" ""
	@echo "== ansible-core $*: sanity"
	scripts/ansible-test.sh $(VENV)-$* sanity --python $(PYVER)
	@echo "== ansible-core $*: units"
	scripts/ansible-test.sh $(VENV)-$* units --python $(PYVER)
	@echo "== ansible-core $*: report rendering"
	ANSIBLE_PLAYBOOK=$(CURDIR)/$(VENV)-$*/bin/ansible-playbook $(BIN)/python -m pytest tests/report/test_report_render.py tests/report/test_report_cache.py tests/report/test_report_parts.py -q -p no:cacheprovider
	@echo "== ansible-core $*: AWX's fact cache (ansible-runner jobs)"
	SRE_OOM_ANSIBLE_BIN=$(CURDIR)/$(VENV)-$*/bin $(BIN)/python -m pytest tests/runner -q -p no:cacheprovider -k awx

bench: setup molecule-infra
	$(BIN)/python bench/oom_facts/run.py
	$(BIN)/python bench/oom_facts/journal.py
	$(BIN)/python bench/oom_facts/dmesg.py --decompose
	$(BIN)/python bench/oom_facts/payload.py
	$(BIN)/python bench/report/run.py
	molecule/scripts/with-host-sysctls.sh $(BIN)/python bench/fleet/run.py
	$(BIN)/python bench/eda/latency.py
	$(BIN)/python bench/eda/sweep.py
	$(BIN)/python bench/victims/run.py
	$(BIN)/python bench/victims/accuracy.py

changelog: setup
	antsibull-changelog release

build: setup
	mkdir -p build/dist
	ansible-galaxy collection build --force --output-path build/dist .
	@ls -l build/dist/*.tar.gz

clean:
	rm -rf build $(VENV) $(VENV)-* .pytest_cache tests/output
