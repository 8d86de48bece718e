#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn iobmd_bench's JSON into bench/results.json, a chart and a table.

report.py --guest GUEST.json [--guest GUEST2.json] --out DIR [--name NAME]
          [--vm-seconds N] [--qemu TEXT] [--accel TEXT] [--cpu MODEL]

A second guest's JSON (W1 booted with init_on_alloc=0) joins the first's:
its results, ratios and targets, whose names say how it was booted.  Adds a "host" object (date, QEMU, host CPU) to the JSON the guest printed
and writes DIR/NAME.json (NAME: results); draws DIR/NAME.png with gnuplot
(bench/chart.gp): the target ratios against their limits, W1's mapping
and unmapping phases by size, and the W1
ratios by size; prints the targets, every case and every ratio as text
tables (the Markdown of the first two is what bench/README.md shows).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def size_name(n):
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1 << 10 and n % (1 << 10) == 0:
        return f"{n >> 10} KiB"
    return f"{n} B"


def fmt_ns(ns):
    """A duration in the unit that suits it."""
    if ns is None:
        return "-"
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.1f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} us"
    return f"{ns:.0f} ns"


def host_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def find(data, workload, op, peer, size):
    for r in data["results"]:
        if (r["workload"], r["op"], r["peer"], r["size"]) == (workload, op, peer, size):
            return r
    return None


def ratio_name(r):
    peer = r["peer"] if r["peer_op"] == r["op"] else f'{r["peer"]} {r["peer_op"]}'
    what = {"w1": "", "w2": "", "w5": "", "w6": "", "w7": "", "w9": "", "w8": r["op"] + " per descriptor, "}.get(r["workload"], r["op"] + " ")
    subj = "" if r["subject"] == "iobmd" else r["subject"] + " "
    return f'{r["workload"].upper()} {what}{size_name(r["size"])} {subj}vs {peer}'


