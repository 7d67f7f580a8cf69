"""keelkit -- what harness/grade, harness/bench, harness/check and visualize/report.py share:
where things are (ROOT, out_dir), how to ask make about a lab (lab_vars), the labs planned but
not yet in the kit (planned_labs), the commit a result came from, and a lab's rubric.
The benchmark-to-report pipeline is in keelviz.py beside it. Standard library only."""
import os
import re
import subprocess
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
VISIBILITIES = ("visible", "hidden", "after_due_date")


class KitError(Exception):
    """Something stops the kit from grading, measuring or reporting (bad input, missing data, a
    failed tool; never a student's failure). Its message is what the user reads: every tool
    prints it and exits non-zero, and nothing in the kit raises another kind on purpose."""


def labs_dir():
    return Path(os.environ.get("KEEL_LABS_DIR", ROOT / "labs"))


def ref_dir():
    return Path(os.environ.get("KEEL_REF_DIR", ROOT / "reference"))


def mutants_dir():
    """Where each lab's known mutants (NN-name/*.patch) and the sweep's explained survivors
    (NN-name/survivors) are: $KEEL_MUTANTS_DIR (the harness's own tests point it at their
    fixtures), else ROOT/harness/mutants."""
    return Path(os.environ.get("KEEL_MUTANTS_DIR", ROOT / "harness" / "mutants"))


def test_env():
    """The environment every run of a test binary gets (the grader's, the sweep's): the
    sanitizers' options, which only a sanitized build reads, and a TMPDIR. Leaks: the runner
    checks each passing test's process itself (runner.c), so none is checked at exit."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:leak_check_at_exit=0:abort_on_error=0:print_summary=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    env["TSAN_OPTIONS"] = "halt_on_error=1:second_deadlock_stack=1"
    env.setdefault("TMPDIR", "/tmp")
    return env


def out_dir():
    """Where every tool writes (builds, grades, results, plots, the report): $KEEL_OUT, else
    ROOT/out. The Makefile passes its OUT= on as KEEL_OUT, so `make demo OUT=x` writes only
    under x. Absolute: make runs from ROOT, so a relative KEEL_OUT (taken from the current
    directory, like any path a user types) would name another place there."""
    return Path(os.path.abspath(os.environ.get("KEEL_OUT", ROOT / "out")))


def all_labs():
    return sorted(p.parent.name for p in labs_dir().glob("*/lab.mk"))


def make_args(**variables):
    """The make command line, passing the fixture directories through when they are set."""
    args = ["make", "-s", "--no-print-directory", "-C", str(ROOT)]
    for name in ("KEEL_LABS_DIR", "KEEL_REF_DIR"):
        if name in os.environ:
            args.append(f"{name}={os.environ[name]}")
    args.append(f"OUT={out_dir()}")
    args += [f"{k}={v}" for k, v in variables.items() if v not in (None, "")]
    return args


@dataclass(frozen=True)
class LabVars:
    """A lab's lab.mk as `make labvars` prints it: the schema the Makefile names LAB_SCHEMA, then
    what make derives (NEEDS_ALL: NEEDS, transitively; IMPL_DIR and DEPS_DIRS: where the
    implementation's sources and those of the labs it needs come from, relative to ROOT unless
    absolute). title, summary and impl_dir (one directory) are strings; the rest lists of words.
    Each field is the make variable's name in lower case."""
    title: str
    summary: str
    needs: list
    student_srcs: list
    given_srcs: list
    reference_srcs: list
    tests: list
    benches: list
    peer_benches: list
    bins: list
    libs: list
    sanitizers: list
    bench_lto: list
    data: list
    needs_all: list
    impl_dir: str
    deps_dirs: list


def parse_lab_vars(text, lab):
    """LabVars from `make labvars` output: one NAME=VALUE line per variable. Raises KitError
    when a variable is missing (a Makefile older than this kit), so no tool reads a lab with
    a field silently empty."""
    printed = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            printed[name.strip()] = value.strip()
    values = {}
    for f in fields(LabVars):
        name = f.name.upper()
        if name not in printed:
            raise KitError(f"`make labvars LAB={lab}` printed no {name}= line")
        values[f.name] = printed[name] if f.type is str else printed[name].split()
    return LabVars(**values)


