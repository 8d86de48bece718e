#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""libiobmd from Python through ctypes: open the device, make a buffer,
write bytes into it and read them back.

    LD_LIBRARY_PATH=build/userlib python3 userlib/examples/ctypes_example.py [DEVICE]

Exit status: 0 done, 2 the device is absent (no module loaded: the C API's
-ENOENT, reported as "iobmd: /dev/iobmd: No such file or directory"),
1 any other error.
"""
import ctypes
import errno
import os
import sys

IOBMD_DIRECTION_INOUT = 0x3

lib = ctypes.CDLL("libiobmd.so.1")
dev_p = ctypes.c_void_p
u32, u64 = ctypes.c_uint32, ctypes.c_uint64
lib.iobmd_dev_open.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.POINTER(dev_p)]
lib.iobmd_dev_close.argtypes = [dev_p]
lib.iobmd_dev_close.restype = None
lib.iobmd_buffer_create.argtypes = [dev_p, u32, u64, u64, ctypes.POINTER(u32)]
lib.iobmd_write.argtypes = [dev_p, u32, u64, ctypes.c_void_p, u64, ctypes.POINTER(u64)]
lib.iobmd_read.argtypes = [dev_p, u32, u64, ctypes.c_void_p, u64, ctypes.POINTER(u64)]
lib.iobmd_release.argtypes = [dev_p, u32]


def check(ret, what):
    """Every call answers 0 or a negative errno."""
    if ret < 0:
        raise OSError(-ret, f"{what}: {os.strerror(-ret)}")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/dev/iobmd"
    dev = dev_p()
    ret = lib.iobmd_dev_open(path.encode(), 0, ctypes.byref(dev))
    if ret:
        print(f"iobmd: {path}: {os.strerror(-ret)}", file=sys.stderr)
        return 2 if ret == -errno.ENOENT else 1
    try:
        handle = u32()
        check(lib.iobmd_buffer_create(dev, IOBMD_DIRECTION_INOUT, 4096, 0,
                                      ctypes.byref(handle)), "iobmd_buffer_create")
        data = b"bytes through libiobmd"
        done = u64()
        check(lib.iobmd_write(dev, handle, 100, data, len(data), ctypes.byref(done)),
              "iobmd_write")
        back = ctypes.create_string_buffer(len(data))
        check(lib.iobmd_read(dev, handle, 100, back, len(data), ctypes.byref(done)),
              "iobmd_read")
        if back.raw != data:
            print(f"iobmd: read back {back.raw!r}, wrote {data!r}", file=sys.stderr)
            return 1
        print(f"iobmd: buffer {handle.value}: wrote and read back {done.value} bytes")
        check(lib.iobmd_release(dev, handle), "iobmd_release")
    except OSError as e:
        print(f"iobmd: {e.strerror}", file=sys.stderr)
        return 1
    finally:
        lib.iobmd_dev_close(dev)
    return 0


if __name__ == "__main__":
    sys.exit(main())
