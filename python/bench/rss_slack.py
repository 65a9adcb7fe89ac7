"""How far /proc/self/status's VmHWM is from the truth, on this machine's kernel.

PeakMeter (memsched.torch) and torch_bench.py measure peaks as VmHWM deltas. This maps n fresh
pages (n = 1..100), resets the meter, touches the pages, unmaps them and compares PeakMeter's
peak delta with n pages: the error is the slack of the kernel's RSS counters (kept per CPU
since Linux 6.2 and read without summing them), plus whatever Python allocated meanwhile.

Run: PYTHONPATH=build/release/python /usr/bin/python3 python/bench/rss_slack.py \
         [--samples 200] [--pin]
"""

import argparse
import mmap
import os

from memsched.torch import PeakMeter

PAGE = mmap.PAGESIZE


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--pin", action="store_true", help="run on CPU 0 only")
    args = parser.parse_args()
    if args.samples < 1:
        parser.error("--samples must be >= 1")
    meter = PeakMeter()
    if not meter.available:
        raise SystemExit("rss_slack: /proc/self/clear_refs is not writable here")
    if args.pin:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    errors = []
    for sample in range(args.samples):
        pages = 1 + (sample * 7) % 100
        region = mmap.mmap(-1, pages * PAGE)
        meter.reset()
        before = meter.rss()
        for page in range(pages):
            region[page * PAGE] = 1
        region.close()
        errors.append(meter.peak() - before - pages * PAGE)
    errors.sort()
    print(f"VmHWM delta - touched bytes over {args.samples} samples of 1-100 pages, "
          f"{os.cpu_count()} CPUs{' (pinned to one)' if args.pin else ''}, kernel "
          f"{os.uname().release}: min {errors[0] // 1024} KiB, median "
          f"{errors[len(errors) // 2] // 1024} KiB, max {errors[-1] // 1024} KiB")


if __name__ == "__main__":
    main()
