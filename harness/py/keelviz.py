"""keelviz -- Keel's benchmark-to-report pipeline: results CSVs, selectors, targets and the
placeholders in notes. harness/bench and visualize/report.py import it (with keelkit, beside
it); harness/tests/test_report.py tests it.
Read in this order: results CSVs (read_results), selectors (Selector, pick), targets
(parse_targets, evaluate_targets), placeholders (fill_placeholders). Markdown is in keelmd.py.
Every failure is a keelkit.KitError whose message a user can act on; nothing here exits or
prints. Python 3 standard library only.
"""

import csv
import html
import io
import math
import re
import shlex
from pathlib import Path

from keelkit import KitError
from keelmd import md_escape

# A results CSV opens with this comment line, then the bench binary's CSV verbatim.
META_PREFIX = "# keel "

# What a number reads in a run without peers when it needs one (a target marked `peers`, a
# value from one of a lab's PEER_BENCHES): the command that measures it, so that what
# `make demo` shows never depends on which peers are installed (DESIGN.md).
PEERS_NEEDED_TEXT = "needs PEERS=1"


# ---- Results CSVs -------------------------------------------------------------------------------


def format_meta(meta):
    """The metadata comment line (no newline) for an ordered dict of key -> value."""
    parts = []
    for key, value in meta.items():
        value = str(value).replace('"', "'")
        if value == "" or re.search(r"[\s'\\]", value):
            value = '"' + value + '"'
        parts.append(f"{key}={value}")
    return META_PREFIX + " ".join(parts)


def parse_meta(line):
    """The inverse of format_meta. Raises KitError if line is not a keel metadata line."""
    if not line.startswith(META_PREFIX):
        raise KitError(f"not a keel metadata line: {line.strip()!r}")
    meta = {}
    try:
        words = shlex.split(line[len(META_PREFIX):])
    except ValueError as e:
        raise KitError(f"bad metadata line ({e}): {line.strip()!r}") from None
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            raise KitError(f"metadata word without '=': {word!r}")
        meta[key] = value
    return meta


def parse_csv_text(text, origin):
    """Checks a bench binary's CSV output and returns (header, rows as dicts).

    Raises KitError when it is empty, has no data rows, or a row has the wrong width:
    partial output is never plotted."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise KitError(f"{origin}: no CSV output")
    if lines[0].startswith("#"):
        raise KitError(f"{origin}: the CSV header must come first, got {lines[0]!r}")
    records = list(csv.reader(io.StringIO("\n".join(lines))))
    header = [h.strip() for h in records[0]]
    if len(set(header)) != len(header) or not all(header):
        raise KitError(f"{origin}: bad CSV header {lines[0]!r}")
    if len(records) < 2:
        raise KitError(f"{origin}: CSV header but no rows")
    rows = []
    for lineno, rec in enumerate(records[1:], start=2):
        if len(rec) != len(header):
            raise KitError(f"{origin}: CSV line {lineno} has {len(rec)} fields, "
                            f"the header has {len(header)}")
        rows.append({h: v.strip() for h, v in zip(header, rec)})
    return header, rows


class Results:
    """One results CSV: meta (dict), header (list), rows (list of dicts), path."""

    def __init__(self, path, meta, header, rows):
        self.path, self.meta, self.header, self.rows = path, meta, header, rows


def read_results(path):
    """Reads out/results/<lab>/<bench>.csv. Raises KitError if missing or malformed."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise KitError(f"{path} does not exist") from None
    first, _, rest = text.partition("\n")
    meta = parse_meta(first)
    header, rows = parse_csv_text(rest, str(path))
    return Results(path, meta, header, rows)


# ---- Selectors: BENCH/COLUMN[key=value,...] ------------------------------------------------------

_NAME = r"[A-Za-z0-9_.+-]+"
_SELECTOR_RE = re.compile(rf"^({_NAME})/({_NAME})(?:\[([^\]]*)\])?$")


