"""test_report.py -- tests of the benchmark-to-report pipeline's pieces that need no build:
selectors, targets, placeholders, the Markdown renderer (harness/py/keelviz.py, keelmd.py),
lab variables and the lab map (keelkit.py, visualize/report.py, on the fixture labs).
Run: python3 -m unittest discover -s harness/tests -p 'test_*.py'
"""

import importlib.util
import os
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent.parent
FIX = ROOT / "harness" / "tests" / "fixtures"
sys.path.insert(0, str(ROOT / "harness" / "py"))
import keelkit  # noqa: E402  (found through the line above)
import keelmd as md  # noqa: E402
import keelviz as kv  # noqa: E402


def load_report():
    """Imports visualize/report.py by path (visualize/ is not a package)."""
    spec = importlib.util.spec_from_file_location("report", ROOT / "visualize" / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

CSV = """# keel lab=01-servers bench=bench_resp impl=reference mode=quick commit=abc1234 \
date=2025-01-02T03:04:05Z cpu="AMD EPYC 7B13" cores=2
variant,chunk_bytes,requests,bytes,seconds,mb_per_s,requests_per_s
parser,0,200000,6400000,0.008,812.345,25000000
parser,16,200000,6400000,0.013,492.1,15384615
parser,1,200000,6400000,0.11,58.2,1818181
linescan,0,200000,6400000,0.0011,5818.2,181818181
"""


class Fixture(unittest.TestCase):
    """A temporary lab run: out/results/<lab>/bench_resp.csv, targets and one plot."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.results = self.dir / "results"
        self.plots = self.dir / "plots"
        self.results.mkdir()
        self.plots.mkdir()
        (self.results / "bench_resp.csv").write_text(CSV)
        (self.plots / "bench_resp.png").write_bytes(b"png")
        (self.plots / "bench_resp.svg").write_text("<svg/>")
        (self.dir / "targets").write_text(
            "# comment\n\n"
            "parser_vs_linescan >=0.1 bench_resp/mb_per_s[variant=parser,chunk_bytes=0] "
            "bench_resp/mb_per_s[variant=linescan,chunk_bytes=0] whole vs scan\n"
            "bytewise <=0.05 bench_resp/mb_per_s[variant=parser,chunk_bytes=1] "
            "bench_resp/mb_per_s[variant=parser,chunk_bytes=0]\n")

    def tearDown(self):
        self.tmp.cleanup()

    def context(self, targets=None):
        return kv.NotesContext("01-servers", self.results, targets, self.plots,
                               lambda name, ext: f"plots/01-servers/{name}.{ext}")


class SelectorTest(Fixture):
    def test_parses_bench_column_and_filters(self):
        s = kv.Selector("bench_resp/mb_per_s[variant=parser, chunk_bytes=0]")
        self.assertEqual((s.bench, s.column), ("bench_resp", "mb_per_s"))
        self.assertEqual(s.filters, [("variant", "parser"), ("chunk_bytes", "0")])

    def test_filters_are_optional(self):
        self.assertEqual(kv.Selector("b/c").filters, [])

    def test_rejects_malformed_selectors(self):
        for bad in ("mb_per_s", "b/c[variant]", "b/c[=x]", "b/c[a=1", "/c", "b/"):
            with self.subTest(bad=bad), self.assertRaises(keelkit.KitError):
                kv.Selector(bad)

    def test_picks_the_one_matching_row(self):
        r = kv.read_results(self.results / "bench_resp.csv")
        s = kv.Selector("bench_resp/mb_per_s[variant=parser,chunk_bytes=16]")
        self.assertEqual(kv.pick(s, r), "492.1")

    def test_numbers_match_numerically(self):
        r = kv.read_results(self.results / "bench_resp.csv")
        s = kv.Selector("bench_resp/mb_per_s[variant=parser,chunk_bytes=16.0]")
        self.assertEqual(kv.pick(s, r), "492.1")

    def test_zero_matching_rows_is_an_error(self):
        r = kv.read_results(self.results / "bench_resp.csv")
        s = kv.Selector("bench_resp/mb_per_s[variant=parser,chunk_bytes=2]")
        with self.assertRaisesRegex(keelkit.KitError, "no row matches"):
            kv.pick(s, r)

    def test_several_matching_rows_is_an_error(self):
        r = kv.read_results(self.results / "bench_resp.csv")
        s = kv.Selector("bench_resp/mb_per_s[chunk_bytes=0]")
        with self.assertRaisesRegex(keelkit.KitError, "2 rows match"):
            kv.pick(s, r)

    def test_unknown_column_is_an_error(self):
        r = kv.read_results(self.results / "bench_resp.csv")
        with self.assertRaisesRegex(keelkit.KitError, "no column 'gb_per_s'"):
            kv.pick(kv.Selector("bench_resp/gb_per_s[variant=linescan]"), r)

    def test_reads_the_metadata_line(self):
        r = kv.read_results(self.results / "bench_resp.csv")
        self.assertEqual(r.meta["cpu"], "AMD EPYC 7B13")
        self.assertEqual(r.meta["cores"], "2")

    def test_metadata_line_round_trips(self):
        meta = {"lab": "01-servers", "cpu": "Intel(R) Xeon(R) CPU @ 2.20GHz", "commit": "ab+dirty"}
        self.assertEqual(kv.parse_meta(kv.format_meta(meta)), meta)

    def test_ragged_or_empty_bench_output_is_refused(self):
        with self.assertRaisesRegex(keelkit.KitError, "line 3 has 2 fields"):
            kv.parse_csv_text("a,b,c\n1,2,3\n1,2\n", "bench_x")
        with self.assertRaisesRegex(keelkit.KitError, "no rows"):
            kv.parse_csv_text("a,b,c\n", "bench_x")
        with self.assertRaisesRegex(keelkit.KitError, "no CSV output"):
            kv.parse_csv_text("", "bench_x")


class TargetTest(Fixture):
    def test_goals(self):
        self.assertTrue(kv.Goal(">=0.25").holds(0.25))
        self.assertFalse(kv.Goal(">=0.25").holds(0.2499))
        self.assertTrue(kv.Goal("<=1.2").holds(1.2))
        self.assertFalse(kv.Goal("<=1.2").holds(1.3))
        self.assertFalse(kv.Goal(">1").holds(1.0))
        self.assertTrue(kv.Goal("<1").holds(0.5))
        for bad in ("0.25", "=>0.25", ">=", ">=x", "==1"):
            with self.subTest(bad=bad), self.assertRaises(keelkit.KitError):
                kv.Goal(bad)

    def test_evaluates_ratios_from_the_run(self):
        targets = kv.parse_targets(self.dir / "targets")
        self.assertEqual([t.name for t in targets], ["parser_vs_linescan", "bytewise"])
        self.assertEqual(targets[0].description, "whole vs scan")
        results = kv.evaluate_targets(targets, self.results)
        self.assertAlmostEqual(results[0].ratio, 812.345 / 5818.2)
        self.assertTrue(results[0].holds)
        self.assertAlmostEqual(results[1].ratio, 58.2 / 812.345)
        self.assertFalse(results[1].holds)
        text = kv.targets_text(results)
        self.assertIn("1 of 2 targets hold", text)

    def test_missing_numbers_name_the_target_and_selector(self):
        (self.dir / "targets").write_text(
            "t1 >=1 bench_resp/mb_per_s[variant=redis] bench_resp/mb_per_s[variant=linescan]\n"
            "t2 >=1 bench_nope/x bench_resp/mb_per_s[variant=linescan]\n")
        with self.assertRaises(keelkit.KitError) as cm:
            kv.evaluate_targets(kv.parse_targets(self.dir / "targets"), self.results)
        message = str(cm.exception)
        self.assertIn("target t1", message)
        self.assertIn("bench_resp/mb_per_s[variant=redis]", message)
        self.assertIn("target t2", message)
        self.assertIn("bench_nope.csv does not exist", message)

    def test_bad_targets_line_names_file_and_line(self):
        (self.dir / "targets").write_text("# c\nt1 0.5 a/b c/d\n")
        with self.assertRaisesRegex(keelkit.KitError, r"targets:2: bad goal"):
            kv.parse_targets(self.dir / "targets")

    def test_targets_csv_round_trips(self):
        targets = kv.parse_targets(self.dir / "targets")
        results = kv.evaluate_targets(targets, self.results)
        kv.write_targets_csv(self.results / "targets.csv", results)
        self.assertTrue((self.results / "targets.csv").read_text().startswith(
            "name,ratio,goal,holds\nparser_vs_linescan,0.1396"))
        back = kv.read_targets_csv(self.results / "targets.csv", targets)
        self.assertEqual([(r.name, r.holds) for r in back],
                         [("parser_vs_linescan", True), ("bytewise", False)])
        self.assertEqual(back[0].description, "whole vs scan")

    def test_a_number_is_a_constant_operand(self):
        (self.dir / "targets").write_text(
            "budget <=0.5 bench_resp/mb_per_s[variant=parser,chunk_bytes=0] 2000 under budget\n"
            "inverse >=2 4000 bench_resp/mb_per_s[variant=parser,chunk_bytes=0]\n")
        targets = kv.parse_targets(self.dir / "targets")
        self.assertIsInstance(targets[0].denominator, kv.Constant)
        self.assertEqual(targets[0].description, "under budget")
        results = kv.evaluate_targets(targets, self.results)
        self.assertAlmostEqual(results[0].ratio, 812.345 / 2000)
        self.assertAlmostEqual(results[1].ratio, 4000 / 812.345)
        (self.dir / "targets").write_text("zero >=1 bench_resp/mb_per_s[variant=linescan] 0\n")
        with self.assertRaisesRegex(keelkit.KitError, "is zero"):
            kv.evaluate_targets(kv.parse_targets(self.dir / "targets"), self.results)

    def test_a_failed_or_empty_measurement_never_holds(self):
        # A server that died leaves a row of zeros with a status saying so: a "<=" goal must
        # not count its zero p99 as holding, and no goal may count a zero rate.
        (self.results / "bench_servers.csv").write_text(
            "# keel lab=01-servers bench=bench_servers\n"
            "server,p99_us,ops_per_s,status\n"
            "keel,0,0,server died\nredis,900,90000,ok\nother,0,0,ok\n")
        for line, why in (
                ("p99 <=1.2 bench_servers/p99_us[server=keel] bench_servers/p99_us[server=redis]",
                 "server died"),
                ("ops >=1 bench_servers/ops_per_s[server=other] bench_servers/ops_per_s[server=redis]",
                 "is zero")):
            with self.subTest(line=line):
                (self.dir / "targets").write_text(line + "\n")
                with self.assertRaisesRegex(keelkit.KitError, why):
                    kv.evaluate_targets(kv.parse_targets(self.dir / "targets"), self.results)

    def test_peers_targets_are_skipped_without_peers_and_computed_with(self):
        (self.dir / "targets").write_text(
            "mine >=0.1 bench_resp/mb_per_s[variant=parser,chunk_bytes=0] "
            "bench_resp/mb_per_s[variant=linescan,chunk_bytes=0] ordinary\n"
            "vs_peer >=1 bench_resp/mb_per_s[variant=parser,chunk_bytes=0] "
            "bench_resp/mb_per_s[variant=redis] peers against a peer\n")
        targets = kv.parse_targets(self.dir / "targets")
        self.assertEqual([t.needs_peers for t in targets], [False, True])
        self.assertEqual(targets[1].description, "against a peer")
        results = kv.evaluate_targets(targets, self.results, has_peers=False)
        self.assertEqual([r.is_skipped for r in results], [False, True])
        self.assertIn("1 of 1 targets hold (1 more needs PEERS=1)", kv.targets_text(results))
        self.assertIn("| needs PEERS=1 |", kv.targets_markdown(results))
        kv.write_targets_csv(self.results / "targets.csv", results)
        back = kv.read_targets_csv(self.results / "targets.csv", targets)
        self.assertTrue(back[1].is_skipped)
        self.assertIsNone(back[1].ratio)
        ctx = self.context(back)
        self.assertEqual(ctx.restore(ctx.fill("target:vs_peer"), str), "not measured "
                         "(needs PEERS=1)")
        # With peers the target is computed, and its missing rows are an error as ever.
        with self.assertRaisesRegex(keelkit.KitError, r"target vs_peer .*variant=redis"):
            kv.evaluate_targets(targets, self.results, has_peers=True)

    def test_targets_csv_of_an_older_run_still_reads(self):
        # Written before the skipped text was "needs PEERS=1": out/ may hold one.
        (self.results / "targets.csv").write_text("name,ratio,goal,holds\nt,,>=1,needs --peers\n")
        self.assertTrue(kv.read_targets_csv(self.results / "targets.csv")[0].is_skipped)


class PlaceholderTest(Fixture):
    def test_fills_every_kind(self):
        targets = kv.evaluate_targets(kv.parse_targets(self.dir / "targets"), self.results)
        text = ("Speed {{results:bench_resp/mb_per_s[variant=parser,chunk_bytes=0]}} MB/s, "
                "{{results:bench_resp/requests_per_s[variant=parser,chunk_bytes=0]}} req/s.\n"
                "Ratio {{target:parser_vs_linescan}} on {{meta:cpu}} ({{meta:cores}} cores).\n"
                "{{plot:bench_resp}}\n{{targets}}\n")
        ctx = self.context(targets)
        filled, errors = kv.fill_placeholders(text, "notes/x.md", ctx)
        self.assertEqual(errors, [])
        filled = ctx.restore(filled, escape=str)
        self.assertIn("Speed 812 MB/s, 25,000,000 req/s.", filled)
        self.assertIn("Ratio 0.140\u00d7 on AMD EPYC 7B13 (2 cores).", filled)
        self.assertIn("[![plot bench\\_resp](plots/01-servers/bench_resp.png)]"
                      "(plots/01-servers/bench_resp.svg)", filled)
        self.assertIn("| `parser_vs_linescan` | 0.140\u00d7 |", filled)
        self.assertEqual(ctx.plots_used, ["bench_resp"])
        self.assertTrue(ctx.targets_used)

    def test_every_unfillable_placeholder_is_listed_with_file_and_line(self):
        text = ("ok {{results:bench_resp/seconds[variant=linescan]}}\n"
                "{{results:bench_resp/mb_per_s[chunk_bytes=0]}}\n"
                "\n"
                "{{target:parser_vs_linescan}} {{plot:nope}} {{meta:host}} {{weird}}\n")
        filled, errors = kv.fill_placeholders(text, "notes/01-servers.md", self.context(None))
        self.assertEqual(len(errors), 5, errors)
        self.assertTrue(errors[0].startswith(
            "notes/01-servers.md:2: cannot fill {{results:bench_resp/mb_per_s[chunk_bytes=0]}}: "))
        self.assertIn("2 rows match", errors[0])
        for e in errors[1:]:
            self.assertTrue(e.startswith("notes/01-servers.md:4: cannot fill {{"), e)
        self.assertIn("no targets", errors[1])
        self.assertIn("nope.png does not exist", errors[2])
        self.assertIn("unknown placeholder kind 'weird'", errors[4])

    def test_a_peer_bench_value_in_a_peerless_run_reads_needs_peers(self):
        # bench_ck is one of the lab's PEER_BENCHES and this run did not make its CSV.
        ctx = kv.NotesContext("02-lockfree", self.results, None, self.plots,
                              lambda name, ext: f"plots/{name}.{ext}", ["bench_ck"])
        text = ("ck: {{results:bench_ck/items_per_s[structure=ck_mcs,threads=2]}}\n\n"
                "| ck |\n| --- |\n| {{results:bench_ck/items_per_s}} |\n")
        filled, errors = kv.fill_placeholders(text, "notes/02-lockfree.md", ctx)
        self.assertEqual(errors, [])
        self.assertEqual(ctx.restore(md.render_markdown(filled)),
                         "<p>ck: needs PEERS=1</p>\n<table>\n<thead><tr><th>ck</th></tr>"
                         "</thead>\n<tbody>\n<tr><td>needs PEERS=1</td></tr>\n</tbody>\n</table>")

    def test_a_peer_bench_plot_in_a_peerless_run_reads_needs_peers(self):
        # The plot of a peer bench that did not run is not drawn (harness/bench skips its
        # script); the note says why instead of failing. Any other missing plot still fails.
        ctx = kv.NotesContext("02-lockfree", self.results, None, self.plots,
                              lambda name, ext: f"plots/{name}.{ext}", ["bench_ck"])
        filled, errors = kv.fill_placeholders("{{plot:bench_ck}}\n\n{{plot:bench_nope}}\n",
                                              "notes/02-lockfree.md", ctx)
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("bench_nope.png does not exist", errors[0])
        self.assertIn("(plot bench_ck: needs PEERS=1)", ctx.restore(filled))

    def test_a_missing_csv_of_any_other_bench_still_fails(self):
        ctx = kv.NotesContext("02-lockfree", self.results, None, self.plots,
                              lambda name, ext: f"plots/{name}.{ext}", ["bench_ck"])
        text = ("{{results:bench_locks/items_per_s}}\n"  # not a peer bench: its CSV must exist
                "{{results:bench_ck/items_per_s[oops}}\n"  # a bad selector is bad in any run
                "{{results:bench_resp/mb_per_s[variant=nope]}}\n")  # present CSV, no such row
        _, errors = kv.fill_placeholders(text, "notes/02-lockfree.md", ctx)
        self.assertEqual(len(errors), 3, errors)
        self.assertIn("bench_locks.csv does not exist", errors[0])
        self.assertIn("bad selector", errors[1])
        self.assertIn("no row matches", errors[2])
        # A peer bench that did run is read like any other: its missing rows fail too.
        (self.results / "bench_ck.csv").write_text("# keel bench=bench_ck\nstructure,items_per_s\n"
                                                   "ck_mcs,5\n")
        _, errors = kv.fill_placeholders("{{results:bench_ck/items_per_s[structure=mcs]}}",
                                         "n.md", ctx)
        self.assertEqual(len(errors), 1, errors)
        self.assertIn("no row matches", errors[0])
        ctx = kv.NotesContext("02-lockfree", self.results, None, self.plots,
                              lambda name, ext: f"plots/{name}.{ext}", ["bench_ck"])
        self.assertEqual(ctx.restore(ctx.fill("results:bench_ck/items_per_s"), str), "5")

    def test_number_formatting(self):
        cases = [(1234567, "1,230,000"), (812.345, "812"), (12.345, "12.3"),
                 (0.012345, "0.0123"), (16, "16"), (999.7, "1,000"), (0, "0"),
                 (-1534.2, "-1,530"), (5818.2, "5,820")]
        for x, want in cases:
            with self.subTest(x=x):
                self.assertEqual(kv.format_number(x), want)
        self.assertEqual(kv.format_value("parser"), "parser")
        self.assertEqual(kv.format_ratio(0.4123), "0.412\u00d7")

    def test_filled_values_are_literal_text_everywhere(self):
        (self.results / "bench_resp.csv").write_text(
            CSV.replace('cpu="AMD EPYC 7B13"', 'cpu="*bold*_x | <b>x</b>"')
            .replace("commit=abc1234", "commit=abc1234+dirty"))
        ctx = self.context()
        text = "{{meta:cpu}} and `{{meta:commit}}`\n\n| cpu |\n| --- |\n| {{meta:cpu}} |"
        filled, errors = kv.fill_placeholders(text, "n.md", ctx)
        self.assertEqual(errors, [])
        cpu = "*bold*_x | &lt;b&gt;x&lt;/b&gt;"
        self.assertEqual(ctx.restore(md.render_markdown(filled)),
                         f"<p>{cpu} and <code>abc1234+dirty</code></p>\n<table>\n"
                         f"<thead><tr><th>cpu</th></tr></thead>\n<tbody>\n"
                         f"<tr><td>{cpu}</td></tr>\n</tbody>\n</table>")


FIXTURE_ENV = {"KEEL_LABS_DIR": str(FIX / "labs"), "KEEL_REF_DIR": str(FIX / "reference")}


class LabVarsTest(unittest.TestCase):
    """keelkit's one reader of lab.mk (`make labvars`) and of labs/PLANNED."""

    @mock.patch.dict(os.environ, FIXTURE_ENV)
    def test_reads_title_as_text_and_the_rest_as_words(self):
        v = keelkit.lab_vars("92-needs")
        self.assertEqual(v.title, "Triple, on the adder")
        self.assertEqual(v.summary, "")
        self.assertEqual((v.needs, v.needs_all, v.student_srcs), (["91-adder"], ["91-adder"],
                                                                   ["triple.c"]))
        self.assertEqual(v.peer_benches, [])

    def test_a_variable_make_did_not_print_is_an_error(self):
        # What a Makefile from before PEER_BENCHES printed: every other line.
        names = ["TITLE", "SUMMARY", "NEEDS", "STUDENT_SRCS", "GIVEN_SRCS", "REFERENCE_SRCS",
                 "TESTS", "BENCHES", "BINS", "LIBS", "SANITIZERS", "BENCH_LTO", "DATA",
                 "NEEDS_ALL", "IMPL_DIR", "DEPS_DIRS"]
        text = "".join(f"{n}=\n" for n in names)
        with self.assertRaisesRegex(keelkit.KitError, "printed no PEER_BENCHES= line"):
            keelkit.parse_lab_vars(text, "x")
        self.assertEqual(keelkit.parse_lab_vars(text + "PEER_BENCHES=a b\n", "x").peer_benches,
                         ["a", "b"])

    def test_planned_labs_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "PLANNED"
            path.write_text("# c\n\na-lab b,c A title  # note\nb - B\n")
            self.assertEqual(keelkit.planned_labs(path),
                             [keelkit.PlannedLab("a-lab", ["b", "c"], "A title"),
                              keelkit.PlannedLab("b", [], "B")])
            for bad in ("x y\n", "x a,,b T\n", "x - T\nx - T\n"):
                path.write_text(bad)
                with self.subTest(bad=bad), self.assertRaisesRegex(keelkit.KitError, "PLANNED:"):
                    keelkit.planned_labs(path)
            self.assertEqual(keelkit.planned_labs(Path(tmp) / "absent"), [])


class LabMapTest(unittest.TestCase):
    """The report's lab map: titles and NEEDS from `make labvars`, planned labs from
    labs/PLANNED (here the fixture labs and harness/tests/fixtures/labs/PLANNED)."""

    @mock.patch.dict(os.environ, FIXTURE_ENV)
    def test_map_reads_titles_from_lab_vars_and_planned_labs_from_the_file(self):
        report = load_report()
        lab_vars = {lab: keelkit.lab_vars(lab) for lab in keelkit.all_labs()}
        grades = [{"lab": "91-adder", "impl": "reference", "score": 10, "max_score": 10}]
        dot = report.lab_map_dot(lab_vars, keelkit.planned_labs(), grades)
        lines = dot.splitlines()
        # Labs in the kit: solid, titled from their lab.mk (91-adder's PLANNED line is stale).
        self.assertIn('  "91-adder" [label="91-adder\\nAn adder\\ngraded reference: 10/10"];',
                      lines)
        self.assertIn('  "92-needs" [label="92-needs\\nTriple, on the adder"];', lines)
        self.assertIn('  "90-runner" [label="90-runner"];', lines)
        self.assertIn('  "91-adder" -> "92-needs";', lines)
        self.assertNotIn("A planned adder", dot)
        # Planned labs: dashed, with dashed edges from what they will need.
        self.assertIn('  "98-later" [label="98-later\\nA later lab\\n(planned)", '
                      'style="rounded,dashed", fillcolor="white", color="#8c959f", '
                      'fontcolor="#57606a"];', lines)
        self.assertIn('  "99-last" [label="99-last\\nThe last one\\n(planned)", '
                      'style="rounded,dashed", fillcolor="white", color="#8c959f", '
                      'fontcolor="#57606a"];', lines)
        self.assertIn('  "91-adder" -> "98-later" [style=dashed];', lines)
        self.assertIn('  "92-needs" -> "98-later" [style=dashed];', lines)

    @mock.patch.dict(os.environ, FIXTURE_ENV)
    def test_a_planned_lab_needing_an_unknown_lab_is_an_error(self):
        report = load_report()
        lab_vars = {"91-adder": keelkit.lab_vars("91-adder")}
        planned = [keelkit.PlannedLab("98-later", ["97-nowhere"], "x")]
        with self.assertRaisesRegex(keelkit.KitError, "97-nowhere, which is neither"):
            report.lab_map_dot(lab_vars, planned, [])


class MarkdownTest(unittest.TestCase):
    def test_table_with_alignment_and_escaping(self):
        html = md.render_markdown("| name | MB/s |\n| :--- | ---: |\n| `a|b` | 1 < 2 |\n"
                                  "| **p** | x\\|y |\n")
        self.assertEqual(html, (
            "<table>\n<thead><tr><th style=\"text-align:left\">name</th>"
            "<th style=\"text-align:right\">MB/s</th></tr></thead>\n<tbody>\n"
            "<tr><td style=\"text-align:left\"><code>a|b</code></td>"
            "<td style=\"text-align:right\">1 &lt; 2</td></tr>\n"
            "<tr><td style=\"text-align:left\"><strong>p</strong></td>"
            "<td style=\"text-align:right\">x|y</td></tr>\n</tbody>\n</table>"))

    def test_fenced_code_is_escaped_verbatim(self):
        html = md.render_markdown("```c\nif (a < b && *p) { x_y = **q; }\n\n  # not a heading\n```")
        self.assertEqual(html, '<pre><code class="language-c">if (a &lt; b &amp;&amp; *p) '
                               "{ x_y = **q; }\n\n  # not a heading\n</code></pre>")

    def test_headings_paragraphs_and_inline(self):
        html = md.render_markdown("# Title\n\nSome *it* and **bold** and `code <x>`,\n"
                                  "a [link](http://a.b/?q=1&r=2) and snake_case_name.\n")
        self.assertEqual(html, '<h1 id="title">Title</h1>\n<p>Some <em>it</em> and '
                               "<strong>bold</strong> and <code>code &lt;x&gt;</code>,\n"
                               'a <a href="http://a.b/?q=1&amp;r=2">link</a> and '
                               "snake_case_name.</p>")

    def test_heading_offset(self):
        self.assertEqual(md.render_markdown("## Sub", heading_offset=2), '<h4 id="sub">Sub</h4>')

    def test_lists(self):
        self.assertEqual(md.render_markdown("- one\n- two\n  - inner\n\n1. first\n2. second"),
                         "<ul>\n<li>one</li>\n<li>two\n<ul>\n<li>inner</li>\n</ul></li>\n</ul>\n"
                         "<ol>\n<li>first</li>\n<li>second</li>\n</ol>")

    def test_images_and_linked_images(self):
        self.assertEqual(md.render_inline("[![a plot](p.png)](p.svg)"),
                         '<a href="p.svg"><img src="p.png" alt="a plot"></a>')

    def test_html_is_escaped_everywhere(self):
        html = md.render_markdown('<script>alert("x")</script> & [t](javascript:alert(1))\n\n'
                                  "## <i>h</i>\n")
        self.assertNotIn("<script>", html)
        self.assertNotIn("<i>", html)
        self.assertIn("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;", html)
        self.assertIn('<a href="#">t</a>', html)
        self.assertIn("&lt;i&gt;h&lt;/i&gt;", html)

    def test_md_escape_renders_literally(self):
        text = "a_b *c* [d](e) `f` <g> | #"
        self.assertEqual(md.render_inline(md.md_escape(text)),
                         "a_b *c* [d](e) `f` &lt;g&gt; | #")


if __name__ == "__main__":
    unittest.main()


class SweepsTest(unittest.TestCase):
    """The report's table of mutation sweeps (OUT/mutate/<lab>/summary.json, harness/mutate)."""

    def test_a_sweep_shows_its_counts_sample_and_score(self):
        report = load_report()
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "02-lockfree").mkdir()
            (Path(tmp) / "02-lockfree" / "summary.json").write_text(
                '{"lab": "02-lockfree", "seed": 4, "mutants": 617, "tried": 200, "killed": 180,'
                ' "stillborn": 10, "survived": 10, "explained": 6, "unexplained": 4}')
            sweeps = report.load_sweeps(tmp, ["01-servers", "02-lockfree"])
            self.assertEqual(list(sweeps), ["02-lockfree"])  # 01 never swept
            html = report.sweeps_html(sweeps)
            self.assertIn("<td>200 of 617 (seed 4)</td>", html)
            self.assertIn('<td class="part">4</td>', html)  # unexplained survivors
            self.assertIn("97.9%", html)  # (180 + 6) / (200 - 10)
            (Path(tmp) / "02-lockfree" / "summary.json").write_text('{"lab": "02-lockfree"}')
            with self.assertRaisesRegex(keelkit.KitError, "not a sweep summary"):
                report.load_sweeps(tmp, ["02-lockfree"])
        self.assertIn("make mutate", report.sweeps_html({}))

    def test_survivors_explained_after_the_sweep_count(self):
        report = load_report()
        summary = {"survived": 2, "explained": 0, "unexplained": 2,
                   "outcomes": [{"id": "a.c:f:ror:1", "status": "survived"},
                                {"id": "a.c:f:sdl:2", "status": "survived"},
                                {"id": "a.c:f:neg:3", "status": "killed"}]}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "survivors"
            path.write_text("# reasons\na.c:f:ror:1 equivalent: the same values\n")
            now = report.recount_explained(summary, path)
            self.assertEqual((now["explained"], now["unexplained"]), (1, 1))
            self.assertEqual(report.recount_explained(summary, Path(tmp) / "none"), summary)
