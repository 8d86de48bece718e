#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# update-symbols.sh [OUTFILE]
#
# Writes debian/libiobmd1.symbols (or OUTFILE): the symbols libiobmd.so.1
# and libiobmd++.so.1 export, as dpkg-gensymbols lists them from a build of
# the libraries with Debian's build flags, then rewritten:
#   - libiobmd's C symbols keep their version node (LIBIOBMD_1.x, from
#     userlib/c/libiobmd.map); their minimal version is the release that
#     node came with (1.0 and 1.1: 1.1.0, the first packaged release);
#   - libiobmd++'s C++ symbols in the (c++) demangled form (one line for
#     the variants of a constructor or destructor); those of the
#     standard library's templates instantiated in it (std::..., their
#     typeinfo) are (optional=templinst): the compiler decides which it
#     emits;
#   - where a C++ name holds a type whose size follows the word size
#     (std::size_t, std::uintptr_t, std::uint64_t are "unsigned long" on
#     64-bit, "unsigned int" or "unsigned long long" on 32-bit), an
#     (arch-bits=64) and an (arch-bits=32) line: the 32-bit names come
#     from compiling the C++ sources with -m32 (objects only: nothing is
#     linked: g++-multilib's 32-bit headers are all it needs; it is not
#     part of make check, so scripts/install-deps.sh leaves it out).
# A symbol the file already lists keeps its minimal version; a new one
# gets VERSION's (a C++ symbol no release before had: the first file was
# written at 1.2.0 with libiobmd++'s exports those of 1.1.0, per the ABI
# dump of userlib/abi/ at 1.1.0, so they say 1.1.0).  After an ABI change (make abi-check says so), run this
# and commit the result; `make deb` fails on any difference
# (DPKG_GENSYMBOLS_CHECK_LEVEL=4 in scripts/build-deb.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:-$ROOT/debian/libiobmd1.symbols}
version=$(cat "$ROOT/VERSION")
O=$BUILD/symbols
for t in dpkg-gensymbols dpkg-buildflags c++filt readelf python3; do
	command -v "$t" >/dev/null || die "no $t (apt-get install dpkg-dev binutils python3)"
done
rm -rf "$O"
mkdir -p "$O"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# 1. The libraries as debian/rules builds them.
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
(cd "$ROOT" && make -s -f userlib/userlib.mk O="$O/lib" CXXLIB_RPATH= -j"$(nproc)" lib) \
	>"$O/build.log" 2>&1 || { cat "$O/build.log" >&2; die "building the libraries failed"; }
pkg=$O/pkg/usr/lib/$multiarch
mkdir -p "$pkg"
cp -a "$O/lib"/libiobmd.so.1* "$O/lib"/libiobmd++.so.1* "$pkg/"

# 2. What they export, by dpkg-gensymbols (no template: the raw list).
: >"$O/empty.symbols"
(cd "$ROOT" && dpkg-gensymbols -q -plibiobmd1 -P"$O/pkg" -v"$version" \
	-I"$O/empty.symbols" -O"$O/raw.symbols" -c0)