class Selector:
    """Names one cell: COLUMN of the one row of BENCH.csv whose columns match every key=value."""

    def __init__(self, text):
        self.text = text.strip()
        m = _SELECTOR_RE.match(self.text)
        if not m:
            raise KitError(f"bad selector {self.text!r}: expected BENCH/COLUMN[key=value,...]")
        self.bench, self.column = m.group(1), m.group(2)
        self.filters = []
        inside = (m.group(3) or "").strip()
        for item in inside.split(",") if inside else []:
            key, sep, value = item.partition("=")
            if not sep or not key.strip():
                raise KitError(f"bad selector {self.text!r}: {item.strip()!r} is not key=value")
            self.filters.append((key.strip(), value.strip()))

    def __str__(self):
        return self.text


def _same_value(cell, wanted):
    if cell == wanted:
        return True
    try:
        return float(cell) == float(wanted)
    except ValueError:
        return False


def pick(selector, results, must_be_ok=False):
    """The selector's cell in results (a Results), as a string.
    Raises KitError unless exactly one row matches and every named column exists; with
    must_be_ok, also when the row has a status column that says anything but ok (a server that
    died, a stalled run: its zeros are not a measurement)."""
    for name in [selector.column] + [k for k, _ in selector.filters]:
        if name not in results.header:
            raise KitError(f"{selector}: {results.path.name} has no column {name!r} "
                            f"(columns: {', '.join(results.header)})")
    rows = [r for r in results.rows
            if all(_same_value(r[k], v) for k, v in selector.filters)]
    if len(rows) != 1:
        what = "no row matches" if not rows else f"{len(rows)} rows match"
        raise KitError(f"{selector}: {what} in {results.path.name}; "
                        "a selector must pick exactly one row")
    status = rows[0].get("status", "")
    if must_be_ok and status not in ("", "ok"):
        raise KitError(f"{selector}: the row's status is {status!r}, not 'ok', so its "
                        "numbers are not a measurement")
    return rows[0][selector.column]


class ResultsDir:
    """The CSVs of one lab's run, read on first use."""

    def __init__(self, path):
        self.path = Path(path)
        self._cache = {}

    def results(self, bench):
        if bench not in self._cache:
            self._cache[bench] = read_results(self.path / f"{bench}.csv")
        return self._cache[bench]

    def value(self, selector, must_be_ok=False):
        return pick(selector, self.results(selector.bench), must_be_ok)

    def number(self, selector, must_be_ok=False):
        text = self.value(selector, must_be_ok)
        try:
            x = float(text)
        except ValueError:
            raise KitError(f"{selector}: {text!r} is not a number") from None
        if not math.isfinite(x):
            raise KitError(f"{selector}: {text!r} is not a finite number")
        return x

    def benches(self):
        return sorted(p.stem for p in self.path.glob("*.csv") if p.name != "targets.csv")

    def run_meta(self):
        """The metadata shared by every CSV of the run (bench= differs, so it is left out)."""
        benches = self.benches()
        if not benches:
            raise KitError(f"no results in {self.path}")
        metas = [self.results(b).meta for b in benches]
        common = {}
        for key, value in metas[0].items():
            if key != "bench" and all(m.get(key) == value for m in metas[1:]):
                common[key] = value
        return common


# ---- Numbers ------------------------------------------------------------------------------------


def format_number(x, significant=3):
    """x to `significant` figures with thousands separators: 1234567 -> '1,230,000',
    12.345 -> '12.3', 0.012345 -> '0.0123'; a whole number shows no decimals: 16 -> '16'."""
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    digits = math.floor(math.log10(abs(x)))
    rounded = round(x, significant - 1 - digits)
    if rounded != 0:
        digits = math.floor(math.log10(abs(rounded)))  # 999.7 rounds up a digit
    decimals = 0 if float(x).is_integer() else max(0, significant - 1 - digits)
    return f"{rounded:,.{decimals}f}"


def format_value(text):
    """A CSV cell for prose: numbers to 3 significant figures, anything else unchanged."""
    try:
        x = float(text)
    except ValueError:
        return text
    return format_number(x)


def format_ratio(x):
    return format_number(x) + "\u00d7"


# ---- Targets ------------------------------------------------------------------------------------

