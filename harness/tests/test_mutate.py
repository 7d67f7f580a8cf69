"""test_mutate.py -- the mutation sweep's own tests: which mutants harness/py/mutants.py makes
(and where it makes none), and harness/mutate end to end on the fixture lab 98-clamp, whose
tests miss its boundaries."""
import json
import os
import subprocess
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "harness" / "tests" / "fixtures"
OUT = ROOT / "out" / "selftest-mutate"
sys.path.insert(0, str(ROOT / "harness" / "py"))
import mutants  # noqa: E402

SOURCE = """\
/* a comment: if (a < b) return 1; */
#include <stdatomic.h>
#define LIMIT (1 + 2)
static int table[16] = {1, 2};

int
pick(int a, int b, _Atomic int *flag)
{
    assert(a < b);
    fprintf(stderr, "a < b: %d\\n", a + b);
    const char *text = "x < y && z";
    if (a < b && b > 0) {
        count(a);
        return a + 1;
    }
    atomic_store_explicit(flag, 1, memory_order_release);
    return 0;
}
"""


def sweep(*args):
    env = dict(os.environ, KEEL_LABS_DIR=str(FIX / "labs"), KEEL_REF_DIR=str(FIX / "reference"),
               KEEL_MUTANTS_DIR=str(FIX / "mutants"), KEEL_OUT=str(OUT))
    return subprocess.run([str(ROOT / "harness" / "mutate"), "98-clamp", *args], env=env,
                          capture_output=True, text=True, timeout=600)


class MutantsOfSource(unittest.TestCase):
    def setUp(self):
        self.found = mutants.mutants_of("pick.c", SOURCE)

    def lines_mutated(self):
        return {m.line for m in self.found}

    def test_only_code_in_function_bodies_is_mutated(self):
        # not the comment (1), the preprocessor (2-3), the file-scope table (4), the assert
        # (9), the message to stderr (10) or the string literal (11)
        self.assertEqual(self.lines_mutated(), {12, 13, 14, 16, 17})
        self.assertTrue(all(m.function == "pick" for m in self.found))

    def test_each_operator_makes_its_change(self):
        by_op = {}
        for m in self.found:
            by_op.setdefault(m.operator, set()).add(m.mutated_line.strip())
        self.assertIn("if (a <= b && b > 0) {", by_op["ror"])
        self.assertIn("if (a < b && b >= 0) {", by_op["ror"])
        self.assertIn("if (a < b || b > 0) {", by_op["lcr"])
        self.assertIn("return a - 1;", by_op["aor"])
        self.assertIn("return a + 2;", by_op["obo"])
        self.assertIn("return a + 0;", by_op["obo"])
        self.assertIn("if (!(a < b && b > 0)) {", by_op["neg"])
        self.assertIn(";", by_op["sdl"])
        self.assertIn("return 0;", by_op["ret"])
        self.assertIn("return 1;", by_op["ret"])
        self.assertIn("atomic_store_explicit(flag, 1, memory_order_relaxed);", by_op["mo"])

    def test_apply_changes_one_place(self):
        for m in self.found:
            after = m.apply(SOURCE)
            self.assertNotEqual(after, SOURCE, m.ident)
            self.assertEqual(after.count("\n"), SOURCE.count("\n"), m.ident)

    def test_ids_are_unique_and_survive_edits_elsewhere(self):
        ids = [m.ident for m in self.found]
        self.assertEqual(len(ids), len(set(ids)))
        moved = mutants.mutants_of("pick.c", "/* a new first line */\n" + SOURCE)
        self.assertEqual(sorted(ids), sorted(m.ident for m in moved))
        self.assertEqual({m.line + 1 for m in self.found}, {m.line for m in moved})


class SweepEndToEnd(unittest.TestCase):
    """98-clamp's tests never use a low bound other than 0 nor a value at a bound: the sweep
    must find `return low` replaced by `return 0` (a missing test) and the two boundary
    changes (equivalent; the fixture's survivors file explains one, and the compiler may make
    the same code of either)."""

    @classmethod
    def setUpClass(cls):
        cls.proc = sweep("--seed", "3")
        summary = OUT / "mutate" / "98-clamp" / "summary.json"
        cls.summary = json.loads(summary.read_text()) if summary.is_file() else None
        report = OUT / "mutate" / "98-clamp" / "survivors.txt"
        cls.survivors = report.read_text() if report.is_file() else ""

    def outcome(self, ident):
        return {o["id"]: o["status"] for o in self.summary["outcomes"]}[ident]

    def test_counts_and_exit_status(self):
        self.assertEqual(self.proc.returncode, 1, self.proc.stdout + self.proc.stderr)
        s = self.summary
        self.assertEqual((s["mutants"], s["tried"], s["killed"], s["stillborn"]), (7, 7, 4, 0))
        self.assertEqual(s["killed"] + s["survived"] + s["equivalent"] + s["stillborn"], 7)
        self.assertEqual(s["explained"] + s["unexplained"], s["survived"])

    def test_each_mutant_gets_its_outcome(self):
        # `return low` to `return 0` passes tests whose low bound is always 0: a missing test
        self.assertEqual(self.outcome("clamp.c:clamp:ret:a18e4e36"), "survived")
        # the boundary changes agree with the reference on every input: the compiler may see
        # that (the same object code, equivalent) or not (a survivor)
        for ident in ("clamp.c:clamp:ror:a4ef75bb", "clamp.c:clamp:ror:9392d20b"):
            self.assertIn(self.outcome(ident), ("survived", "equivalent"), ident)
        # negating a condition or returning 0 for a bound the tests use is caught
        self.assertEqual(self.outcome("clamp.c:clamp:neg:eb9dea86"), "killed")
        self.assertEqual(self.outcome("clamp.c:clamp:ret:ff57ffbe"), "killed")

    def test_unexplained_survivors_are_shown_with_their_diff(self):
        self.assertIn("clamp.c:clamp:ret:a18e4e36", self.survivors)
        self.assertIn("  - return low;\n  + return 0;", self.survivors)
        self.assertNotIn("clamp.c:clamp:ror:9392d20b", self.survivors)  # explained
        shown = "clamp.c:clamp:ror:a4ef75bb" in self.survivors
        self.assertEqual(shown, self.outcome("clamp.c:clamp:ror:a4ef75bb") == "survived")

    def test_a_sample_is_stated_and_the_seed_fixes_it(self):
        first = sweep("--max", "3", "--seed", "5", "--list")
        again = sweep("--max", "3", "--seed", "5", "--list")
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn("a sample of 3 (seed 5)", first.stdout)
        self.assertEqual(first.stdout, again.stdout)

    def test_unknown_file_is_a_usage_error(self):
        proc = sweep("--file", "nope.c", "--list")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("nope.c: not a source of 98-clamp's reference", proc.stderr)


if __name__ == "__main__":
    unittest.main()