# 3. The C++ layer's exports on a 32-bit target: its objects, built with
# -m32, and their global default-visibility definitions.
mkdir -p "$O/obj32"
nl_cflags=$(pkg-config --cflags libnl-genl-3.0)
(cd "$ROOT" && make -s -f userlib/userlib.mk O="$O/lib" "$O/lib/include/iobmd/uapi.h")
for src in "$ROOT"/userlib/src/*.cpp; do
	# shellcheck disable=SC2086 # flag lists
	g++ -m32 -std=c++20 $CPPFLAGS $CXXFLAGS $nl_cflags -fPIC -fvisibility=hidden \
		-fvisibility-inlines-hidden -I"$ROOT/userlib/include" \
		-I"$ROOT/userlib/c/include" -I"$O/lib/include" -I"$ROOT/uapi" \
		-c -o "$O/obj32/$(basename "$src" .cpp).o" "$src" 2>>"$O/build32.log" ||
		{ cat "$O/build32.log" >&2; die "-m32 build of $src failed (apt-get install g++-multilib)"; }
done
for o in "$O"/obj32/*.o; do
	readelf -sW "$o" | awk '$5 != "LOCAL" && $6 == "DEFAULT" && $7 != "UND" && $8 ~ /^_Z/ {print $8}'
done | sort -u >"$O/syms32"

# 4. The file.
python3 - "$O/raw.symbols" "$O/syms32" "$out" "$version" <<'PY'
import re
import subprocess
import sys

raw, syms32, out, version = sys.argv[1:5]


def demangle(names):
    if not names:
        return {}
    r = subprocess.run(['c++filt'], input='\n'.join(names) + '\n',
                       capture_output=True, text=True, check=True)
    return dict(zip(names, r.stdout.splitlines()))


# Minimal versions already recorded: kept.
known = {}
try:
    with open(out) as f:
        for line in f:
            m = re.match(r'^ (?:\(([^)]*)\))?"?(.+?)"? (\S+)$', line)
            if m:
                known[m.group(2)] = m.group(3)
except FileNotFoundError:
    pass

libs = {}
order = []
lib = None
for line in open(raw):
    if not line.startswith(' '):
        lib = line.split()[0]
        libs[lib] = []
        order.append(lib)
        continue
    sym, _ = line.split()
    libs[lib].append(sym)


def node_version(node):
    # LIBIOBMD_1.N came with 1.N.0; 1.0 and 1.1 with 1.1.0, the first
    # packaged release.
    m = re.match(r'LIBIOBMD_(\d+)\.(\d+)$', node)
    major, minor = int(m.group(1)), int(m.group(2))
    if (major, minor) < (1, 1):
        minor = 1
    return f'{major}.{minor}.0'


def templinst(d):
    return re.match(r'^(?:(?:typeinfo|typeinfo name|vtable) for )?std::', d) is not None


def skeleton(d):
    # The name with word-size-dependent integer types made alike.
    d = re.sub(r'\bunsigned (?:long long|long|int)\b', 'U', d)
    d = re.sub(r'\b(?:long long|long|int)\b', 'S', d)
    return re.sub(r'\b(\d+)(?:ull|ul|u|ll|l)\b', r'\1', d)


names32 = [s.strip() for s in open(syms32) if s.strip()]
dem32 = demangle(names32)
by_skel32 = {}
for n, d in dem32.items():
    by_skel32.setdefault(skeleton(d), []).append(d)
set32 = set(dem32.values())

lines = []
for lib in order:
    lines.append(f'{lib} libiobmd1 #MINVER#')
    if lib.startswith('libiobmd.so'):
        lines.append('* Build-Depends-Package: libiobmd-dev')
        for sym in sorted(libs[lib]):
            name, node = sym.split('@')
            ver = known.get(sym, node_version(node))
            lines.append(f' {sym} {ver}')
        continue
    entries = []
    cxx = [s for s in libs[lib] if s.startswith('_Z')]
    plain = [s for s in libs[lib] if not s.startswith('_Z')]
    if plain:
        sys.exit(f'{lib}: symbols outside C++ mangling: {plain}')
    dem = demangle([s.split('@')[0] for s in cxx])
    for s in cxx:
        mangled, ver_tag = s.split('@')
        d = dem[mangled]
        tags = ['c++']
        if templinst(d):
            tags.append('optional=templinst')
        if d in set32 or templinst(d) and not by_skel32.get(skeleton(d)):
            variants = [(None, d)]
        else:
            cands = [c for c in by_skel32.get(skeleton(d), []) if c != d]
            if len(cands) != 1:
                sys.exit(f'{lib}: no single 32-bit twin of {d}: {cands}')
            variants = [('arch-bits=64', d), ('arch-bits=32', cands[0])]
        for arch, name in variants:
            key = f'{name}@{ver_tag}'
            ver = known.get(key, version)
            t = '|'.join(([arch] if arch else []) + tags)
            entries.append((name, arch or '', f' ({t})"{key}" {ver}'))
    lines.append('* Build-Depends-Package: libiobmd-dev')
    # One line per demangled name: a constructor's or destructor's
    # variants (C1/C2, D0/D1/D2) demangle alike, and the line stands
    # for all of them.
    lines += sorted({e[2] for e in entries})

with open(out, 'w') as f:
    f.write('\n'.join(lines) + '\n')
PY
msg "wrote $out ($(grep -c '^ ' "$out") symbols)"
