"""keelkit -- what the grader, the bench and the kit's own checks share: where things are,
how to ask make about a lab, and how to read a lab's rubric. Standard library only."""
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
VISIBILITIES = ("visible", "hidden", "after_due_date")


class KitError(Exception):
    """Something stops the kit from grading or measuring (not a student's failure)."""


def labs_dir():
    return Path(os.environ.get("KEEL_LABS_DIR", ROOT / "labs"))


def ref_dir():
    return Path(os.environ.get("KEEL_REF_DIR", ROOT / "reference"))


def out_dir():
    return Path(os.environ.get("KEEL_OUT", ROOT / "out"))


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


def lab_vars(lab, impl="labs", deps=None):
    """The lab's lab.mk variables, as make sees them: {'STUDENT_SRCS': [...], ...}."""
    proc = subprocess.run(make_args(LAB=lab, IMPL=impl, DEPS=deps or impl) + ["labvars"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise KitError(f"make cannot describe lab {lab}: {proc.stderr.strip()}")
    result = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition("=")
        result[key] = value.split()
    return result


def build_dir(lab, impl, deps=None, sanitize=None):
    proc = subprocess.run(make_args(LAB=lab, IMPL=impl, DEPS=deps or impl, SANITIZE=sanitize)
                          + ["builddir"], capture_output=True, text=True)
    if proc.returncode != 0:
        raise KitError(f"make cannot name the build directory: {proc.stderr.strip()}")
    path = Path(proc.stdout.strip())
    return path if path.is_absolute() else ROOT / path


def git_commit():
    try:
        sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "-uno"],
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
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        where = f"{path}:{number}"
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
                raise KitError(f"{where}: points and timeout must be numbers: {raw.strip()}")
            if test.points < 0 or test.timeout_s <= 0:
                raise KitError(f"{where}: points must be >= 0 and the timeout > 0")
            tests.append(test)
            parts[part].tests.append(test)
        elif words[0] == "limit" and len(words) == 3 and words[1] in LIMIT_NAMES:
            limits[words[1]] = int(words[2])
        else:
            raise KitError(f"{where}: cannot read this line: {raw.strip()}")
    if not tests:
        raise KitError(f"{path}: the rubric lists no tests")
    return Rubric(path, parts, tests, limits)


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