_GOAL_RE = re.compile(r"^(>=|<=|>|<)\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)$")


class Goal:
    """A bound on a ratio, written like '>=0.25' or '<=1.2'."""

    def __init__(self, text):
        self.text = text.strip()
        m = _GOAL_RE.match(self.text)
        if not m:
            raise KitError(f"bad goal {text!r}: expected >=X, <=X, >X or <X")
        self.op, self.bound = m.group(1), float(m.group(2))

    def holds(self, ratio):
        return {">=": ratio >= self.bound, "<=": ratio <= self.bound,
                ">": ratio > self.bound, "<": ratio < self.bound}[self.op]

    def __str__(self):
        return self.text


_CONSTANT_RE = re.compile(r"^[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?$")


class Constant:
    """A target's operand written as a number (a budget such as 16384 bytes), not a selector."""

    def __init__(self, text):
        self.text = text.strip()
        self.value = float(self.text)

    def __str__(self):
        return self.text


def operand(text):
    """A NUMERATOR or DENOMINATOR: a positive number is a Constant, anything else a Selector."""
    return Constant(text) if _CONSTANT_RE.match(text.strip()) else Selector(text)


# The word after DENOMINATOR that marks a target measured only in runs with --peers.
PEERS_FLAG = "peers"


class Target:
    def __init__(self, name, goal, numerator, denominator, description, where,
                 needs_peers=False):
        self.name, self.goal, self.description, self.where = name, goal, description, where
        self.numerator, self.denominator = numerator, denominator
        self.needs_peers = needs_peers


def parse_targets(path):
    """labs/<lab>/bench/targets: `NAME GOAL NUMERATOR DENOMINATOR [peers] [description...]`
    lines, '#' comments. NUMERATOR and DENOMINATOR are selectors or numbers; the word `peers`
    right after them marks a target whose numbers exist only in a run with --peers.
    A missing file means no targets. Raises KitError (file:line) on bad lines."""
    path = Path(path)
    if not path.is_file():
        return []
    targets, seen = [], set()
    for lineno, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{lineno}"
        words = line.split()
        if len(words) < 4:
            raise KitError(f"{where}: expected NAME GOAL NUMERATOR DENOMINATOR [description]")
        name = words[0]
        if not re.match(r"^[A-Za-z0-9_.-]+$", name):
            raise KitError(f"{where}: bad target name {name!r}")
        if name in seen:
            raise KitError(f"{where}: target {name} is defined twice")
        seen.add(name)
        try:
            goal, num, den = Goal(words[1]), operand(words[2]), operand(words[3])
        except KitError as e:
            raise KitError(f"{where}: {e}") from None
        needs_peers = len(words) > 4 and words[4] == PEERS_FLAG
        rest = words[5:] if needs_peers else words[4:]
        targets.append(Target(name, goal, num, den, " ".join(rest), where, needs_peers))
    return targets


class TargetResult:
    """ratio and holds are None when the target was not measured (is_skipped: it needs
    --peers and the run had none)."""

    def __init__(self, name, ratio, goal, holds, description="", is_skipped=False):
        self.name, self.ratio, self.goal, self.holds = name, ratio, goal, holds
        self.description, self.is_skipped = description, is_skipped


# targets.csv files written before the text above was settled say this instead; still read.
_SKIPPED_TEXT_OLD = "needs --peers"


def _operand_value(results_dir, op):
    """A target's operand: a constant, or a measured number from a row whose status (if it
    has one) is ok and which is not zero (a rate or a time of zero measured nothing)."""
    if isinstance(op, Constant):
        return op.value
    x = results_dir.number(op, must_be_ok=True)
    if x == 0:
        raise KitError(f"{op}: is zero, so nothing was measured")
    return x


