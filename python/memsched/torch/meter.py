"""PeakMeter: the process's peak resident memory, resettable from inside the process."""

import ctypes
import os


def _tensor_bytes(tensor):
    return tensor.numel() * tensor.element_size()


def _storage_key(tensor):
    storage = tensor.storage()
    return storage.data_ptr(), storage.nbytes()


class PeakMeter:
    """The process's peak resident memory (Linux VmHWM), resettable from inside the process.

    ``reset()`` writes 5 to /proc/self/clear_refs; ``peak()`` and ``rss()`` read VmHWM and
    VmRSS from /proc/self/status, in bytes. ``available`` is False elsewhere (then temporaries
    are not measured). Reliable only if glibc returns large blocks to the system at once:
    ``tune_malloc()`` sets M_MMAP_THRESHOLD to 64 KiB (what MALLOC_MMAP_THRESHOLD_=65536
    does), process-wide and for good (docs/theory/heterogeneous.md, 'Measuring memory on a
    CPU').

    Blocks freed before that (glibc raises its threshold after freeing a large mapped block,
    so later ones of that size come from the heap and stay resident when freed) are reused
    without new pages, so ``reset()`` first hands free heap pages back (malloc_trim): reusing
    them then shows in RSS as new memory does (docs/torch.md, "How it works"). The trim walks
    the heap's free chunks, so it takes longer the more fragmented the heap (four resets per
    stage profiled).

    The kernel's RSS counters (per CPU since Linux 6.2, read without summing them) leave a
    slack under the pages touched, so temporaries much smaller than a MiB blur (measured by
    python/bench/rss_slack.py: docs/benchmarks.md).
    """

    def __init__(self):
        self.available = os.access("/proc/self/clear_refs", os.W_OK) and os.path.exists(
            "/proc/self/status")
        try:
            self._trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            self._trim = None

    @staticmethod
    def tune_malloc(threshold=65536):
        try:
            libc = ctypes.CDLL("libc.so.6")
        except OSError:
            return False
        return bool(libc.mallopt(-3, threshold))  # -3 = M_MMAP_THRESHOLD

    def reset(self):
        if self._trim is not None:
            self._trim(0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")

    @staticmethod
    def _status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(f"PeakMeter: no {field} in /proc/self/status")

    def peak(self):
        return self._status("VmHWM:")

    def rss(self):
        return self._status("VmRSS:")


# ---- profiling -----------------------------------------------------------------------------
