#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# ynl-cli-check.py CLI SPEC UAPI_DIR DRIVER_NETLINK_C OUTDIR
#
# The kernel's ynl CLI (CLI: tools/net/ynl/cli.py, or pyynl/cli.py in newer
# trees) run against the "iobmd" family's spec on a machine where the
# module is not loaded (scripts/ynl-check.sh, step 3).  The family is
# not in this kernel, so the CLI's library is given the family's
# description the kernel would answer (an id, the "events" group), and
# its netlink socket is a peer of this script's that records what the CLI
# sends and answers the way iobmd.ko does, built from the numbers of the
# uapi headers (a C program compiled against UAPI_DIR/iobmd_netlink.h and
# iobmd.h prints them), never from the spec, and each attribute as wide
# as the module puts it (nla_put_u32() in DRIVER_NETLINK_C: 4 bytes; its
# u64 helper: 8).  Checked:
#   1. --list-ops and --list-msgs list exactly the commands of enum
#      iobmd_nl_cmd (other than UNSPEC), each with the modes the spec
#      gives it (the operations; the operations and the events);
#   2. every do and dump: the request the CLI encodes carries the family's
#      id, IOBMD_GENL_VERSION, the command's uapi number, the request
#      flags, and (set-limits) each attribute under its uapi number as a
#      u64 of the value given; the answer (each reply attribute under its
#      uapi number, a distinct 64-bit value) comes back from the CLI under
#      the spec's names with those values, desc-kind as the name of enum
#      iobmd_kind's entry (uapi/iobmd.h, which the spec's "kind" names);
#   3. --subscribe events: the CLI joins the group IOBMD_GENL_MCGRP_EVENTS
#      names, and decodes an event-create and an event-release sent there.
# Prints one line per check; exits non-zero on the first failure.
import contextlib
import io
import json
import os
import re
import runpy
import struct
import subprocess
import sys
import types

import yaml

cli, spec_path, uapi_dir, driver_c, outdir = sys.argv[1:6]

NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLM_F_CAPPED = 0x100
SOL_NETLINK, NETLINK_ADD_MEMBERSHIP = 270, 1
FAMILY_ID, GROUP_ID = 0x2a, 0x17


def fail(what):
    print(f'ynl-cli-check: FAIL: {what}', file=sys.stderr)
    sys.exit(1)


def cname(prefix, name):
    return (prefix + name).upper().replace('-', '_')


with open(spec_path) as f:
    spec = yaml.safe_load(f)
aset = spec['attribute-sets'][0]
attrs = {a['name']: a for a in aset['attributes']}
ops = {o['name']: o for o in spec['operations']['list'] if o['name'] != 'unspec'}
kinds = next(d for d in spec['definitions'] if d['name'] == 'kind')
kind_names = [e if isinstance(e, str) else e['name'] for e in kinds['entries']]

# The uapi's numbers, by the C names the spec's prefixes give.
csrc = os.path.join(outdir, 'uapi_numbers.c')
with open(csrc, 'w') as f:
    f.write('#include <stdio.h>\n#include "iobmd.h"\n#include "iobmd_netlink.h"\n')
    f.write('int main(void)\n{\n')
    f.write('\tprintf("family %s %d\\n", IOBMD_GENL_NAME, IOBMD_GENL_VERSION);\n')
    f.write('\tprintf("group %s\\n", IOBMD_GENL_MCGRP_EVENTS);\n')
    f.write('\tprintf("maxcmd %d\\nmaxattr %d\\n", IOBMD_CMD_MAX, IOBMD_A_MAX);\n')
    for name in ops:
        f.write(f'\tprintf("cmd {name} %d\\n", {cname(spec["operations"]["name-prefix"], name)});\n')
    for name in attrs:
        f.write(f'\tprintf("attr {name} %d\\n", {cname(aset["name-prefix"], name)});\n')
    for name in kind_names:
        f.write(f'\tprintf("kind {name} %d\\n", {cname(kinds["name-prefix"], name)});\n')
    f.write('\treturn 0;\n}\n')
exe = os.path.join(outdir, 'uapi_numbers')
r = subprocess.run([os.environ.get('CC', 'cc'), '-std=gnu11', '-Wall', '-Werror',
                    '-I', uapi_dir, '-o', exe, csrc], capture_output=True, text=True)
if r.returncode:
    fail(f'the uapi headers lack a name the spec gives:\n{r.stderr}')
uapi = {'cmd': {}, 'attr': {}, 'kind': {}}
for line in subprocess.run([exe], capture_output=True, text=True, check=True).stdout.splitlines():
    w = line.split()
    if w[0] in uapi:
        uapi[w[0]][w[1]] = int(w[2])
    else:
        uapi[w[0]] = w[1:]
