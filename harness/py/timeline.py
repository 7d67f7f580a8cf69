"""timeline -- the drawing of a failed simulated run: a test that prints KEEL-TIMELINE lines
(lab 04's tests/cluster.h does when a cluster test fails) gets a picture with one lane a node:
its role and term over virtual time, crashes, cuts from the network, what it applied, and the
tick where the run broke, marked with why. harness/grade calls draw_from_output for each test
that did not pass; timeline.gp beside this file does the drawing with gnuplot.

The lines, tab-separated after "KEEL-TIMELINE":
    nodes N SEED FROM                first: the cluster's size, its seed, and the tick the
                                     events start from (later than 0 when older ones were cut)
    TICK NODE KIND TERM VALUE        one event; KIND follower|candidate|leader|crash|restart|
                                     cut|join|applied|snapshot|broken
    end TICK WHY                     last: when the run stopped and why
Python 3 standard library only; raises keelkit.KitError on what it cannot draw.
"""

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from keelkit import KitError

PREFIX = "KEEL-TIMELINE\t"
SCRIPT = Path(__file__).resolve().with_name("timeline.gp")
ROLE_COLOR = {"follower": 1, "candidate": 2, "leader": 3}  # palette indexes in timeline.gp


@dataclass
class Timeline:
    nodes: int = 0
    seed: str = ""
    from_tick: int = 0
    end_tick: int = 0
    why: str = ""
    events: list = field(default_factory=list)  # (tick, node, kind, term, value)


def parse(output):
    """The timeline in a test's output, or None when it printed none."""
    lines = [l[len(PREFIX):].split("\t") for l in output.splitlines() if l.startswith(PREFIX)]
    if not lines or lines[0][0] != "nodes" or len(lines[0]) < 3:
        return None
    t = Timeline(nodes=int(lines[0][1]), seed=lines[0][2],
                 from_tick=int(lines[0][3]) if len(lines[0]) > 3 and lines[0][3].isdigit() else 0)
    for fields in lines[1:]:
        if fields[0] == "end":
            t.end_tick = int(fields[1])
            t.why = fields[2] if len(fields) > 2 else ""
        elif len(fields) == 5 and fields[0].isdigit():
            t.events.append((int(fields[0]), int(fields[1]), fields[2], int(fields[3]),
                             int(fields[4])))
    if not t.end_tick:
        t.end_tick = max([e[0] for e in t.events] + [1])
    return t


def data_blocks(t):
    """The drawing's data, as gnuplot reads it: blocks separated by two blank lines, in the order
    timeline.gp plots them: role segments, down segments, cut segments, leader labels, applied
    points, snapshot points."""
    start = t.from_tick
    role = {n: ("follower", 0, start) for n in range(1, t.nodes + 1)}  # (kind, term, since)
    down, cut = {}, {}
    roles, downs, cuts, labels, applied, snaps = [], [], [], [], [], []

    def close_role(n, tick):
        kind, term, since = role[n]
        if kind is not None and tick > since:
            roles.append(f"{since} {n} {tick - since} {ROLE_COLOR[kind]}")
        role[n] = (kind, term, tick)

    for tick, n, kind, term, value in t.events:
        if n < 1 or n > t.nodes:
            continue
        if kind in ROLE_COLOR:
            close_role(n, tick)
            role[n] = (kind, term, tick)
            if kind == "leader":
                labels.append(f"{tick} {n} T{term}")
        elif kind == "crash":
            close_role(n, tick)
            role[n] = (None, 0, tick)
            down[n] = tick
        elif kind == "restart":
            if n in down:
                since = down.pop(n)
                downs.append(f"{since} {n} {tick - since}")
            role[n] = ("follower", 0, tick)
        elif kind == "cut":
            cut[n] = tick
        elif kind == "join" and n in cut:
            since = cut.pop(n)
            cuts.append(f"{since} {n} {tick - since}")
        elif kind == "applied":
            applied.append(f"{tick} {n} {value}")
        elif kind == "snapshot":
            snaps.append(f"{tick} {n} {value}")
    for n in range(1, t.nodes + 1):
        close_role(n, t.end_tick)
        if n in down:
            downs.append(f"{down[n]} {n} {t.end_tick - down[n]}")
        if n in cut:
            cuts.append(f"{cut[n]} {n} {t.end_tick - cut[n]}")
    blocks = [roles, downs, cuts, labels, applied, snaps]
    return "\n\n\n".join("\n".join(b) if b else "-1 -1 0 0" for b in blocks) + "\n"


def draw(t, title, outbase):
    """Writes outbase.png and outbase.svg (and outbase.dat, the data) for timeline t."""
    if not shutil.which("gnuplot"):
        raise KitError("gnuplot is not installed (make deps installs gnuplot-nox)")
    outbase = Path(outbase).resolve()
    outbase.parent.mkdir(parents=True, exist_ok=True)
    data = outbase.with_suffix(".dat")
    data.write_text(data_blocks(t))
    why = t.why.replace("\\", "\\\\").replace('"', "'")
    title = title.replace('"', "'")
    expr = (f'datafile="{data}"; outbase="{outbase}"; nodes={t.nodes}; '
            f'starttick={t.from_tick}; endtick={t.end_tick}; '
            f'why="{why}"; plottitle="{title}"')
    proc = subprocess.run(["gnuplot", "-e", expr, str(SCRIPT)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise KitError(f"gnuplot {SCRIPT.name} failed:\n{proc.stderr.rstrip()}")
    png = outbase.with_suffix(".png")
    if not png.is_file() or png.stat().st_size == 0:
        raise KitError(f"gnuplot {SCRIPT.name} did not write {png}")
    return png


def draw_from_output(output, title, outbase):
    """Draws the timeline a test printed, if it printed one: returns the PNG's path, or None."""
    t = parse(output)
    if t is None or t.nodes < 1:
        return None
    return draw(t, title, outbase)