def evaluate_targets(targets, results_dir, has_peers=True):
    """Each target's ratio from this run's CSVs. Raises one KitError listing every target
    whose numbers are missing (naming the target and the selector): never a silent skip.
    Without has_peers, a target marked `peers` is not computed but listed as skipped."""
    if not isinstance(results_dir, ResultsDir):
        results_dir = ResultsDir(results_dir)
    out, errors = [], []
    for t in targets:
        if t.needs_peers and not has_peers:
            out.append(TargetResult(t.name, None, str(t.goal), None, t.description, True))
            continue
        try:
            num = _operand_value(results_dir, t.numerator)
            den = _operand_value(results_dir, t.denominator)
            if den == 0:
                raise KitError(f"{t.denominator}: is zero, the ratio is undefined")
        except KitError as e:
            errors.append(f"target {t.name} ({t.where}): {e}")
            continue
        ratio = num / den
        out.append(TargetResult(t.name, ratio, str(t.goal), t.goal.holds(ratio), t.description))
    if errors:
        raise KitError("\n".join(errors))
    return out


def write_targets_csv(path, results):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "ratio", "goal", "holds"])
        for r in results:
            if r.is_skipped:
                w.writerow([r.name, "", r.goal, PEERS_NEEDED_TEXT])
            else:
                w.writerow([r.name, f"{r.ratio:.6g}", r.goal, "yes" if r.holds else "no"])