if uapi['family'] != [spec['name'], '1']:
    fail(f'uapi family {uapi["family"]}, spec {spec["name"]}')
if sorted(uapi['cmd'].values()) != list(range(1, int(uapi['maxcmd'][0]) + 1)):
    fail(f'the spec\'s operations {sorted(uapi["cmd"])} are not all of enum iobmd_nl_cmd')
kind_by_value = {v: k for k, v in uapi['kind'].items()}


# What the module puts as u32 (everything else goes through its u64 helper).
with open(driver_c) as f:
    put_u32 = set(re.findall(r'nla_put_u32\(\s*\w+,\s*(IOBMD_A_\w+)', f.read()))
if not put_u32:
    fail(f'no nla_put_u32() of an IOBMD_A_ attribute in {driver_c}')


def width(name):
    return 4 if cname(aset['name-prefix'], name) in put_u32 else 8


def value_of(name, request=False):
    # Distinct, and wider than 32 bits where the attribute is.
    if not request and width(name) == 4:
        return 0x01020000 + uapi['attr'][name]
    return 0x0102030400000000 + uapi['attr'][name] * 0x10001


def attr_bytes(names):
    out = b''
    for name in names:
        fmt = 'I' if width(name) == 4 else 'Q'
        if attrs[name].get('enum') == 'kind':
            payload = struct.pack(fmt, uapi['kind'][kind_names[-1]])
        else:
            payload = struct.pack(fmt, value_of(name))
        out += struct.pack('HH', 4 + len(payload), uapi['attr'][name]) + payload
    return out


def expected(names):
    return {n: (kind_names[-1] if attrs[n].get('enum') == 'kind' else value_of(n))
            for n in names}


def parse_attrs(raw):
    got = {}
    while raw:
        ln, typ = struct.unpack_from('HH', raw)
        got[typ] = raw[4:ln]
        raw = raw[(ln + 3) & ~3:]
    return got


def message(cmd, seq, payload, flags=0):
    body = struct.pack('BBH', cmd, 1, 0) + payload
    return struct.pack('IHHII', 16 + len(body), FAMILY_ID, flags, seq, 0) + body


class Peer:
    """What iobmd.ko answers, by the uapi's numbers."""

    def __init__(self):
        self.requests = []
        self.queue = []
        self.groups = []

    def answer(self, data):
        while data:
            ln, typ, flags, seq, _ = struct.unpack_from('IHHII', data)
            msg, data = data[:ln], data[(ln + 3) & ~3:]
            cmd, ver, _ = struct.unpack_from('BBH', msg, 16)
            self.requests.append({'type': typ, 'flags': flags, 'cmd': cmd, 'version': ver,
                                  'attrs': parse_attrs(msg[20:])})
            op = next((o for o in ops.values() if uapi['cmd'][o['name']] == cmd), None)
            mode = 'dump' if flags & NLM_F_DUMP == NLM_F_DUMP else 'do'
            reply = ((op or {}).get(mode) or {}).get('reply')
            if reply:
                self.queue.append(message(cmd, seq, attr_bytes(reply['attributes']),
                                          2 if mode == 'dump' else 0))
            if mode == 'dump':
                self.queue.append(struct.pack('IHHIIi', 20, NLMSG_DONE, 2, seq, 0, 0))
            else:
                ack = struct.pack('i', 0) + msg[:16]
                self.queue.append(struct.pack('IHHII', 16 + len(ack), NLMSG_ERROR,
                                              NLM_F_CAPPED, seq, 0) + ack)

    def join(self, group):
        self.groups.append(group)
        if group == GROUP_ID:
            for name in ('event-create', 'event-release'):
                ev = ops[name]['event']['attributes']
                self.queue.append(message(uapi['cmd'][name], 0, attr_bytes(ev)))


peer = Peer()


class FakeSocket:
    def __init__(self, family, kind, proto):
        if proto != 16:
            fail(f'the CLI opened netlink protocol {proto}, not generic netlink')

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def setsockopt(self, level, opt, val):
        if level == SOL_NETLINK and opt == NETLINK_ADD_MEMBERSHIP:
            peer.join(val)

    def bind(self, addr):
        pass

    def send(self, data, flags=0):
        peer.answer(data)
        return len(data)

    def recv(self, size, flags=0):
        if peer.queue:
            return peer.queue.pop(0)
        if flags & 0x40:  # MSG_DONTWAIT
            raise BlockingIOError()
        fail('the CLI waits for an answer the kernel would not send')

    def close(self):
        pass


