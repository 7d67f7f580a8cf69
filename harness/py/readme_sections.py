"""readme_sections -- checks that a lab's README.md has the template's sections, in order, with
one `## Part X: title` heading per rubric part whose anchor is the one the rubric names (the
grader links students to README.md#ANCHOR). Standard library only; read
check_readme_sections first. `python3 harness/py/readme_sections.py LAB...` checks labs/LAB."""
import re
import sys
from pathlib import Path

# The template's level-2 sections, in order; the rubric's parts sit where PARTS is.
PARTS = object()
SECTIONS = ("Background", PARTS, "Grading", "API tour", "Build, grade and replay", "Targets",
            "Hints", "Reading")
PART_HEADING = re.compile(r"Part ([A-Z])\b")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def github_slug(heading_text):
    """The anchor GitHub gives a heading: its rendered text in lower case, punctuation dropped
    (letters, digits, '_', '-' and spaces stay), each space turned into '-'. Inline code marks
    and emphasis are not part of the rendered text; a link keeps only its text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading_text.strip())
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def headings(markdown):
    """[(line number, level, text)] of the ATX headings outside fenced code blocks (a `#` line
    in a ```sh block is a shell comment, not a heading)."""
    found, fence = [], None
    for number, line in enumerate(markdown.splitlines(), 1):
        opened = FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        match = re.match(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*#*[ \t]*$", line)
        if match:
            found.append((number, len(match.group(1)), (match.group(2) or "").strip()))
    return found


def _template_order(rubric_parts):
    """The headings the template asks for, in order: (key, what a message calls it)."""
    order = []
    for section in SECTIONS:
        if section is PARTS:
            order += [(("part", letter), f"'## Part {letter}: {title}'")
                      for letter, _anchor, title in rubric_parts]
        else:
            order.append(((section.lower(),), f"'## {section}'"))
    return order


def _title_problems(markdown, found):
    """The README opens with `# Lab NN: title` and an intro paragraph before any section."""
    if not found or found[0][1] != 1 or not re.match(r"Lab \S+: \S", found[0][2]):
        return ["the README must open with a '# Lab NN: title' heading"]
    lines = markdown.splitlines()
    end = next((number - 1 for number, level, _ in found if level == 2), len(lines))
    if not any(line.strip() for line in lines[found[0][0]:end]):
        return ["'# Lab ...' needs an intro paragraph (what you build, what it is checked "
                "against) before '## Background'"]
    return []


def check_readme_sections(readme_path, rubric_parts):
    """Checks readme_path against the template; rubric_parts is [(letter, anchor, title)] in
    rubric order. Returns a list of human-readable problems, [] when the README conforms."""
    readme_path = Path(readme_path)
    if not readme_path.is_file():
        return [f"no such file: {readme_path}"]
    markdown = readme_path.read_text()
    found = headings(markdown)
    problems = _title_problems(markdown, found)
    rubric_parts = [tuple(p) for p in rubric_parts]
    anchors = {letter: anchor for letter, anchor, _title in rubric_parts}
    order = _template_order(rubric_parts)
    rank = {key: index for index, (key, _name) in enumerate(order)}
    name_of = dict(order)
    expected = ", ".join(["Background", "Part ...", *[s for s in SECTIONS[2:]]])

    seen = []  # (rank, line, heading) of each template heading found, in file order
    for number, level, text in found:
        if level != 2:
            continue
        part = PART_HEADING.match(text)
        if part:
            letter = part.group(1)
            if letter not in anchors:
                problems.append(f"line {number}: '## {text}': the rubric has no part {letter}")
                continue
            slug = github_slug(text)
            if slug != anchors[letter]:
                problems.append(f"line {number}: '## {text}' makes the anchor #{slug}, but the "
                                f"rubric links part {letter} to #{anchors[letter]}: change the "
                                f"heading (or the rubric's anchor) until they agree")
            key = ("part", letter)
        else:
            key = (text.lower(),)
            if key not in rank:
                problems.append(f"line {number}: '## {text}' is not a template section "
                                f"({expected}): make it a '###' inside one of them")
                continue
        if any(k == key for k, _line, _text in seen):
            problems.append(f"line {number}: '## {text}' appears twice")
            continue
        seen.append((key, number, text))

    present = {key for key, _line, _text in seen}
    for key, name in order:
        if key not in present:
            what = f"rubric part {key[1]} has no {name} heading" if key[0] == "part" \
                else f"the section {name} is missing"
            problems.append(what)
    # Out of order: each heading that comes after one the template puts later.
    latest = None
    for key, number, text in seen:
        if latest is not None and rank[key] < rank[latest[0]]:
            problems.append(f"line {number}: '## {text}' comes after '## {latest[2]}' "
                            f"(line {latest[1]}); the template puts {name_of[key]} before "
                            f"{name_of[latest[0]]}")
        elif latest is None or rank[key] > rank[latest[0]]:
            latest = (key, number, text)
    return problems


def main(argv):
    """Checks labs/LAB/README.md against labs/LAB/tests/rubric for each LAB named."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import keelkit  # noqa: E402 -- only the command line needs the kit

    status = 0
    for lab in argv or keelkit.all_labs():
        rubric = keelkit.parse_rubric(keelkit.labs_dir() / lab / "tests" / "rubric")
        parts = [(p.letter, p.anchor, p.title) for p in rubric.parts.values()]
        problems = check_readme_sections(keelkit.labs_dir() / lab / "README.md", parts)
        for problem in problems:
            print(f"{lab}: README.md: {problem}")
        status |= bool(problems)
        if not problems:
            print(f"{lab}: README.md has the template's sections")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