def lab_vars(lab, impl="labs", deps=None):
    """The lab's variables, as make sees them (the one reader of lab.mk: nothing in the kit
    parses a lab.mk itself, so a variable built with make functions reads as make builds it).
    Raises KitError when make cannot describe the lab."""
    proc = subprocess.run(make_args(LAB=lab, IMPL=impl, DEPS=deps or impl) + ["labvars"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise KitError(f"make cannot describe lab {lab}: {proc.stderr.strip()}")
    return parse_lab_vars(proc.stdout, lab)


def data_lines(path):
    """The lines of one of the kit's data files (rubric, PLANNED): yields (where, words, raw)
    for each line that holds anything, where being FILE:LINE for messages and raw the line as
    written, stripped; `#` starts a comment."""
    for number, raw in enumerate(Path(path).read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            yield f"{path}:{number}", line.split(), raw.strip()


@dataclass(frozen=True)
class PlannedLab:
    """A lab the course plans but the kit does not hold yet (a line of labs/PLANNED)."""
    name: str
    needs: list
    title: str


def planned_labs(path=None):
    """The labs in labs/PLANNED (under KEEL_LABS_DIR when set), in file order; [] when there is
    no such file. Lines: `NAME NEEDS,COMMA,LIST|- Title words...`; `#` starts a comment.
    Raises KitError (file:line) on a line it cannot read or a name listed twice."""
    path = Path(path) if path is not None else labs_dir() / "PLANNED"
    if not path.is_file():
        return []
    planned, seen = [], set()
    for where, words, raw in data_lines(path):
        if len(words) < 3:
            raise KitError(f"{where}: expected NAME NEEDS,COMMA,LIST|- Title: {raw}")
        name, needs = words[0], [] if words[1] == "-" else words[1].split(",")
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or not all(needs):
            raise KitError(f"{where}: cannot read this line: {raw}")
        if name in seen:
            raise KitError(f"{where}: {name} is listed twice")
        seen.add(name)
        planned.append(PlannedLab(name, needs, " ".join(words[2:])))
    return planned


def build_dir(lab, impl, deps=None, sanitize=None):
    proc = subprocess.run(make_args(LAB=lab, IMPL=impl, DEPS=deps or impl, SANITIZE=sanitize)
                          + ["builddir"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise KitError(f"make cannot name the build directory: {proc.stderr.strip()}")
    path = Path(proc.stdout.strip())
    return path if path.is_absolute() else ROOT / path


def git_commit():
    """The commit a grade or a result came from: the short sha, with '+dirty' when anything in
    the checkout differs from it -- a changed tracked file or an untracked one that git does not
    ignore (out/ is ignored). Untracked files count because a new source or bench not yet
    committed changes what was built, and the sha alone could not rebuild it. 'unknown'
    outside a git checkout (an unpacked handout)."""
    try:
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"],
                               capture_output=True, text=True).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"


@dataclass
class Part:
    letter: str
    anchor: str
    title: str
    tests: list = field(default_factory=list)

    @property
    def max_points(self):
        return sum(t.points for t in self.tests)


@dataclass
class RubricTest:
    name: str
    part: str
    points: float
    timeout_s: float
    visibility: str


@dataclass
class Rubric:
    path: Path
    parts: dict  # letter -> Part, in file order
    tests: list  # RubricTest, in file order
    limits: dict  # rlimit name -> value

    @property
    def max_points(self):
        return sum(t.points for t in self.tests)

    def test(self, name):
        return next((t for t in self.tests if t.name == name), None)


LIMIT_NAMES = ("cpu_s", "as_mib", "nproc", "fsize_mib", "nofile")


def parse_rubric(path):
    """Reads tests/rubric. Lines: `part LETTER ANCHOR Title...`,
    `test NAME PART POINTS TIMEOUT_S VISIBILITY`, `limit NAME VALUE`; `#` starts a comment."""
    path = Path(path)
    if not path.exists():
        raise KitError(f"{path}: no rubric")
    parts, tests, limits = {}, [], {}
    for where, words, raw in data_lines(path):
        if words[0] == "part" and len(words) >= 4:
            parts[words[1]] = Part(words[1], words[2], " ".join(words[3:]))
        elif words[0] == "test" and len(words) == 6:
            name, part, points, timeout_s, visibility = words[1:]
            if part not in parts:
                raise KitError(f"{where}: test {name} names part {part}, which no part line defines")
            if visibility not in VISIBILITIES:
                raise KitError(f"{where}: visibility must be one of {', '.join(VISIBILITIES)}")
            if any(t.name == name for t in tests):
                raise KitError(f"{where}: test {name} is listed twice")
            try:
                test = RubricTest(name, part, float(points), float(timeout_s), visibility)
            except ValueError:
                raise KitError(f"{where}: points and timeout must be numbers: {raw}")
            if test.points < 0 or test.timeout_s <= 0:
                raise KitError(f"{where}: points must be >= 0 and the timeout > 0")
            tests.append(test)
            parts[part].tests.append(test)
        elif words[0] == "limit" and len(words) == 3 and words[1] in LIMIT_NAMES:
            limits[words[1]] = int(words[2])
        else:
            raise KitError(f"{where}: cannot read this line: {raw}")
    if not tests:
        raise KitError(f"{path}: the rubric lists no tests")
    return Rubric(path, parts, tests, limits)


# A test's entry in a test file's list: cmocka_unit_test(NAME), or a variant with set-up and
# tear-down functions after the name.
_UNIT_TEST_RE = re.compile(r"\bcmocka_unit_test\w*\(\s*(\w+)")


def kit_tests(lab, test_bins):
    """{test name: test binary name} from the kit's own test sources (labs/LAB/tests/BIN.c), so
    the grader knows what the tests are without running any code a submission supplied.
    `harness/grade LAB --check-rubric` checks this against the reference's `--list`."""
    names = {}
    for test_bin in test_bins:
        source = labs_dir() / lab / "tests" / f"{test_bin}.c"
        try:
            text = source.read_text()
        except OSError as e:
            raise KitError(f"cannot read {source}: {e.strerror}") from None
        for name in _UNIT_TEST_RE.findall(text):
            if names.setdefault(name, test_bin) != test_bin:
                raise KitError(f"{source}: test {name} is also in {names[name]}.c")
    return names


def readme_grading_table(readme):
    """The README's grading table as {part letter: points}: rows like `| A | Title | 30 |`."""
    table = {}
    for line in Path(readme).read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(r"[A-Z]", cells[0]):
            try:
                table[cells[0]] = float(cells[-1])
            except ValueError:
                continue
    return table


def _expand_braces(text):
    """`test_a_{tas,mcs}_x` -> [test_a_tas_x, test_a_mcs_x]; each {...} group in turn."""
    match = re.search(r"\{([^{}]*)\}", text)
    if match is None:
        return [text]
    return [name for choice in match.group(1).split(",")
            for name in _expand_braces(text[:match.start()] + choice + text[match.end():])]


@dataclass
class ReadmeTestRow:
    line: int      # 1-based, in README.md
    names: list    # the tests the row's first cell names, braces expanded
    points: str    # its points cell as written: "3", "2 each"


def readme_test_rows(readme):
    """The README's per-test grading rows: the rows of every table whose header starts
    `| test | points |` (lab 01's and 02's; a part-total table has none). A row's first cell
    names one test or several in backquotes, and `test_a_{tas,ttas}_x` stands for two."""
    rows, columns = [], None
    for number, line in enumerate(Path(readme).read_text().splitlines(), 1):
        if not line.lstrip().startswith("|"):
            columns = None  # a table ends at its first line that is not a row
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if columns is None:  # the header row
            columns = [c.lower() for c in cells]
            continue
        if len(columns) < 2 or columns[:2] != ["test", "points"] or set(cells[0]) <= {"-", " "}:
            continue
        names = [n for quoted in re.findall(r"`([^`]+)`", cells[0]) for n in _expand_braces(quoted)]
        rows.append(ReadmeTestRow(number, names, cells[1] if len(cells) > 1 else ""))
    return rows


def readme_test_rows_problems(readme, rubric):
    """What is wrong with the README's per-test grading rows against the rubric: a test missing,
    one the rubric does not have, one listed twice, points that differ. None of it when the
    README has no per-test rows (a table of part totals only is complete by itself)."""
    rows = readme_test_rows(readme)
    if not rows:
        return []
    problems, seen = [], {}
    for row in rows:
        where = f"README.md:{row.line}"
        match = re.fullmatch(r"(\d+(?:\.\d+)?)( each)?", row.points)
        if not row.names or match is None:
            problems.append(f"{where}: cannot read this grading row (a test in backquotes, then "
                            f"its points, '3' or '3 each'): {row.points!r}")
            continue
        for name in row.names:
            if name in seen:
                problems.append(f"{where}: {name} is listed again (first at line {seen[name]})")
            seen.setdefault(name, row.line)
        tests = [rubric.test(name) for name in row.names]
        for name, test in zip(row.names, tests):
            if test is None:
                problems.append(f"{where}: the grading table lists {name}, which is not in the "
                                "rubric")
        if None in tests:
            continue
        points = float(match.group(1))
        if match.group(2):
            wrong = [t.name for t in tests if t.points != points]
            if wrong:
                problems.append(f"{where}: the grading table gives {points:g} points each, the "
                                f"rubric {', '.join(f'{t.name} {t.points:g}' for t in tests)}")
        elif points != sum(t.points for t in tests):
            problems.append(f"{where}: the grading table gives {' + '.join(row.names)} "
                            f"{points:g} points, the rubric "
                            f"{sum(t.points for t in tests):g}")
    for t in rubric.tests:
        if t.name not in seen:
            problems.append(f"README.md: the per-test grading table misses {t.name} (part "
                            f"{t.part}, {t.points:g} points in the rubric)")
    return problems
