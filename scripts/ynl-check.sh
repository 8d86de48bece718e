#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ynl-check.sh [--update]
#
# The generic netlink family's YNL spec, Documentation/netlink/specs/iobmd.yaml,
# against the kernel's tools (the unpacked linux-source of
# scripts/install-deps.sh, $KSRC):
#   1. the spec is valid against the kernel's schema for its protocol
#      (Documentation/netlink/<protocol>.yaml, checked with python3's
#      jsonschema);
#   2. the kernel's generator, tools/net/ynl/ynl-gen-c.py --mode uapi
#      --header, turns it into a header identical to uapi/iobmd_netlink.h,
#      so the spec and the ABI cannot drift apart;
#   3. the kernel's ynl CLI (tools/net/ynl/cli.py) run on this machine
#      against the spec through scripts/ynl-cli-check.py: iobmd.ko is not
#      loaded here, so the CLI's library is given the family's
#      description (an id, the events group) and a netlink peer that
#      answers as the module does with the numbers of uapi/iobmd_netlink.h
#      and uapi/iobmd.h (from a C program compiled against them): --list-ops
#      lists the uapi's commands; each do and dump encodes its command and
#      attributes by the uapi's numbers and decodes the answer under the
#      spec's names; --subscribe events joins the group and decodes both
#      events.  (The guest initramfs has no Python for the CLI to run
#      against the loaded module.)
# The generator wants the spec inside a kernel tree (a MAINTAINERS file
# above it, the schema at ../../<protocol>.yaml): it runs on a copy laid
# out that way under build/ynl.
# --update writes the generated header over uapi/iobmd_netlink.h: after a
# change to the spec, which may only add attributes, commands or groups
# at the end (numbers are ABI).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

update=
if [ "${1:-}" = --update ]; then
	update=1
	shift
fi
[ $# -eq 0 ] || die "usage: ynl-check.sh [--update]"

spec_rel=Documentation/netlink/specs/iobmd.yaml
header=$ROOT/uapi/iobmd_netlink.h
[ -n "${KSRC:-}" ] || try_deps
if [ -z "${KSRC:-}" ] || [ ! -d "$KSRC/Documentation/netlink" ]; then
	die "no kernel source with Documentation/netlink (run scripts/install-deps.sh as root)"
fi
ynl=$KSRC/tools/net/ynl
[ -f "$ynl/ynl-gen-c.py" ] || ynl=$KSRC/tools/net/ynl/pyynl
gen=$ynl/ynl-gen-c.py
[ -f "$gen" ] || die "no ynl-gen-c.py under $KSRC/tools/net/ynl"
# Debian's python3 (install-deps.sh installs the modules there), else the
# one on PATH.
py=
for p in /usr/bin/python3 python3; do
	if "$p" -c 'import jsonschema, yaml' 2>/dev/null; then
		py=$p
		break
	fi
done
[ -n "$py" ] ||
	die "python3 lacks jsonschema or yaml (apt-get install python3-jsonschema python3-yaml)"

out=$BUILD/ynl
rm -rf "$out"
mkdir -p "$out/tree/Documentation/netlink/specs"
touch "$out/tree/MAINTAINERS"
cp "$ROOT/$spec_rel" "$out/tree/$spec_rel"
proto=$(sed -n 's/^protocol: *//p' "$ROOT/$spec_rel")
schema=$KSRC/Documentation/netlink/$proto.yaml
[ -f "$schema" ] || die "$spec_rel: no schema for protocol '$proto' in $KSRC"
cp "$schema" "$out/tree/Documentation/netlink/"

# 1. The schema, checked on its own so that a failure names the spot.
if ! "$py" - "$schema" "$ROOT/$spec_rel" <<'PY'
import sys
import jsonschema
import yaml

with open(sys.argv[1]) as f:
    schema = yaml.safe_load(f)
with open(sys.argv[2]) as f:
    spec = yaml.safe_load(f)
# The kernel's schemas name draft 7 in a form jsonschema does not look up.
if 'draft-07' in schema.get('$schema', ''):
    validator = jsonschema.Draft7Validator(schema)
else:
    validator = jsonschema.validators.validator_for(schema)(schema)
errors = sorted(validator.iter_errors(spec), key=lambda e: list(e.absolute_path))
for e in errors:
    where = '/'.join(str(p) for p in e.absolute_path) or '(top)'
    print(f'{sys.argv[2]}: {where}: {e.message}', file=sys.stderr)
sys.exit(1 if errors else 0)
PY
then
	die "$spec_rel does not follow $schema"
fi

# 2. The header, generated and compared.
if ! "$py" "$gen" --mode uapi --header --spec "$out/tree/$spec_rel" \
	-o "$out/iobmd_netlink.h" >"$out/gen.log" 2>&1; then
	tail -n 20 "$out/gen.log" >&2
	die "ynl-gen-c.py failed on $spec_rel (log: $out/gen.log)"
fi
if [ -n "$update" ]; then
	cp "$out/iobmd_netlink.h" "$header"
	msg "wrote uapi/iobmd_netlink.h from $spec_rel"
	exit 0
fi
if ! diff -u "$header" "$out/iobmd_netlink.h" >"$out/header.diff"; then
	cat "$out/header.diff" >&2
	die "uapi/iobmd_netlink.h is not what $spec_rel generates (the diff above, +: the spec's)"
fi

# 3. The kernel's ynl CLI against the family, here where iobmd.ko is not
# loaded: given the family's description (its id and group) and a netlink
# peer answering by the uapi headers' numbers (scripts/ynl-cli-check.py).
cli=$ynl/cli.py
[ -f "$cli" ] || die "no ynl CLI (cli.py) under $ynl"
if ! "$py" "$ROOT/scripts/ynl-cli-check.py" "$cli" "$out/tree/$spec_rel" "$ROOT/uapi" \
	"$ROOT/driver/netlink.c" "$out" >"$out/cli.log" 2>&1; then
	cat "$out/cli.log" >&2
	die "the kernel's ynl CLI disagrees with the uapi headers on $spec_rel (log: $out/cli.log)"
fi
msg "$spec_rel: valid ($proto), generates uapi/iobmd_netlink.h exactly;" \
	"the kernel's ynl CLI lists, encodes and decodes every operation and event by the uapi numbers" \
	"($(grep -c '^ok' "$out/cli.log") checks)"