# The CLI's library, from the CLI's own directory, given the family and
# the peer.
sys.path.insert(0, os.path.dirname(os.path.abspath(cli)))
import lib.ynl as ynl_lib  # noqa: E402

ynl_lib.genl_family_name_to_id = {
    spec['name']: {'id': FAMILY_ID, 'name': spec['name'],
                   'mcast': {uapi['group'][0]: GROUP_ID}}}
fake = types.SimpleNamespace(socket=FakeSocket, AF_NETLINK=16, SOCK_RAW=3,
                             MSG_DONTWAIT=0x40)
ynl_lib.socket = fake


def run_cli(*args):
    out = io.StringIO()
    sys.argv = [cli, '--spec', spec_path, *args]
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(cli, run_name='__main__')
        except SystemExit as e:
            if e.code:
                fail(f'cli.py {" ".join(args)}: exit {e.code}: {out.getvalue()}')
    return out.getvalue()


# 1. The operations (--list-ops: those one can ask for) and the messages
# (--list-msgs: those and the events).
def listing(opt):
    got = {}
    for line in run_cli(opt).splitlines():
        m = re.match(r'^(\S+)\s+\[\s*(.*?)\s*\]$', line)
        if m:
            got[m.group(1)] = {x.strip() for x in m.group(2).split(',') if x.strip()}
    return got


modes = {n: {m for m in ('do', 'dump', 'event', 'notify') if m in o} for n, o in ops.items()}
want = {n: m for n, m in modes.items() if m & {'do', 'dump'}}
listed = listing('--list-ops')
if listed != want:
    fail(f'--list-ops: {listed}, the spec: {want}')
# (unspec, value 0, is listed with no mode: not a command.)
listed = {n: m for n, m in listing('--list-msgs').items() if m or n != 'unspec'}
if listed != modes:
    fail(f'--list-msgs: {listed}, the spec and enum iobmd_nl_cmd: {modes}')
print(f'ok: cli.py --list-ops, --list-msgs: {len(want)} operations and '
      f'{len(modes) - len(want)} events, the {len(modes)} commands of enum iobmd_nl_cmd')

# 2. Each request and its answer.
for name, op in ops.items():
    for mode in ('do', 'dump'):
        if mode not in op:
            continue
        req_names = ((op[mode].get('request') or {}).get('attributes')) or []
        # (The module reads every request attribute as a u64.)
        vals = {n: value_of(n, request=True) for n in req_names}
        peer.requests.clear()
        args = [f'--{mode}', name, '--output-json']
        if vals:
            args += ['--json', json.dumps(vals)]
        out = run_cli(*args).strip()
        if len(peer.requests) != 1:
            fail(f'{mode} {name}: {len(peer.requests)} messages sent')
        rq = peer.requests[0]
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if mode == 'dump' else 0)
        if (rq['type'], rq['cmd'], rq['version'], rq['flags']) != \
                (FAMILY_ID, uapi['cmd'][name], 1, flags):
            fail(f'{mode} {name}: request {rq}, want cmd {uapi["cmd"][name]} flags {flags}')
        want_attrs = {uapi['attr'][n]: struct.pack('Q', v) for n, v in vals.items()}
        if rq['attrs'] != want_attrs:
            fail(f'{mode} {name}: request attributes {rq["attrs"]}, want {want_attrs}')
        reply = (op[mode].get('reply') or {}).get('attributes')
        got = json.loads(out) if out else None
        if mode == 'dump':
            want_reply = [expected(reply)]
        else:
            want_reply = expected(reply) if reply else None
        if got != want_reply:
            fail(f'{mode} {name}: the CLI decoded {got}, want {want_reply}')
        print(f'ok: cli.py --{mode} {name}: command {uapi["cmd"][name]}, '
              f'{len(vals)} request and {len(reply or [])} reply attributes '
              'by the uapi numbers')

# 3. The events.
out = run_cli('--subscribe', 'events', '--output-json').strip()
if peer.groups != [GROUP_ID]:
    fail(f'--subscribe events joined {peer.groups}, not the family\'s "events" group')
got = json.loads(out) if out else None
want_ev = [{'name': n, 'msg': expected(ops[n]['event']['attributes'])}
           for n in ('event-create', 'event-release')]
if got != want_ev:
    fail(f'events: the CLI decoded {got}, want {want_ev}')
print(f'ok: cli.py --subscribe {uapi["group"][0]}: event-create and event-release '
      f'(commands {uapi["cmd"]["event-create"]}, {uapi["cmd"]["event-release"]}) decoded')
