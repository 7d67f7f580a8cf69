"""test_readme_sections.py -- the README structure check (harness/py/readme_sections.py): a README
in the template's shape passes, and each way of breaking it is reported in words a lab's author
can act on. Needs no build. Run: python3 -m unittest harness/tests/test_readme_sections.py"""
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "harness" / "py"))
from readme_sections import check_readme_sections, github_slug  # noqa: E402

PARTS = [("A", "part-a-resp2-protocol", "RESP2 protocol"),
         ("B", "part-b-epoch-based-reclamation", "Epoch-based reclamation"),
         ("C", "part-c-lab-01s-pool-on-the-ring", "Lab 01's pool on the ring")]

GOOD = """# Lab 99: a fixture

You build a thing; the tests and a real peer check it.

## Background

### A level-3 heading is fine anywhere

## Part A: RESP2 protocol

```sh
## not a heading: a comment in a code block
make grade LAB=99-fixture   # nor is this
```

## Part B: Epoch-based reclamation

## Part C: Lab 01's pool on the ring

## Grading

| part | title | points |
| --- | --- | --- |
| A | RESP2 protocol | 10 |

## API tour

## Build, grade and replay

## Targets

## Hints

## Reading
"""


class ReadmeSections(unittest.TestCase):
    def check(self, text, parts=PARTS):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "README.md"
            path.write_text(text)
            return check_readme_sections(path, parts)

    def assertReports(self, problems, *fragments):
        """Each fragment appears in some problem, and nothing else is reported."""
        for fragment in fragments:
            self.assertTrue(any(fragment in p for p in problems), f"{fragment!r} not in {problems}")
        self.assertEqual(len(problems), len(fragments), problems)

    def test_github_slug_drops_punctuation_and_keeps_hyphens(self):
        self.assertEqual(github_slug("Part A: RESP2 protocol"), "part-a-resp2-protocol")
        self.assertEqual(github_slug("Part F: Lab 01's pool on the ring"),
                         "part-f-lab-01s-pool-on-the-ring")
        self.assertEqual(github_slug("Part E: pub/sub"), "part-e-pubsub")
        self.assertEqual(github_slug("Part B: `dict` and test_b"), "part-b-dict-and-test_b")

    def test_a_readme_in_the_templates_shape_passes(self):
        self.assertEqual(self.check(GOOD), [])

    def test_missing_section_and_a_stray_one_are_named(self):
        text = GOOD.replace("## API tour\n", "").replace("## Hints\n", "## Running it\n")
        self.assertReports(self.check(text),
                           "'## Running it' is not a template section",
                           "the section '## API tour' is missing",
                           "the section '## Hints' is missing")

    def test_part_heading_whose_anchor_differs_from_the_rubric(self):
        parts = PARTS[:2] + [("C", "part-c-pub-sub", "Pub/sub")]
        text = GOOD.replace("## Part C: Lab 01's pool on the ring", "## Part C: pub/sub")
        self.assertReports(self.check(text, parts),
                           "'## Part C: pub/sub' makes the anchor #part-c-pubsub, but the rubric "
                           "links part C to #part-c-pub-sub")

    def test_sections_out_of_order_and_parts_missing_or_extra(self):
        text = (GOOD.replace("## Part B: Epoch-based reclamation\n", "## Part D: Extra\n")
                .replace("## Grading\n", "## GRADING-MOVED\n")
                .replace("## Hints\n", "## Grading\n\n## Hints\n")
                .replace("## GRADING-MOVED\n", ""))
        self.assertReports(self.check(text),
                           "'## Part D: Extra': the rubric has no part D",
                           "rubric part B has no '## Part B: Epoch-based reclamation' heading",
                           "'## Grading' comes after '## Targets'")

    def test_parts_in_another_order_than_the_rubrics(self):
        a = "## Part A: RESP2 protocol\n"
        text = GOOD.replace(a, "").replace("## Grading\n", a + "\n## Grading\n")
        self.assertReports(self.check(text), "'## Part A: RESP2 protocol' comes after "
                           "'## Part C: Lab 01's pool on the ring'")

    def test_title_intro_and_a_missing_readme(self):
        text = GOOD.replace("# Lab 99: a fixture\n\nYou build a thing; the tests and a real peer "
                            "check it.\n", "# Lab 99: a fixture\n")
        self.assertReports(self.check(text), "needs an intro paragraph")
        self.assertReports(self.check("## Background\n" + GOOD.split("## Background\n", 1)[1]),
                           "must open with a '# Lab NN: title' heading")
        self.assertReports(check_readme_sections(ROOT / "no" / "README.md", PARTS), "no such file")


if __name__ == "__main__":
    unittest.main()
