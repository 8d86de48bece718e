#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# nvme-pattern.py fill FILE SIZE | check FILE
#
# The host's half of the NVMe example (userlib/examples/nvme_vfio.cpp),
# which reads and writes the namespace QEMU backs with FILE
# (scripts/vm-run.sh --nvme FILE):
#   fill   makes FILE SIZE bytes long (a number, or with a K or M suffix),
#          every 8-byte little-endian word the host pattern: its byte
#          offset XOR HOST_KEY;
#   check  reads FILE back after the guest ran: the bytes the example
#          writes, [WRITE_OFFSET, WRITE_OFFSET + WRITE_LENGTH), must hold
#          the guest pattern (offset XOR GUEST_KEY), every other word the
#          host pattern still.  Prints what differs and exits 1 then.
# The keys and the written range are the example's (kHostKey, kGuestKey,
# kWriteOffset, kWriteLength): change them together.
import struct
import sys

HOST_KEY = 0x686F73742D6E766D
GUEST_KEY = 0x67756573742D7772
WRITE_OFFSET = 3 << 20
WRITE_LENGTH = 44 << 10
CHUNK = 1 << 20


def words(start, count, key):
    """count little-endian words of the pattern @key from byte @start."""
    return struct.pack("<%dQ" % count,
                       *((start + 8 * i) ^ key for i in range(count)))


def expected(start, length):
    """What FILE should hold at [start, start + length) after the run."""
    out = bytearray(words(start, length // 8, HOST_KEY))
    lo = max(start, WRITE_OFFSET)
    hi = min(start + length, WRITE_OFFSET + WRITE_LENGTH)
    if lo < hi:
        out[lo - start:hi - start] = words(lo, (hi - lo) // 8, GUEST_KEY)
    return bytes(out)


def size_arg(text):
    scale = {"K": 1 << 10, "M": 1 << 20}.get(text[-1:].upper(), 1)
    value = int(text[:-1] if scale != 1 else text, 0) * scale
    if value <= 0 or value % CHUNK:
        sys.exit("nvme-pattern: SIZE must be a positive multiple of 1 MiB")
    if value < WRITE_OFFSET + WRITE_LENGTH:
        sys.exit("nvme-pattern: SIZE must cover the range the example writes")
    return value


def fill(path, size):
    with open(path, "wb") as f:
        for at in range(0, size, CHUNK):
            f.write(words(at, CHUNK // 8, HOST_KEY))


def check(path):
    bad = []
    with open(path, "rb") as f:
        at = 0
        while True:
            got = f.read(CHUNK)
            if not got:
                break
            if len(got) % 8:
                sys.exit("nvme-pattern: %s: not a whole number of words" % path)
            want = expected(at, len(got))
            if got != want:
                for i in range(0, len(got), 8):
                    if got[i:i + 8] != want[i:i + 8]:
                        bad.append(at + i)
            at += len(got)
    if at < WRITE_OFFSET + WRITE_LENGTH:
        print("nvme-pattern: %s: %d bytes, shorter than the range written" % (path, at))
        return 1
    if bad:
        print("nvme-pattern: %s: %d word(s) differ, the first at offset 0x%x, the last at 0x%x"
              " (the guest writes [0x%x, 0x%x))" % (path, len(bad), bad[0], bad[-1],
                                                   WRITE_OFFSET, WRITE_OFFSET + WRITE_LENGTH))
        return 1
    print("nvme-pattern: %s: [0x%x, 0x%x) holds the guest's pattern, the other %d bytes the host's"
          % (path, WRITE_OFFSET, WRITE_OFFSET + WRITE_LENGTH, at - WRITE_LENGTH))
    return 0


def main(argv):
    if len(argv) == 3 and argv[0] == "fill":
        fill(argv[1], size_arg(argv[2]))
        return 0
    if len(argv) == 2 and argv[0] == "check":
        return check(argv[1])
    sys.exit("usage: nvme-pattern.py fill FILE SIZE | check FILE")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
