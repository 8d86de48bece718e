#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ctl-host-test.sh IOBMDCTL
#
# Runs IOBMDCTL on this machine, where `make check` never loads iobmd.ko:
# the generic netlink family "iobmd" does not resolve, and iobmdctl must
# exit 3 with its "module not loaded" message and print nothing else.
# (When iobmd is loaded here after all, the check runs in a new network
# namespace instead, where the family does not resolve either, and expects
# the message for that case.)  Prints one TAP line; exits 0 when it passed.
set -euo pipefail

ctl=${1:?usage: $0 IOBMDCTL}
rc=0
if [ -e /sys/module/iobmd ]; then
	what="iobmdctl in a network namespace of its own"
	want="iobmdctl: generic netlink family 'iobmd' not found in this network namespace (the iobmd module serves the initial one only)"
	out=$(unshare -n "$ctl" stats 2>&1) || rc=$?
else
	what="iobmdctl where the module is not loaded"
	want="iobmdctl: iobmd module not loaded (generic netlink family 'iobmd' not found)"
	out=$("$ctl" stats 2>&1) || rc=$?
fi
if [ "$rc" = 3 ] && [ "$out" = "$want" ]; then
	echo "ok 1 $what: exit 3, \"$out\""
	exit 0
fi
echo "not ok 1 $what: exit $rc, \"$out\" (expected exit 3, \"$want\")"
exit 1
