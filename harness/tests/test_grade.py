"""test_grade.py -- the harness's own tests: the C runner's isolation, the grader's reports
(table, Gradescope JSON, JUnit XML, gradebook), rubric parsing, NEEDS/DEPS, resource limits.
Everything runs against the fixture labs in harness/tests/fixtures, never the real labs."""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path
from xml.etree import ElementTree as ET

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "harness" / "tests" / "fixtures"
OUT = ROOT / "out" / "selftest"
ENV = dict(os.environ, KEEL_LABS_DIR=str(FIX / "labs"), KEEL_REF_DIR=str(FIX / "reference"),
           KEEL_OUT=str(OUT))
sys.path.insert(0, str(ROOT / "harness" / "py"))
import keelkit  # noqa: E402


def make(*args):
    subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT),
                    f"KEEL_LABS_DIR={FIX / 'labs'}", f"KEEL_REF_DIR={FIX / 'reference'}",
                    f"OUT={OUT}", *args], check=True, capture_output=True, text=True)


def grade(*args):
    return subprocess.run([str(ROOT / "harness" / "grade"), "-q", *args], env=ENV,
                          capture_output=True, text=True, timeout=600)


def results_of(stdout):
    rows = {}
    for line in stdout.splitlines():
        if line.startswith("KEEL-RESULT\t"):
            fields = line.split("\t")
            rows[fields[1]] = fields[2:]
    return rows


