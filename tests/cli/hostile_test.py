#!/usr/bin/env python3
"""Hostile conditions around the memsched tool: full devices, FIFOs, interrupts, resumes.

Usage: hostile_test.py MEMSCHED DATA_DIR (run by ctest; plain unittest, no third-party module).
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

MEMSCHED = ""
DATA = ""


def run(args, stdout=subprocess.PIPE, timeout=60, **kwargs):
    env = dict(os.environ, MEMSCHED_PROGRESS="0")
    return subprocess.run([MEMSCHED] + args, stdout=stdout, stderr=subprocess.PIPE,
                          timeout=timeout, env=env, **kwargs)


class FullDevice(unittest.TestCase):
    """Every subcommand's output on /dev/full: exit 1 and one line, never 0 after losing it."""

    def commands(self):
        d = DATA
        return [
            ["plan", "revolve", "--steps", "100", "--ram", "5"],
            ["plan", "revolve", "--steps", "100", "--ram", "5", "--format", "json"],
            # A long stream stops at the first failed write instead of running on.
            ["plan", "revolve", "--steps", "10000000", "--ram", "5", "--format", "actions"],
            ["plan", "periodic", "--steps", "1000", "--ram", "40", "--format", "schedule"],
            ["plan", "revolve", "--steps", "50", "--ram", "5", "--format", "svg"],
            ["plan", "join", "--branches", "6,4", "--handle", "3", "--ram", "6"],
            ["simulate", os.path.join(d, "revolve_4_2.cs"), "--steps", "4", "--ram", "2"],
            ["tree", "traverse", os.path.join(d, "tree_six_node.txt")],
            ["tree", "parallel", os.path.join(d, "tree_six_node.txt"), "--procs", "2"],
            ["tree", "ooc", os.path.join(d, "tree_six_node.txt"), "--memory", "5"],
            ["tree", "random", "--nodes", "100000"],
            ["tree", "compare", os.path.join(d, "tree_six_node.txt")],
            ["hetero", "plan", os.path.join(d, "chain_a.json"), "--budget", "13", "--exact"],
            ["hetero", "curve", os.path.join(d, "chain_a.json"), "--exact"],
            ["run", "--steps", "200", "--ram", "4", "--disk", "0", "--check-steps", "50"],
            ["plan", "--help"],
            ["--version"],
        ]

    def test_every_command_fails_on_a_full_device(self):
        with open("/dev/full", "w") as full:
            for args in self.commands():
                with self.subTest(args=args):
                    start = time.monotonic()
                    r = run(args, stdout=full)
                    self.assertEqual(r.returncode, 1, r.stderr)
                    self.assertIn(b"cannot write the output", r.stderr)
                    self.assertEqual(r.stderr.count(b"\n"), 1, r.stderr)
                    self.assertLess(time.monotonic() - start, 20)

    def test_output_files_on_a_full_device(self):
        r = run(["run", "--steps", "200", "--ram", "4", "--disk", "0", "--check-steps", "50",
                 "--svg", "/dev/full"], stdout=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"cannot write '/dev/full'", r.stderr)
        r = run(["tree", "from-matrix", "--grid", "2d5:4x4", "-o", "/dev/full"])
        self.assertEqual(r.returncode, 1)
        self.assertTrue(b"cannot write '/dev/full'" in r.stderr or b"without CHOLMOD" in r.stderr,
                        r.stderr)


class Fifo(unittest.TestCase):
    def test_a_fifo_by_name_is_refused_without_waiting_for_a_writer(self):
        with tempfile.TemporaryDirectory() as folder:
            fifo = os.path.join(folder, "schedule")
            os.mkfifo(fifo)
            for args in (["simulate", fifo, "--steps", "4", "--ram", "2"],
                         ["tree", "traverse", fifo], ["hetero", "plan", fifo, "--budget", "9"]):
                with self.subTest(args=args):
                    r = run(args, timeout=10)
                    self.assertEqual(r.returncode, 1)
                    self.assertIn(b"not a regular file", r.stderr)

    def test_standard_input_is_read(self):
        with open(os.path.join(DATA, "revolve_4_2.cs"), "rb") as text:
            r = run(["simulate", "-", "--steps", "4", "--ram", "2"], stdin=text)
        self.assertEqual(r.returncode, 0, r.stderr)


class Interrupts(unittest.TestCase):
    """SIGINT / SIGTERM on `memsched run` remove its temporary checkpoint folder."""

    def interrupt(self, signal_number):
        env = dict(os.environ, MEMSCHED_PROGRESS="0")
        process = subprocess.Popen(
            [MEMSCHED, "run", "revolve", "--steps", "2000000", "--ram", "5", "--disk", "20"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        folder = os.path.join(tempfile.gettempdir(), "memsched-run-%d" % process.pid)
        deadline = time.monotonic() + 30
        while not os.path.isdir(folder) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(os.path.isdir(folder), "the run made no temporary folder")
        time.sleep(0.5)  # into the run
        process.send_signal(signal_number)
        try:
            _, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            self.fail("the run did not stop")
        self.assertEqual(process.returncode, 128 + signal_number, err)
        self.assertIn(b"interrupted by signal", err)
        self.assertFalse(os.path.exists(folder), "the temporary folder is left behind")

    def test_sigint_removes_the_temporary_folder(self):
        self.interrupt(signal.SIGINT)

    def test_sigterm_removes_the_temporary_folder(self):
        self.interrupt(signal.SIGTERM)

    def test_a_finished_run_leaves_no_folder(self):
        env = dict(os.environ, MEMSCHED_PROGRESS="0")
        process = subprocess.Popen([MEMSCHED, "run", "--steps", "300", "--ram", "3",
                                    "--disk", "4", "--check-steps", "50"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        process.communicate(timeout=60)
        self.assertEqual(process.returncode, 0)
        folder = os.path.join(tempfile.gettempdir(), "memsched-run-%d" % process.pid)
        self.assertFalse(os.path.exists(folder))

    def test_journal_and_resume(self):
        with tempfile.TemporaryDirectory() as folder:
            journal = os.path.join(folder, "journal")
            args = ["run", "revolve", "--steps", "4000", "--ram", "3", "--disk", "6",
                    "--check-steps", "100", "--disk-dir", os.path.join(folder, "disk"),
                    "--journal", journal, "--format", "json"]
            env = dict(os.environ, MEMSCHED_PROGRESS="0")
            process = subprocess.Popen([MEMSCHED] + args, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, env=env)
            # Interrupt once the journal exists: the reverse sweep has begun.
            deadline = time.monotonic() + 60
            while not os.path.exists(journal) and time.monotonic() < deadline:
                if process.poll() is not None:
                    break
                time.sleep(0.01)
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)
            self.assertEqual(process.returncode, 130)
            self.assertTrue(os.path.exists(journal))
            r = run(args + ["--resume"], timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertFalse(os.path.exists(journal))

    def test_resume_needs_a_journal(self):
        r = run(["run", "--resume"])
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--resume", r.stderr)


if __name__ == "__main__":
    MEMSCHED = os.path.abspath(sys.argv[1])
    DATA = os.path.abspath(sys.argv[2])
    unittest.main(argv=sys.argv[:1], verbosity=1)
