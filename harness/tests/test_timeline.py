"""Tests of harness/py/timeline.py: the drawing of a failed simulated run from its KEEL-TIMELINE
lines. Run with: python3 -m unittest discover -s harness/tests"""

import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "py"))
import timeline  # noqa: E402

OUTPUT = "\n".join([
    "[ RUN      ] test_x",
    "KEEL-TIMELINE\tnodes\t3\t42\t0",
    "KEEL-TIMELINE\t5\t1\tcandidate\t1\t0",
    "KEEL-TIMELINE\t7\t1\tleader\t1\t0",
    "KEEL-TIMELINE\t9\t2\tapplied\t0\t1",
    "KEEL-TIMELINE\t10\t1\tcrash\t0\t0",
    "KEEL-TIMELINE\t12\t3\tcut\t0\t0",
    "KEEL-TIMELINE\t20\t1\trestart\t0\t0",
    "KEEL-TIMELINE\t21\t2\tsnapshot\t0\t4",
    "KEEL-TIMELINE\t30\t0\tbroken\t0\t0",
    "KEEL-TIMELINE\tend\t30\ttick 30: nodes 1 and 2 both led term 3",
    "[  FAILED  ] test_x",
])


class Timeline(unittest.TestCase):
    def test_parse_reads_the_header_events_and_end(self):
        t = timeline.parse(OUTPUT)
        self.assertEqual((t.nodes, t.seed, t.from_tick, t.end_tick), (3, "42", 0, 30))
        self.assertEqual(len(t.events), 8)
        self.assertIn("both led term 3", t.why)
        self.assertIsNone(timeline.parse("[ RUN ] a test that printed no timeline"))

    def test_segments_follow_roles_crashes_and_cuts(self):
        blocks = [b.splitlines() for b in timeline.data_blocks(timeline.parse(OUTPUT)).split("\n\n\n")]
        roles, downs, cuts, labels, applied, snaps = blocks
        # Node 1: follower 0-5, candidate 5-7, leader 7-10, down 10-20, follower 20-30.
        self.assertIn("0 1 5 1", roles)
        self.assertIn("5 1 2 2", roles)
        self.assertIn("7 1 3 3", roles)
        self.assertIn("20 1 10 1", roles)
        self.assertEqual(downs, ["10 1 10"])
        self.assertEqual(cuts, ["12 3 18"])  # never joined again: cut to the end
        self.assertEqual(labels, ["7 1 T1"])
        self.assertEqual((applied, snaps), (["9 2 1"], ["21 2 4"]))

    @unittest.skipUnless(shutil.which("gnuplot"), "gnuplot is not installed")
    def test_draw_writes_png_and_svg(self):
        with tempfile.TemporaryDirectory() as d:
            png = timeline.draw_from_output(OUTPUT, "lab test_x, seed 42", Path(d) / "x")
            self.assertTrue(png.is_file() and png.stat().st_size > 1000)
            self.assertTrue((Path(d) / "x.svg").is_file())


if __name__ == "__main__":
    unittest.main()