def read_targets_csv(path, targets=()):
    """out/results/<lab>/targets.csv; descriptions come from the parsed targets file."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise KitError(f"{path} does not exist") from None
    header, rows = parse_csv_text(text, str(path))
    if header != ["name", "ratio", "goal", "holds"]:
        raise KitError(f"{path}: header must be name,ratio,goal,holds")
    described = {t.name: t.description for t in targets}
    try:
        return [TargetResult(r["name"], None, r["goal"], None, described.get(r["name"], ""), True)
                if r["holds"] in (PEERS_NEEDED_TEXT, _SKIPPED_TEXT_OLD) else
                TargetResult(r["name"], float(r["ratio"]), r["goal"], r["holds"] == "yes",
                             described.get(r["name"], "")) for r in rows]
    except ValueError:
        raise KitError(f"{path}: a ratio is not a number") from None


def targets_text(results):
    """An aligned plain-text table for the terminal, then 'N of M targets hold'."""
    rows = [("target", "ratio", "goal", "holds", "")]
    for r in results:
        if r.is_skipped:
            rows.append((r.name, "-", r.goal, PEERS_NEEDED_TEXT, r.description))
            continue
        rows.append((r.name, format_ratio(r.ratio), r.goal, "yes" if r.holds else "NO",
                     r.description))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(widths[i]) if i < 4 else cell
                       for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.append(_summary(results))
    return "\n".join(lines)


def _summary(results):
    """'N of M targets hold', and how many were not measured for want of peers."""
    measured = [r for r in results if not r.is_skipped]
    text = f"{sum(bool(r.holds) for r in measured)} of {len(measured)} targets hold"
    skipped = len(results) - len(measured)
    if skipped:
        text += f" ({skipped} more {'needs' if skipped == 1 else 'need'} PEERS=1)"
    return text


def targets_markdown(results):
    if not results:
        return "*This lab sets no targets.*"
    lines = ["| target | ratio | goal | holds | what it compares |",
             "| --- | ---: | :---: | :---: | --- |"]
    for r in results:
        holds = PEERS_NEEDED_TEXT if r.is_skipped else "yes" if r.holds else "**no**"
        ratio = "-" if r.is_skipped else format_ratio(r.ratio)
        lines.append(f"| `{r.name}` | {ratio} | {md_escape(r.goal)} | {holds} "
                     f"| {md_escape(r.description)} |")
    return "\n".join(lines)


# ---- Placeholders in notes ----------------------------------------------------------------------

_PLACEHOLDER_RE = re.compile(r"\{\{(.*?)\}\}")


_LITERAL_RE = re.compile("\ue000([0-9]+)\ue001")


class NotesContext:
    """What a lab's notes may quote: its results dir, targets and plots.

    targets is a list of TargetResult, or None when the run computed none.
    plots_dir holds <name>.png/.svg; plot_href(name, ext) is the link the page uses.
    peer_benches are the lab's PEER_BENCHES (lab.mk): benches that run only with --peers, so a
    value from one whose CSV is absent reads PEERS_NEEDED_TEXT instead of failing the build.
    A quoted value (a number, a metadata string) goes into the text as a token of two
    private-use characters around an index, which the Markdown renderer passes through as is;
    restore() swaps the value in after rendering. So a value reads the same in a paragraph, a
    table cell or a code span, and no value can be taken for Markdown."""

    def __init__(self, lab, results_dir, targets, plots_dir, plot_href, peer_benches=()):
        self.lab = lab
        self.peer_benches = frozenset(peer_benches)
        self.results = results_dir if isinstance(results_dir, ResultsDir) else ResultsDir(
            results_dir)
        self.targets = targets
        self.plots_dir = Path(plots_dir)
        self.plot_href = plot_href
        self.plots_used = []
        self.targets_used = False
        self.literals = []

    def literal(self, text):
        self.literals.append(str(text))
        return f"\ue000{len(self.literals) - 1}\ue001"

    def restore(self, text, escape=html.escape):
        """text (rendered HTML, or filled Markdown with escape=str) with every token replaced
        by its value, escaped by escape."""
        return _LITERAL_RE.sub(lambda m: escape(self.literals[int(m.group(1))]), text)

    def fill(self, body):
        kind, sep, arg = body.partition(":")
        kind, arg = kind.strip(), arg.strip()
        if kind == "results" and sep:
            selector = Selector(arg)
            if (selector.bench in self.peer_benches
                    and not (self.results.path / f"{selector.bench}.csv").is_file()):
                return self.literal(PEERS_NEEDED_TEXT)  # a peerless run: not a failure
            return self.literal(format_value(self.results.value(selector)))
        if kind == "meta" and sep:
            meta = self.results.run_meta()
            if arg not in meta:
                raise KitError(f"no metadata key {arg!r} shared by the run's CSVs "
                                f"(keys: {', '.join(meta)})")
            return self.literal(meta[arg])
        if kind == "target" and sep:
            if self.targets is None:
                raise KitError("the run computed no targets (no targets.csv)")
            for t in self.targets:
                if t.name == arg:
                    return self.literal(f"not measured ({PEERS_NEEDED_TEXT})" if t.is_skipped
                                        else format_ratio(t.ratio))
            raise KitError(f"no target named {arg!r}")
        if kind == "targets" and not sep:
            if self.targets is None:
                raise KitError("the run computed no targets (no targets.csv)")
            self.targets_used = True
            return "\n\n" + targets_markdown(self.targets) + "\n\n"
        if kind == "plot" and sep:
            if not re.match(r"^[A-Za-z0-9_.-]+$", arg):
                raise KitError(f"bad plot name {arg!r}")
            if (arg in self.peer_benches
                    and not (self.results.path / f"{arg}.csv").is_file()):
                return self.literal(f"(plot {arg}: {PEERS_NEEDED_TEXT})")  # a peerless run
            for ext in ("png", "svg"):
                if not (self.plots_dir / f"{arg}.{ext}").is_file():
                    raise KitError(f"{self.plots_dir / (arg + '.' + ext)} does not exist")
            if arg not in self.plots_used:
                self.plots_used.append(arg)
            return (f"[![plot {md_escape(arg)}]({self.plot_href(arg, 'png')})]"
                    f"({self.plot_href(arg, 'svg')})")
        raise KitError(f"unknown placeholder kind {kind!r} (results:, target:, targets, "
                        "plot:, meta:)")


def fill_placeholders(text, filename, ctx):
    """Replaces every {{...}} in text. Returns (filled text, errors): each error reads
    'FILE:LINE: cannot fill {{...}}: reason', and every unfillable placeholder is listed.
    Render the filled text as Markdown, then pass the HTML through ctx.restore()."""
    out_lines, errors = [], []
    for lineno, line in enumerate(text.split("\n"), start=1):
        def one(m, lineno=lineno):
            try:
                return ctx.fill(m.group(1))
            except KitError as e:
                errors.append(f"{filename}:{lineno}: cannot fill {m.group(0)}: {e}")
                return m.group(0)
        out_lines.append(_PLACEHOLDER_RE.sub(one, line))
    return "\n".join(out_lines), errors
