"""How far /proc/self/status's VmHWM is from the truth, on this machine's kernel.

PeakMeter (memsched.torch) and torch_bench.py measure peaks as VmHWM deltas. This maps n fresh
pages (n = 1..100), resets VmHWM (clear_refs), touches the pages, unmaps them and compares the
VmHWM delta with n pages: the error is the slack of the kernel's RSS counters (kept per CPU
since Linux 6.2 and read without summing them), plus whatever Python allocated meanwhile.

Run: /usr/bin/python3 python/bench/rss_slack.py [--samples 200] [--pin]
"""

import argparse
import mmap
import os

PAGE = mmap.PAGESIZE


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise SystemExit(f"rss_slack: no {field} in /proc/self/status")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--pin", action="store_true", help="run on CPU 0 only")
    args = parser.parse_args()
    if args.samples < 1:
        parser.error("--samples must be >= 1")
    if not os.access("/proc/self/clear_refs", os.W_OK):
        raise SystemExit("rss_slack: /proc/self/clear_refs is not writable here")
    if args.pin:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    errors = []
    for sample in range(args.samples):
        pages = 1 + (sample * 7) % 100
        region = mmap.mmap(-1, pages * PAGE)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = status("VmRSS:")
        for page in range(pages):
            region[page * PAGE] = 1
        region.close()
        errors.append(status("VmHWM:") - before - pages * PAGE)
    errors.sort()
    print(f"VmHWM delta - touched bytes over {args.samples} samples of 1-100 pages, "
          f"{os.cpu_count()} CPUs{' (pinned to one)' if args.pin else ''}, kernel "
          f"{os.uname().release}: min {errors[0] // 1024} KiB, median "
          f"{errors[len(errors) // 2] // 1024} KiB, max {errors[-1] // 1024} KiB")


if __name__ == "__main__":
    main()
