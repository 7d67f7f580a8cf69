#!/usr/bin/env python3
"""report.py -- builds out/report/index.html: the scoreboard, the lab map and, per lab, the
targets, plots and notes of the latest benchmark run (`make report` runs it).

Usage: python3 visualize/report.py [--out OUT/report] [--in OUT]   (OUT: keelkit.out_dir())
Reads --in/grades/<lab>/*.json, --in/results/<lab>/*.csv, --in/plots/<lab>/*.png|svg,
each lab's variables (`make labvars`: its title, NEEDS and PEER_BENCHES), labs/PLANNED (the
labs not in the kit yet, for the map), labs/<lab>/bench/targets and notes/<lab>.md. Writes one
page, index.html, with the plots and CSVs it shows copied beside it (plots/<lab>/, data/<lab>/).
A lab with no results is shown as "not benchmarked in this run" and its notes are not rendered:
notes quote measurements, and there are none to quote. A value from one of a lab's
PEER_BENCHES that the run did not measure reads "needs PEERS=1". Any other placeholder in a
rendered note that cannot be filled fails the build (exit 1, every one listed as FILE:LINE) and
removes the old index.html, so no page ever shows an empty or a stale number.
"""

import argparse
import datetime
import json
import shutil
import subprocess
import sys
from pathlib import Path

# The kit's shared Python (keelkit, keelviz, keelmd) lives in harness/py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "harness" / "py"))
import keelkit  # noqa: E402  (found through the line above)
import keelmd  # noqa: E402
import keelviz  # noqa: E402
from keelkit import KitError  # noqa: E402
from keelmd import esc  # noqa: E402

ROOT = keelkit.ROOT

CSS = """
body { font: 15px/1.5 system-ui, sans-serif; color: #1d232a; max-width: 980px;
       margin: 0 auto; padding: 1.5em 1.2em 4em; }
h1 { margin-bottom: 0.1em; } h2 { border-bottom: 2px solid #d8dee4; padding-bottom: 0.2em;
     margin-top: 2.2em; } h3 { margin-top: 1.6em; }
.sub { color: #57606a; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 14px; }
th, td { border: 1px solid #d0d7de; padding: 0.3em 0.7em; vertical-align: top; }
th { background: #f3f5f7; text-align: left; }
code { font: 13px ui-monospace, monospace; background: #f3f5f7; padding: 0.1em 0.3em;
       border-radius: 3px; }
pre { background: #f6f8fa; border: 1px solid #d8dee4; padding: 0.8em; overflow-x: auto; }
pre code { background: none; padding: 0; }
img { max-width: 100%; border: 1px solid #e3e7eb; }
.map svg { max-width: 100%; height: auto; }
.full { color: #1a7f37; font-weight: 600; } .part { color: #9a6700; font-weight: 600; }
.zero { color: #cf222e; font-weight: 600; } .no { color: #cf222e; font-weight: 600; }
.meta { color: #57606a; font-size: 13px; }
.notbench { background: #fff8c5; border: 1px solid #d4a72c; padding: 0.6em 0.9em; }
blockquote { border-left: 4px solid #d0d7de; margin-left: 0; padding-left: 1em; color: #57606a; }
"""


def score_class(score, max_score):
    return "full" if score >= max_score else "zero" if score <= 0 else "part"


def load_grades(grades_dir):
    """Every out/grades/<lab>/<impl>.json, sorted by lab then impl. Raises on a broken file."""
    grades = []
    for path in sorted(Path(grades_dir).glob("*/*.json")):
        try:
            g = json.loads(path.read_text())
            for key in ("lab", "impl", "score", "max_score", "parts"):
                if key not in g:
                    raise KitError(f"no {key!r}")
        except (ValueError, KitError) as e:
            raise KitError(f"{path}: not a grade file ({e})") from None
        grades.append(g)
    return sorted(grades, key=lambda g: (g["lab"], g["impl"], g.get("sanitize") or ""))