class RunnerIsolation(unittest.TestCase):
    """The C runner, run directly: each kind of misbehaviour gets its own status."""

    @classmethod
    def setUpClass(cls):
        make("build", "LAB=90-runner", "IMPL=reference")
        cls.binary = OUT / "build" / "reference" / "90-runner" / "tests" / "test_a_runner"
        proc = subprocess.run([str(cls.binary)], capture_output=True, text=True, timeout=120)
        cls.stdout = proc.stdout
        cls.returncode = proc.returncode
        cls.rows = results_of(proc.stdout)

    def status(self, name):
        return self.rows[name][0], self.rows[name][1]

    def test_every_test_reports_exactly_once(self):
        listed = subprocess.run([str(self.binary), "--list"], capture_output=True, text=True).stdout.split()
        self.assertEqual(sorted(listed), sorted(self.rows))
        self.assertEqual(self.returncode, 1)

    def test_pass_fail_and_message(self):
        self.assertEqual(self.status("test_a_passes"), ("PASS", "-"))
        self.assertEqual(self.status("test_a_fails_with_message"), ("FAIL", "-"))
        self.assertIn("test_a_runner.c:", self.rows["test_a_fails_with_message"][4])
        self.assertIn("the answer was 4, expected 5", self.rows["test_a_fails_with_message"][4])

    def test_crashes_carry_their_signal(self):
        self.assertEqual(self.status("test_a_segfaults"), ("CRASH", "SIGSEGV"))
        self.assertEqual(self.status("test_a_aborts"), ("CRASH", "SIGABRT"))

    def test_hang_times_out_at_the_rubric_timeout(self):
        self.assertEqual(self.status("test_a_hangs")[0], "TIMEOUT")
        elapsed_ms = int(self.rows["test_a_hangs"][2])
        self.assertGreaterEqual(elapsed_ms, 1000)
        self.assertLess(elapsed_ms, 5000)  # the rubric says 1 s, the default would be 10 s

    def test_early_exit_zero_is_not_a_pass(self):
        self.assertEqual(self.status("test_a_exits_early")[0], "FAIL")
        self.assertIn("exited with status 0", self.rows["test_a_exits_early"][4])

    def test_assertion_off_the_test_thread_is_named_as_a_cause(self):
        # cmocka exits from that thread without printing its message: the runner says why.
        self.assertEqual(self.status("test_a_fails_in_a_thread"), ("FAIL", "-"))
        failure = self.rows["test_a_fails_in_a_thread"][4]
        self.assertIn("exited with status 255", failure)
        self.assertIn("a cmocka assertion that failed on a thread other than the test's own",
                      failure)

    def test_forking_tests_neither_confuse_nor_hold_the_runner(self):
        self.assertEqual(self.status("test_a_forks_and_returns")[0], "PASS")
        self.assertEqual(self.status("test_a_forks_a_sleeper")[0], "PASS")
        self.assertLess(int(self.rows["test_a_forks_a_sleeper"][2]), 2000)

    def test_seed_reaches_the_test_and_is_printed_for_replay(self):
        self.assertEqual(self.status("test_a_fails_on_seed_777")[0], "PASS")
        proc = subprocess.run([str(self.binary), "--run", "test_a_fails_on_seed_777", "--seed", "777"],
                              capture_output=True, text=True)
        row = results_of(proc.stdout)["test_a_fails_on_seed_777"]
        self.assertEqual((row[0], row[3]), ("FAIL", "777"))
        self.assertIn("--run test_a_fails_on_seed_777 --seed 777", proc.stdout)

    def test_inconclusive_is_never_a_pass_and_tries_the_next_seeds(self):
        row = self.rows["test_a_never_reaches_its_case"]
        self.assertEqual(row[0], "INCONCLUSIVE")
        self.assertIn("not checked: the network never lost a message", row[4])
        self.assertEqual(self.stdout.count("test_a_never_reaches_its_case with seed"), 3)
        proc = subprocess.run([str(self.binary), "--run", "test_a_reaches_its_case_on_some_seeds",
                               "--seed", "7"], capture_output=True, text=True)
        row = results_of(proc.stdout)["test_a_reaches_its_case_on_some_seeds"]
        self.assertEqual((row[0], row[3]), ("PASS", "9"))  # 7 and 8 inconclusive, 9 decides
        self.assertEqual(proc.returncode, 0)

    def test_byte_mismatch_shows_escaped_streams_and_the_difference(self):
        self.assertEqual(self.status("test_a_bytes_differ")[0], "FAIL")
        for text in ('sent:     "GET k\\r\\n"', 'expected: "$1\\r\\nv\\r\\n"', "^ first difference"):
            self.assertIn(text, self.stdout)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to run as nobody with a process limit")
    def test_fork_refused_is_an_error_not_a_verdict(self):
        # As nobody with a process limit of 1, the runner cannot fork: it retries, then
        # reports ERROR (the machine's fault), never PASS, FAIL or CRASH.
        import pwd
        import resource
        nobody = pwd.getpwnam("nobody")

        def limit():
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            resource.setrlimit(resource.RLIMIT_NPROC, (1, 1))
        proc = subprocess.run([str(self.binary), "--run", "test_a_passes"], capture_output=True,
                              text=True, preexec_fn=limit, cwd="/tmp", timeout=60)
        row = results_of(proc.stdout)["test_a_passes"]
        self.assertEqual(row[0], "ERROR")
        self.assertIn("could not run the test: fork", row[4])

    def test_unknown_test_name_is_a_usage_error(self):
        proc = subprocess.run([str(self.binary), "--run", "no_such_test"], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn("no test named 'no_such_test'", proc.stderr)


class Rubric(unittest.TestCase):
    def parse(self, text):
        with tempfile.NamedTemporaryFile("w", suffix="rubric", delete=False) as f:
            f.write(text)
        try:
            return keelkit.parse_rubric(f.name)
        finally:
            os.unlink(f.name)

    def test_parts_points_limits_and_visibility(self):
        r = self.parse("part A a-anchor The A part\npart B b Bee\n"
                       "test t1 A 2 5 visible  # comment\ntest t2 B 3.5 1 hidden\nlimit nofile 20000\n")
        self.assertEqual(r.max_points, 5.5)
        self.assertEqual(r.parts["A"].title, "The A part")
        self.assertEqual(r.test("t2").visibility, "hidden")
        self.assertEqual(r.limits, {"nofile": 20000})

    def test_errors_name_file_and_line(self):
        cases = {"part A a A\ntest t1 C 2 5 visible\n": "names part C",
                 "part A a A\ntest t1 A 2 5 public\n": "visibility must be",
                 "part A a A\ntest t1 A two 5 visible\n": "must be numbers",
                 "part A a A\ntest t1 A 2 5 visible\ntest t1 A 2 5 visible\n": "listed twice",
                 "part A a A\nbogus line\n": "cannot read",
                 "part A a A\n": "lists no tests"}
        for text, message in cases.items():
            with self.assertRaises(keelkit.KitError) as ctx:
                self.parse(text)
            self.assertIn(message, str(ctx.exception))


class Grader(unittest.TestCase):
    """harness/grade on the fixture lab 91-adder and its fixture submissions."""

    def grade_json(self, impl, *extra):
        with tempfile.TemporaryDirectory() as tmp:
            proc = grade("91-adder", "--impl", impl, "--json", f"{tmp}/r.json",
                         "--junit", f"{tmp}/j.xml", *extra)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            return proc, json.loads(Path(f"{tmp}/r.json").read_text()), \
                ET.parse(f"{tmp}/j.xml").getroot()

    def test_reference_full_marks_and_gradescope_schema(self):
        proc, results, junit = self.grade_json("reference")
        self.assertIn("TOTAL 91-adder: 10/10", proc.stdout)
        self.assertEqual((results["score"], results["max_score"]), (10, 10))
        for t in results["tests"]:
            self.assertEqual(set(t) >= {"name", "score", "max_score", "output", "visibility"}, True)
            self.assertIn(t["visibility"], ("visible", "hidden", "after_due_date"))
        visibilities = sorted(t["visibility"] for t in results["tests"])
        self.assertEqual(visibilities, ["after_due_date", "hidden", "visible"])
        suite = junit.find("testsuite")
        self.assertEqual((suite.get("tests"), suite.get("failures"), suite.get("errors")), ("3", "0", "0"))

    def test_skeleton_scores_zero_with_every_test_listed(self):
        proc, results, junit = self.grade_json("labs")
        self.assertIn("TOTAL 91-adder: 0/10", proc.stdout)
        self.assertEqual(len(results["tests"]), 3)
        self.assertTrue(all(t["score"] == 0 for t in results["tests"]))
        self.assertEqual(junit.find("testsuite").get("failures"), "3")
        self.assertIn("replay:     make grade LAB=91-adder IMPL=labs TEST=test_a_adds_small SEED=", proc.stdout)
        self.assertIn("read:       labs/91-adder/README.md#part-a-positive", proc.stdout)

    def test_misbehaving_submissions_get_clean_reports(self):
        expected = {"loops": "TIMEOUT", "segfaults": "CRASH(SIGSEGV)", "bigfile": "CRASH(SIGXFSZ)",
                    "forkbomb": "TIMEOUT", "nocompile": "NOT-BUILT"}
        for name, status in expected.items():
            with self.subTest(submission=name):
                proc = grade("91-adder", "--impl", str(FIX / "submissions" / name), "--test", "test_a_adds_small")
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertIn(status, proc.stdout)
                self.assertIn("TOTAL 91-adder: 0/2", proc.stdout)
                self.assertNotIn("Traceback", proc.stdout + proc.stderr)
        proc = grade("91-adder", "--impl", str(FIX / "submissions" / "nocompile"))
        self.assertIn("BUILD FAILED", proc.stdout)
        self.assertIn("adder.c:6:17: error: expected", proc.stdout)

    def test_batch_writes_one_gradebook_row_per_submission(self):
        with tempfile.TemporaryDirectory() as tmp:
            subs = [str(FIX / "submissions" / n) for n in ("partA", "nocompile")] + \
                [str(FIX / "reference" / "91-adder")]
            proc = grade("91-adder", "--batch", *subs, "--gradebook", f"{tmp}/book.csv")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            with open(f"{tmp}/book.csv") as f:
                rows = list(csv.DictReader(f))
        self.assertEqual([r["submission"] for r in rows], subs)
        self.assertEqual([(r["part_A"], r["part_B"], r["total"]) for r in rows],
                         [("5", "0", "5"), ("0", "0", "0"), ("5", "5", "10")])
        self.assertEqual(rows[1]["build"], "failed")

    def test_repeat_reports_pass_rate_and_part_filter(self):
        proc = grade("91-adder", "--impl", str(FIX / "submissions" / "partA"), "--repeat", "3", "--part", "B")
        self.assertIn("test_b_adds_negative", proc.stdout)
        self.assertNotIn("test_a_adds_small", proc.stdout)
        self.assertIn("passed 0 of 3 runs; failing seeds:", proc.stdout)

    def test_sanitizer_builds_grade_the_reference_at_full_marks(self):
        for sanitizer in ("thread", "undefined"):
            proc = grade("91-adder", "--impl", "reference", "--sanitize", sanitizer)
            self.assertIn("TOTAL 91-adder: 10/10", proc.stdout, sanitizer + proc.stderr)
            self.assertIn(f"sanitize={sanitizer}", proc.stdout)

    def test_libharness_own_tests_pass_plain_and_under_asan(self):
        # rng, histogram, CSV and JSON, loopback and process control (fixtures/labs/93-libharness).
        for extra in ((), ("--sanitize", "address")):
            proc = grade("93-libharness", "--impl", "reference", *extra)
            self.assertIn("TOTAL 93-libharness: 13/13", proc.stdout, proc.stdout + proc.stderr)

    def test_faultfs_own_tests_pass_plain_and_under_sanitizers(self):
        # crash images, torn prefixes, injected faults, the trace and its cap (fixtures/labs/95-faultfs).
        for extra in ((), ("--sanitize", "address"), ("--sanitize", "thread")):
            proc = grade("95-faultfs", "--impl", "reference", *extra)
            self.assertIn("TOTAL 95-faultfs: 8/8", proc.stdout, proc.stdout + proc.stderr)

    def test_lincheck_own_tests_pass_plain_and_under_asan(self):
        # The linearizability checker (fixtures/labs/94-lincheck): known non-linearizable
        # histories rejected, budgets give UNKNOWN, thousands of short histories in seconds.
        for extra in ((), ("--sanitize", "address")):
            proc = grade("94-lincheck", "--impl", "reference", *extra)
            self.assertIn("TOTAL 94-lincheck: 7/7", proc.stdout, proc.stdout + proc.stderr)

    def test_cannot_grade_is_a_nonzero_exit(self):
        self.assertEqual(grade("no-such-lab").returncode, 2)
        self.assertEqual(grade("91-adder", "--impl", "/no/such/dir").returncode, 2)
        self.assertEqual(grade("91-adder", "--test", "no_such_test").returncode, 2)

    def test_needs_build_from_deps(self):
        # 92-needs' own code is right; it passes only when lab 91 comes from the reference.
        self.assertIn("TOTAL 92-needs: 1/1", grade("92-needs", "--impl", "labs", "--deps", "reference").stdout)
        self.assertIn("TOTAL 92-needs: 0/1", grade("92-needs", "--impl", "labs").stdout)

    def test_needs_are_transitive(self):
        # 96-chain names only 92-needs; 92's headers, LIBS and lab 91 must come along, each
        # from DEPS: 91's wrong skeleton under --deps labs is what makes it fail.
        proc = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT),
                               f"KEEL_LABS_DIR={FIX / 'labs'}", "LAB=96-chain", "labvars"],
                              capture_output=True, text=True, check=True)
        self.assertIn("NEEDS_ALL=91-adder 92-needs\n", proc.stdout)
        proc = grade("96-chain", "--impl", "reference")
        self.assertIn("TOTAL 96-chain: 1/1", proc.stdout, proc.stdout + proc.stderr)
        proc = grade("96-chain", "--impl", "reference", "--deps", "labs")
        self.assertIn("TOTAL 96-chain: 0/1", proc.stdout, proc.stdout + proc.stderr)

    def test_make_bin_builds_programs_from_the_chosen_impl(self):
        for impl, expected in (("reference", "5"), ("labs", "0")):
            make("bin", "LAB=91-adder", f"IMPL={impl}")
            out = subprocess.run([str(OUT / "bin" / "adder-cli"), "2", "3"], capture_output=True,
                                 text=True).stdout.strip()
            self.assertEqual(out, expected, f"IMPL={impl}")

    def test_submission_without_needed_labs_builds_them_from_the_reference(self):
        # The folder holds 92's triple.c only: 91's adder comes from the reference, said aloud.
        proc = grade("92-needs", "--impl", str(FIX / "reference" / "92-needs"))
        self.assertIn("TOTAL 92-needs: 1/1", proc.stdout, proc.stdout + proc.stderr)
        self.assertIn("from the reference", proc.stderr)

    def test_rubric_check_agrees_with_binaries_and_readme(self):
        proc = grade("91-adder", "--check-rubric")
        self.assertEqual(proc.returncode, 0, proc.stdout)

    def test_rubric_check_wants_every_test_in_a_per_test_table(self):
        # 91-adder's README has part totals only; a copy gets a table of tests instead. Its own
        # labs and out folders, so no build of the copy is left where the other tests build.
        rows = {"test_a_adds_small": "2", "test_a_adds_large": "3", "test_b_adds_negative": "5"}
        with tempfile.TemporaryDirectory(prefix="keel-readme-rows-") as tmp:
            lab = Path(tmp) / "labs" / "91-adder"
            shutil.copytree(FIX / "labs" / "91-adder", lab)
            env = dict(ENV, KEEL_LABS_DIR=str(Path(tmp) / "labs"), KEEL_OUT=str(Path(tmp) / "out"))
            readme = (FIX / "labs" / "91-adder" / "README.md").read_text()

            def check(listed):
                table = "| test | points | checks |\n| --- | --- | --- |\n" + "".join(
                    f"| `{name}` | {points} | it adds |\n" for name, points in listed.items())
                (lab / "README.md").write_text(readme.replace("## API tour", table + "\n## API tour"))
                return subprocess.run([str(ROOT / "harness" / "grade"), "-q", "91-adder",
                                       "--check-rubric"], env=env, capture_output=True, text=True,
                                      timeout=300)

            proc = check(rows)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            proc = check({name: points for name, points in rows.items()
                          if name != "test_a_adds_large"})
            self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
            self.assertIn("misses test_a_adds_large", proc.stdout)
            proc = check(dict(rows, test_b_adds_negative="4", test_b_adds_zero="1"))
            self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
            self.assertIn("test_b_adds_zero, which is not in the rubric", proc.stdout)
            self.assertIn("gives test_b_adds_negative 4 points, the rubric 5", proc.stdout)