def table(rows, header):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [line(header), "| " + " | ".join("-" * w for w in widths) + " |"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def paired_text(r):
    p = r["paired"]
    return f'{p["median"]:.2f} ({p["min"]:.2f}-{p["max"]:.2f})'


def target_rows(data):
    rows = []
    for t in data["targets"]:
        a = find(data, t["workload"], t["op"], t["subject"], t["size"])
        b = find(data, t["workload"], t["peer_op"], t["peer"], t["size"])
        med = lambda r: fmt_ns(r["time"]["median"]) if r and "time" in r else "-"
        if t["ratio"] is None:
            ratio, paired, met = "n/a", "", "n/a (" + t.get("unavailable", "") + ")"
        else:
            ratio = f'{t["ratio"]:.2f}'
            paired = paired_text(t)
            met = "met" if t["met"] else "**missed**"
        rows.append([ratio_name(t), med(a), med(b), ratio, paired, f'<= {t["limit"]:.2f}', met])
    return rows


def case_rows(data):
    rows = []
    for r in data["results"]:
        name = f'{r["workload"].upper()} {r["op"]}'
        if "time" not in r:
            rows.append([name, size_name(r["size"]), r["peer"], "unavailable: " + r["unavailable"],
                         "", "", "", ""])
            continue
        t = r["time"]
        phases = " ".join(f"{k} {fmt_ns(v['median'])}" for k, v in r.get("phases", {}).items())
        faults = f'{r["faults"]:.0f}' if "faults" in r else ""
        rows.append([name, size_name(r["size"]), r["peer"], fmt_ns(t["median"]),
                     f'{fmt_ns(t["q1"])} - {fmt_ns(t["q3"])}',
                     f'{fmt_ns(t["min"])} - {fmt_ns(t["max"])}', len(t["samples"]),
                     phases + (f"; faults {faults}" if faults else "")])
    return rows


def ratio_rows(data):
    rows = []
    for r in data["ratios"]:
        if r["ratio"] is None:
            rows.append([ratio_name(r), "n/a", "", "", "", r.get("unavailable", "")])
            continue
        lim = f'<= {r["limit"]:.2f}' if "limit" in r else ""
        met = ("met" if r["met"] else "missed") if "limit" in r else ""
        rows.append([ratio_name(r), f'{r["ratio"]:.2f}', paired_text(r),
                     f'{r["ratio_q1q3_lo"]:.2f}-{r["ratio_q1q3_hi"]:.2f}', lim, met])
    return rows


def chart(data, png):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("report.py: no gnuplot; no chart", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory() as tmp:
        tfile = os.path.join(tmp, "targets.dat")
        with open(tfile, "w") as f:
            for i, t in enumerate(data["targets"]):
                if t["ratio"] is None:
                    continue
                label = ratio_name(t).replace(" vs ", "\\nvs ")
                p = t["paired"]
                f.write(f'{i} "{label}" {t["ratio"]} {p["min"]} '
                        f'{p["max"]} {t["limit"]} {1 if t["met"] else 0}\n')
        w1file = os.path.join(tmp, "w1.dat")
        series = [("iobmd", "dma-heap"), ("iobmd", "anon"), ("iobmd", "udmabuf"),
                  ("iobmd-mask32", "dma-heap")]
        with open(w1file, "w") as f:
            for subj, peer in series:
                f.write(f'# {subj}/{peer}\n')
                for r in data["ratios"]:
                    if (r["workload"] == "w1" and r["subject"] == subj and r["peer"] == peer
                            and r["ratio"] is not None):
                        f.write(f'{r["size"] / 1024} {r["ratio"]}\n')
                f.write("\n\n")
        # The mapping and unmapping phases of W1, by size: one block per
        # peer and phase of "KiB microseconds" lines.  Mapping is mmap and
        # the first touch of every page (sum of the two medians): iobmd
        # and the heaps insert pages at mmap, anonymous memory at the
        # touch's faults; unmapping is munmap and the release (anonymous
        # memory's munmap is its release).
        phfile = os.path.join(tmp, "phases.dat")
        ph_series = []
        with open(phfile, "w") as f:
            for peer in ("iobmd", "anon", "dma-heap", "udmabuf"):
                for phase in ("map", "unmap"):
                    parts = ("map", "touch") if phase == "map" else ("unmap", "free")
                    pts = sorted((r["size"], sum(r["phases"][k]["median"] for k in parts))
                                 for r in data["results"]
                                 if r["workload"] == "w1" and r["peer"] == peer
                                 and all(k in r.get("phases", {}) for k in parts))
                    if not pts:
                        continue
                    ph_series.append((peer, phase))
                    f.write(f'# {peer} {phase}\n')
                    for size, ns in pts:
                        f.write(f'{size / 1024} {ns / 1000}\n')
                    f.write("\n\n")
        title = (f'iobmd / peer, median time (lower is better): Linux {data["kernel"]["release"]}, '
                 f'{data["guest"]["cpus"]} CPUs, {data["guest"]["ram_bytes"] / 2**30:.1f} GiB, '
                 f'QEMU {data["host"].get("accel", "")} -cpu {data["host"].get("qemu_cpu", "")}')
        cmd = [gnuplot, "-e", f'targets="{tfile}"; w1="{w1file}"; out="{png}"; '
               f'heading="{title}"; nseries={len(series)}; '
               + "; ".join(f'sname{i}="{s}/{p}"' for i, (s, p) in enumerate(series))
               + f'; phases="{phfile}"; nphases={len(ph_series)}; '
               + "; ".join(f'pname{i}="{s} {"mmap + touch" if p == "map" else "munmap + release"}"; pdash{i}={1 if p == "map" else 2}'
                           for i, (s, p) in enumerate(ph_series)),
               os.path.join(HERE, "chart.gp")]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            print(res.stderr, file=sys.stderr)
            return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--guest", required=True, action="append",
                    help="a guest's JSON; again for a run booted otherwise (its "
                    "names carry how), whose results, ratios and targets join the first's")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="results",
                    help="the files' name: NAME.json and NAME.png in --out")
    ap.add_argument("--vm-seconds", type=int)
    ap.add_argument("--qemu", default="")
    ap.add_argument("--accel", default="")
    ap.add_argument("--cpu", default="")
    args = ap.parse_args()

    data = None
    for path in args.guest:
        with open(path) as f:
            more = json.load(f)
        if data is None:
            data = more
            data["variants"] = [more.get("variant", "")]
            continue
        data["variants"].append(more.get("variant", ""))
        data["seconds"] += more["seconds"]
        for key in ("errors", "results", "ratios", "targets"):
            data[key] += more[key]
        for key in ("met", "missed", "unavailable"):
            data["target_summary"][key] += more["target_summary"][key]
    data["host"] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "qemu": args.qemu,
        "accel": args.accel,
        "qemu_cpu": args.cpu,
        "cpu_model": host_cpu(),
        "cpus": os.cpu_count(),
        "vm_seconds": args.vm_seconds,
    }
    os.makedirs(args.out, exist_ok=True)
    out_json = os.path.join(args.out, args.name + ".json")
    with open(out_json, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    png = os.path.join(args.out, args.name + ".png")
    drew = chart(data, png)

    g = data["guest"]
    print(f'Linux {data["kernel"]["release"]}, guest {g["cpus"]} CPUs and '
          f'{g["ram_bytes"] / 2**30:.1f} GiB ({g["cpu_model"]}; copy features: '
          f'{g.get("cpu_copy_features", "")}), {args.qemu} ({args.accel}, -cpu {args.cpu}) on '
          f'{data["host"]["cpus"]} host CPUs ({data["host"]["cpu_model"]}); '
          f'guest ran {data["seconds"]:.0f} s')
    print()
    print("Targets: iobmd time / peer time; ratio of the medians, and the median "
          "(min-max) of the ratios within each round")
    print(table(target_rows(data),
                ["target", "iobmd", "peer", "ratio", "per round", "limit", "result"]))
    s = data["target_summary"]
    print(f'{s["met"]} met, {s["missed"]} missed, {s["unavailable"]} unavailable')
    print()
    print("Every case: time per operation")
    print(table(case_rows(data), ["workload", "size", "peer", "median", "quartiles", "min - max",
                                  "n", "phases (medians)"]))
    print()
    print("Every ratio: iobmd / peer")
    print(table(ratio_rows(data), ["ratio", "of medians", "per round: median (min-max)",
                                   "quartiles crossed", "limit", "result"]))
    print()
    print(f"wrote {out_json}" + (f" and {png}" if drew else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