def scoreboard_html(grades):
    if not grades:
        return "<p>No lab has been graded yet: run <code>make grade LAB=NN-name</code>.</p>"
    rows = []
    for g in grades:
        parts = " &nbsp; ".join(
            f'<span class="{score_class(p["score"], p["max_score"])}" '
            f'title="{esc(str(p.get("title", "")))}">{esc(str(p["part"]))} '
            f'{keelviz.format_number(p["score"])}/{keelviz.format_number(p["max_score"])}</span>'
            for p in g["parts"])
        tests = g.get("tests", [])
        passed = sum(t.get("status") == "PASS" for t in tests)
        when = " ".join(x for x in (g.get("date", ""), g.get("commit", "")) if x)
        sanitize = g.get("sanitize") or "none"
        failed = ' <span class="zero">(build failed)</span>' if g.get("build_failed") else ""
        rows.append(
            f"<tr><td>{esc(g['lab'])}</td><td><code>{esc(g['impl'])}</code></td>"
            f"<td>{esc(str(sanitize))}</td>"
            f'<td class="{score_class(g["score"], g["max_score"])}">'
            f"{keelviz.format_number(g['score'])} / {keelviz.format_number(g['max_score'])}"
            f"{failed}</td>"
            f"<td>{parts}</td><td>{passed} of {len(tests)}</td>"
            f'<td class="meta">{esc(when)}</td></tr>')
    return ("<table><thead><tr><th>lab</th><th>implementation</th><th>sanitizer</th>"
            "<th>score</th><th>per part</th><th>tests passed</th><th>graded</th></tr></thead>"
            "<tbody>\n" + "\n".join(rows) + "\n</tbody></table>")