if __name__ == "__main__":
    unittest.main()


sys.path.insert(0, str(ROOT / "harness" / "py"))
import sandbox  # noqa: E402



def has_namespaces():
    """Whether this machine gives the grader its sandbox (keel-sandbox built into OUT)."""
    saved = os.environ.get("KEEL_OUT")
    os.environ["KEEL_OUT"] = str(OUT)
    try:
        return sandbox.namespaces_work(sandbox.launcher())[0]
    finally:
        if saved is None:
            del os.environ["KEEL_OUT"]
        else:
            os.environ["KEEL_OUT"] = saved


HAS_NAMESPACES = has_namespaces()


def stray_processes(marker):
    """PIDs of processes whose command line mentions marker (a fixture's build folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if marker in cmdline:
                found.append(int(entry.name))
    return found


class HostileSubmissions(unittest.TestCase):
    """Submissions that attack the grader: each gets a result (results.json included), in
    bounded time, and leaves nothing running. With namespaces (root), the sandbox also keeps
    them off the network, out of the kit and away from other submissions."""

    def hostile(self, name, env=None):
        """Grades fixture submission name as Gradescope would (run_autograder on its layout).
        Returns (the run, results.json, seconds taken)."""
        with tempfile.TemporaryDirectory(prefix=f"keel-hostile-{name}-") as tmp:
            shutil.copytree(FIX / "submissions" / name, Path(tmp) / "submission")
            start = time.monotonic()
            proc = subprocess.run(["bash", str(ROOT / "harness" / "gradescope" / "run_autograder")],
                                  env=dict(ENV, AUTOGRADER_ROOT=tmp, KEEL_SOURCE=str(ROOT),
                                           KEEL_LAB="91-adder", **(env or {})),
                                  capture_output=True, text=True, timeout=300)
            elapsed_s = time.monotonic() - start
            self.assertNotIn("Traceback", proc.stdout + proc.stderr)
            with open(Path(tmp) / "results" / "results.json") as f:
                results = json.load(f)
            time.sleep(0.5)
            self.assertEqual(stray_processes(Path(tmp).name), [], f"{name} left processes behind")
        return proc, results, elapsed_s

    def test_code_outside_the_tests_is_refused_with_a_reason(self):
        # Constructors (crashing, looping, forging the runner's report and exiting 0) and an
        # ifunc resolver would run in the test runner's own process: refused at build, 0.
        for name in ("ctor_segv", "ctor_loop", "ctor_forges", "ifunc"):
            with self.subTest(submission=name):
                proc, results, elapsed_s = self.hostile(name)
                self.assertEqual(results["score"], 0, proc.stdout)
                self.assertEqual(len(results["tests"]), 3)
                self.assertIn("would run outside the tests", proc.stdout + json.dumps(results))
                self.assertIn("not allowed", proc.stdout)
                self.assertLess(elapsed_s, 60)

    def test_detached_daemon_dies_with_its_test(self):
        with tempfile.TemporaryDirectory() as tmp:
            mark = Path(tmp) / "daemon-was-here"
            os.chmod(tmp, 0o777)
            proc, results, elapsed_s = self.hostile("daemon", env={"KEEL_FIXTURE_MARK": str(mark)})
            time.sleep(4)  # the daemon would write 3 s after it started
            self.assertFalse(mark.exists(), "a detached daemon outlived its test")
        self.assertEqual(results["score"], 10, proc.stdout)
        self.assertLess(elapsed_s, 30)

    def test_forged_results_and_a_killed_runner_score_zero(self):
        proc, results, _ = self.hostile("forges")
        self.assertEqual(results["score"], 0, proc.stdout)

    def test_output_flood_is_cut_and_graded(self):
        proc, results, elapsed_s = self.hostile("floods")
        self.assertEqual(results["score"], 10)
        self.assertLess(max(len(t.get("output", "")) for t in results["tests"]), 16 << 20)

    def test_fork_bomb_is_contained_and_graded(self):
        proc, results, elapsed_s = self.hostile("forkbomb")
        self.assertEqual(results["score"], 0)
        self.assertEqual(len(results["tests"]), 3)

    @unittest.skipUnless(HAS_NAMESPACES, "needs namespaces (root): the fallback cannot do this")
    def test_no_network_but_loopback(self):
        proc, results, _ = self.hostile("sees_network")
        self.assertEqual(results["score"], 10, proc.stdout)

    @unittest.skipUnless(HAS_NAMESPACES, "needs namespaces (root): the fallback cannot do this")
    def test_kit_and_out_folder_are_read_only(self):
        target = ROOT / "harness" / "keel-fixture-was-here"
        proc, results, _ = self.hostile("writes_kit", env={"KEEL_FIXTURE_KIT": str(ROOT / "harness"),
                                                           "KEEL_FIXTURE_OUT": str(OUT)})
        self.assertFalse(target.exists())
        self.assertFalse((OUT / "keel-fixture-was-here").exists())
        self.assertEqual(results["score"], 10, proc.stdout)

    @unittest.skipUnless(HAS_NAMESPACES, "needs namespaces (root): the fallback cannot do this")
    def test_batch_hides_other_submissions(self):
        other = FIX / "submissions" / "partA" / "adder.c"
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run([str(ROOT / "harness" / "grade"), "-q", "91-adder", "--batch",
                                   str(FIX / "submissions" / "partA"),
                                   str(FIX / "submissions" / "reads_other"),
                                   "--gradebook", f"{tmp}/book.csv"],
                                  env=dict(ENV, KEEL_FIXTURE_OTHER=str(other)),
                                  capture_output=True, text=True, timeout=300)
            with open(f"{tmp}/book.csv") as f:
                rows = {Path(r["submission"]).name: r for r in csv.DictReader(f)}
        self.assertEqual(rows["reads_other"]["total"], "10", proc.stdout + proc.stderr)


class SubmissionBuilds(unittest.TestCase):
    """A submission's build reaches only what it may: its own files, the kit's, and the
    reference of a lab it needs only when that comes from the reference."""

    def submission(self, tmp, files):
        for rel, text in files.items():
            path = Path(tmp) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return tmp

    def test_a_folder_holding_every_lab_of_a_chain_builds_them_all(self):
        with tempfile.TemporaryDirectory() as tmp:
            files = {f"{lab}/{src}": (FIX / "reference" / lab / src).read_text()
                     for lab, src in (("96-chain", "chain.c"), ("92-needs", "triple.c"),
                                      ("91-adder", "adder.c"))}
            proc = grade("96-chain", "--impl", self.submission(tmp, files))
        self.assertIn("TOTAL 96-chain: 1/1", proc.stdout, proc.stdout + proc.stderr)
        self.assertNotIn("from the reference", proc.stderr)

    def test_a_symbolic_link_is_not_a_submitted_file(self):
        # A link to the reference's file would otherwise be staged as the student's own.
        with tempfile.TemporaryDirectory() as tmp:
            os.symlink(FIX / "reference" / "91-adder" / "adder.c", Path(tmp) / "adder.c")
            (Path(tmp) / "dir").symlink_to(FIX / "reference" / "91-adder")
            proc = grade("91-adder", "--impl", tmp)
        self.assertIn("TOTAL 91-adder: 0/10", proc.stdout, proc.stdout + proc.stderr)
        self.assertIn("the submission has no adder.c", proc.stdout)

    @unittest.skipUnless(HAS_NAMESPACES, "needs namespaces (root): the fallback cannot do this")
    def test_the_labs_reference_is_out_of_the_builds_reach(self):
        reference = FIX / "reference" / "91-adder" / "adder.c"
        with tempfile.TemporaryDirectory() as tmp:
            files = {"adder.c": f'#include "{reference}"\n'}
            proc = grade("91-adder", "--impl", self.submission(tmp, files))
        self.assertIn("TOTAL 91-adder: 0/10", proc.stdout, proc.stdout + proc.stderr)
        self.assertIn("BUILD FAILED", proc.stdout)