def lab_map_dot(lab_vars, planned, grades):
    """DOT for the labs and what each needs: the kit's labs (lab_vars: {lab: keelkit.LabVars})
    solid, with their TITLE and NEEDS; the planned ones (keelkit.planned_labs()) dashed. A lab
    both in the kit and in labs/PLANNED is drawn as the lab it now is. Raises KitError when a
    planned lab needs one that is neither."""
    best = {}  # the grade a node shows: the reference's plain (unsanitized) run if there is one
    for g in grades:
        rank = (g["impl"] == "reference", not g.get("sanitize"))
        if g["lab"] not in best or rank > best[g["lab"]][0]:
            best[g["lab"]] = (rank, g)
    best = {lab: g for lab, (_, g) in best.items()}
    planned = [p for p in planned if p.name not in lab_vars]
    known = set(lab_vars) | {p.name for p in planned}
    lines = ["digraph keel_labs {",
             '  rankdir=LR; bgcolor="transparent"; nodesep=0.35; ranksep=0.6;',
             '  node [shape=box, style="rounded,filled", fontname="sans-serif", fontsize=11,'
             ' fillcolor="#ddf4ff", color="#0969da"];',
             '  edge [fontname="sans-serif", fontsize=9, color="#57606a", fontcolor="#57606a"];']

    def q(s):  # a DOT string; the labels' "\\n" line breaks are meant for dot
        return '"' + s.replace('"', '\\"') + '"'

    edges = []
    for lab, v in sorted(lab_vars.items()):
        label = lab + ("\\n" + v.title if v.title else "")
        if lab in best:
            g = best[lab]
            label += (f"\\ngraded {g['impl']}: {keelviz.format_number(g['score'])}"
                      f"/{keelviz.format_number(g['max_score'])}")
        lines.append(f"  {q(lab)} [label={q(label)}];")
        edges += [(n, lab, False) for n in v.needs]
    for p in planned:
        unknown = [n for n in p.needs if n not in known]
        if unknown:
            raise KitError(f"labs/PLANNED: {p.name} needs {', '.join(unknown)}, which is "
                           "neither a lab nor planned")
        label = p.name + ("\\n" + p.title if p.title else "") + "\\n(planned)"
        lines.append(f'  {q(p.name)} [label={q(label)}, style="rounded,dashed", '
                     'fillcolor="white", color="#8c959f", fontcolor="#57606a"];')
        edges += [(n, p.name, True) for n in p.needs]
    for needed, lab, is_planned in edges:
        lines.append(f"  {q(needed)} -> {q(lab)}" + (" [style=dashed]" if is_planned else "")
                     + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_dot(dot_text):
    """The SVG `dot -Tsvg` makes of dot_text, without its XML prologue, to inline in a page."""
    if not shutil.which("dot"):
        raise KitError("graphviz's dot is not installed (make deps installs graphviz)")
    proc = subprocess.run(["dot", "-Tsvg"], input=dot_text, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise KitError(f"dot -Tsvg failed:\n{proc.stderr.strip()}")
    svg = proc.stdout
    return svg[svg.index("<svg"):]


def plot_img_html(lab, name):
    return (f'<p><a href="plots/{esc(lab)}/{esc(name)}.svg">'
            f'<img src="plots/{esc(lab)}/{esc(name)}.png" alt="plot {esc(name)}"></a></p>')


class LabPage:
    """One lab's section: html, and the plots and CSVs it needs copied beside the page."""

    def __init__(self, lab, html, plots=(), csvs=()):
        self.lab, self.html, self.plots, self.csvs = lab, html, list(plots), list(csvs)


def lab_section(lab, v, in_dir, errors):
    """The lab's section (v: its keelkit.LabVars). Appends every problem (file:line for
    placeholders) to errors."""
    head = (f'<h2 id="lab-{esc(lab)}">{esc(lab)}{": " + esc(v.title) if v.title else ""}</h2>'
            + (f'\n<p class="sub">{esc(v.summary)}</p>' if v.summary else ""))
    results_dir = keelviz.ResultsDir(Path(in_dir) / "results" / lab)
    notes = ROOT / "notes" / f"{lab}.md"
    notes_rel = notes.relative_to(ROOT)
    if not results_dir.path.is_dir() or not results_dir.benches():
        why = (f"Its notes (<code>{esc(str(notes_rel))}</code>) quote measurements, so they "
               "are not rendered without them." if notes.is_file() else "")
        return LabPage(lab, head + '<p class="notbench"><strong>Not benchmarked in this run.'
                       f"</strong> Run <code>harness/bench {esc(lab)}</code> first. {why}</p>")
    try:
        meta = results_dir.run_meta()
        targets = keelviz.parse_targets(keelkit.labs_dir() / lab / "bench" / "targets")
        targets_csv = results_dir.path / "targets.csv"
        computed = None
        if targets:
            if not targets_csv.is_file():
                raise KitError(f"{targets_csv} is missing but labs/{lab}/bench/targets sets "
                                f"targets: rerun harness/bench {lab}")
            computed = keelviz.read_targets_csv(targets_csv, targets)
    except KitError as e:
        errors.append(f"{lab}: {e}")
        return LabPage(lab, head)
    plots_dir = Path(in_dir) / "plots" / lab
    shown = ", ".join(f"{k} <code>{esc(meta[k])}</code>"
                      for k in ("impl", "mode", "commit", "date", "cpu", "cores") if k in meta)
    csvs = [results_dir.path / f"{b}.csv" for b in results_dir.benches()]
    links = ", ".join(f'<a href="data/{esc(lab)}/{esc(p.name)}">{esc(p.name)}</a>' for p in csvs)
    parts = [head, f'<p class="meta">Run: {shown}. Data: {links}.</p>']
    if meta.get("mode") == "smoke":
        parts.append('<p class="notbench">A smoke run (<code>harness/bench --smoke</code>): it '
                     'checks that every number below can be computed; the numbers themselves '
                     'measure nothing. <code>make bench</code> measures.</p>')
    ctx = keelviz.NotesContext(lab, results_dir, computed, plots_dir,
                               lambda name, ext: f"plots/{lab}/{name}.{ext}", v.peer_benches)
    if notes.is_file():
        filled, errs = keelviz.fill_placeholders(notes.read_text(), str(notes_rel), ctx)
        errors.extend(errs)
        body = ctx.restore(keelmd.render_markdown(filled, heading_offset=2))
        parts.append('<div class="notes">' + body
                     + f'<p class="meta">From <code>{esc(str(notes_rel))}</code>, its numbers '
                     "filled in from this run.</p></div>")
    if not ctx.targets_used:  # the notes did not show the table themselves
        parts += ["<h3>Targets</h3>",
                  keelmd.render_markdown(keelviz.targets_markdown(computed or []))]
    all_plots = sorted(p.stem for p in plots_dir.glob("*.png"))
    rest = [p for p in all_plots if p not in ctx.plots_used]
    if rest:
        parts.append("<h3>Plots</h3>" if not ctx.plots_used else "<h3>More plots</h3>")
        parts += [plot_img_html(lab, name) for name in rest]
    return LabPage(lab, "\n".join(parts), all_plots, csvs)


def load_sweeps(mutate_dir, labs):
    """OUT/mutate/<lab>/summary.json of each lab's last mutation sweep (harness/mutate), by lab;
    a lab never swept is absent. Raises on a broken file."""
    sweeps = {}
    for lab in labs:
        path = Path(mutate_dir) / lab / "summary.json"
        if not path.is_file():
            continue
        try:
            s = json.loads(path.read_text())
            for key in ("mutants", "tried", "killed", "stillborn", "survived", "explained",
                        "unexplained", "seed"):
                if key not in s:
                    raise KitError(f"no {key!r}")
        except (ValueError, KitError) as e:
            raise KitError(f"{path}: not a sweep summary ({e})") from None
        sweeps[lab] = recount_explained(s, keelkit.mutants_dir() / lab / "survivors")
    return sweeps


def recount_explained(summary, survivors_file):
    """summary with its survivors counted explained or not by the survivors file as it is now
    (a reason written after the sweep counts), when the sweep listed each mutant's outcome."""
    outcomes = summary.get("outcomes")
    if not outcomes or not Path(survivors_file).is_file():
        return summary
    reasons = {words[0] for _, words, _ in keelkit.data_lines(survivors_file)}
    survived = [o["id"] for o in outcomes if o.get("status") == "survived"]
    explained = sum(ident in reasons for ident in survived)
    return dict(summary, explained=explained, unexplained=len(survived) - explained)


def sweeps_html(sweeps):
    if not sweeps:
        return ("<p>No mutation sweep has run: <code>make mutate LAB=NN-name MAX=200</code> "
                "makes mutants of the reference and shows which ones the tests let through.</p>")
    rows = []
    for lab, s in sweeps.items():
        equivalent = s.get("equivalent", 0)
        viable = s["tried"] - s["stillborn"] - equivalent
        caught = s["killed"] + s["explained"]
        score = f"{100 * caught / viable:.1f}%" if viable else "-"
        klass = "full" if s["unexplained"] == 0 else "part"
        sample = (f"{s['tried']} of {s['mutants']}" if s["tried"] < s["mutants"]
                  else f"all {s['mutants']}")
        when = " ".join(x for x in (s.get("date", ""), s.get("commit", "")) if x)
        rows.append(
            f"<tr><td>{esc(lab)}</td><td>{esc(sample)} (seed {esc(str(s['seed']))})</td>"
            f"<td>{s['killed']}</td><td>{s['explained']}</td>"
            f'<td class="{klass}">{s["unexplained"]}</td><td>{s["stillborn"]}</td>'
            f"<td>{equivalent}</td>"
            f'<td class="{klass}">{score}</td><td class="meta">{esc(when)}</td></tr>')
    return ("<p class=\"meta\">Mutants the sweep made from each reference and tried against "
            "the lab's tests, in its last sweep: killed by a test, survived but explained "
            "(equivalent, or no test should see them: "
            "<code>harness/mutants/NN-name/survivors</code> as it reads now), survived and "
            "unexplained (a missing test); stillborn (did not compile) and equivalent (compiled to "
            "the reference's own machine code) are not counted.</p>"
            "<table><thead><tr><th>lab</th><th>mutants tried</th><th>killed</th>"
            "<th>explained</th><th>unexplained</th><th>stillborn</th><th>equivalent</th>"
            "<th>score</th>"
            "<th>swept</th></tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>")


def page_html(scoreboard, map_svg, sections, labs, sweeps=""):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    toc = " · ".join(f'<a href="#lab-{esc(lab)}">{esc(lab)}</a>' for lab in labs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keel report</title><style>{CSS}</style></head>
<body>
<h1>Keel report</h1>
<p class="sub">Built {esc(now)} by <code>visualize/report.py</code>. Labs: {toc}</p>
<h2 id="scoreboard">Scoreboard</h2>
{scoreboard}
<h2 id="teeth">Tests with teeth: the mutation sweeps</h2>
{sweeps}
<h2 id="map">The labs and what each builds on</h2>
<p class="meta">An arrow from A to B: B builds on A. Dashed: planned, not in the kit yet.</p>
<div class="map">{map_svg}</div>
{chr(10).join(sections)}
</body></html>
"""


def build(out_dir, in_dir):
    """Writes the report; returns the list of errors (empty on success: nothing is written
    unless every lab's section could be built)."""
    errors = []
    labs = keelkit.all_labs()
    try:
        lab_vars = {lab: keelkit.lab_vars(lab) for lab in labs}
        grades = load_grades(Path(in_dir) / "grades")
        sweeps = load_sweeps(Path(in_dir) / "mutate", labs)
        map_svg = render_dot(lab_map_dot(lab_vars, keelkit.planned_labs(), grades))
    except KitError as e:
        return [str(e)]
    pages = [lab_section(lab, lab_vars[lab], in_dir, errors) for lab in labs]
    if errors:
        return errors
    for sub in ("plots", "data"):
        if (Path(out_dir) / sub).exists():
            shutil.rmtree(Path(out_dir) / sub)
    for page in pages:
        for name in page.plots:
            dest = Path(out_dir) / "plots" / page.lab
            dest.mkdir(parents=True, exist_ok=True)
            for ext in ("png", "svg"):
                src = Path(in_dir) / "plots" / page.lab / f"{name}.{ext}"
                if src.is_file():
                    shutil.copy2(src, dest / src.name)
        for csv_path in page.csvs:
            dest = Path(out_dir) / "data" / page.lab
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(csv_path, dest / csv_path.name)
    index = Path(out_dir) / "index.html"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(page_html(scoreboard_html(grades), map_svg, [p.html for p in pages], labs,
                               sweeps_html(sweeps)))
    return []


def main(argv):
    p = argparse.ArgumentParser(prog="visualize/report.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(keelkit.out_dir() / "report"),
                   help="where index.html goes (default: OUT/report; OUT is $KEEL_OUT or out)")
    p.add_argument("--in", dest="in_dir", default=str(keelkit.out_dir()),
                   help="where grades/, results/ and plots/ are (default: OUT)")
    args = p.parse_args(argv)
    errors = build(Path(args.out), Path(args.in_dir))
    if errors:
        # An old page would show numbers from another run as if they were this one's.
        (Path(args.out) / "index.html").unlink(missing_ok=True)
        for e in errors:
            print(e, file=sys.stderr)
        print(f"report: FAILED with {len(errors)} error(s); "
              f"{Path(args.out) / 'index.html'} not written", file=sys.stderr)
        return 1
    print(f"report: {(Path(args.out) / 'index.html').resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
