"""keelmd -- a small Markdown-to-HTML renderer for Keel's notes (visualize/report.py).

Supports a CommonMark subset: ATX headings, paragraphs, - / 1. lists (nested by indentation),
fenced code, block quotes, rules, pipe tables; inline code, **bold**, *italic*, links, images,
backslash escapes. Every piece of text is HTML-escaped: raw HTML in a note is shown, not run.
Python 3 standard library only; read render_markdown first, then render_blocks, render_inline.
"""

import html
import re


_MD_PUNCT = "\\`*_{}[]()#+-.!|<>~"


def md_escape(text):
    """text with Markdown's special characters backslash-escaped, so it renders literally."""
    return "".join("\\" + c if c in _MD_PUNCT else c for c in str(text))


def esc(text):
    return html.escape(text, quote=True)


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _find_close(text, i, opener, closer):
    """Index of the closer matching text[i] == opener, or -1 (backslash escapes skipped)."""
    depth, j = 0, i
    while j < len(text):
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return j
        j += 1
    return -1


def _link_at(text, i):
    """A [label](url) starting at i: (label, url, end) or None."""
    close = _find_close(text, i, "[", "]")
    if close < 0 or close + 1 >= len(text) or text[close + 1] != "(":
        return None
    end = _find_close(text, close + 1, "(", ")")
    if end < 0:
        return None
    url = text[close + 2:end].strip().split(" ", 1)[0].strip("<>")
    return text[i + 1:close], url, end + 1


def _safe_url(url):
    return "#" if re.match(r"^\s*(javascript|vbscript|data):", url, re.I) else url


def _emphasis_at(text, i):
    """(tag, inner, end) for **x**, __x__, *x* or _x_ at i, or None. An underscore only opens
    or closes at a word boundary, so snake_case names stay as they are."""
    for delim, tag in (("**", "strong"), ("__", "strong"), ("*", "em"), ("_", "em")):
        if not text.startswith(delim, i):
            continue
        if delim[0] == "_" and i > 0 and text[i - 1].isalnum():
            return None
        start = i + len(delim)
        if start >= len(text) or text[start].isspace():
            continue
        j = start
        while True:
            j = text.find(delim, j)
            if j < 0:
                break
            after = j + len(delim)
            if text[j - 1] == "\\" or text[j - 1].isspace() or j == start:
                j += 1
                continue
            if delim[0] == "_" and after < len(text) and text[after].isalnum():
                j += 1
                continue
            if delim == "*" and text.startswith("**", j):
                j += 2
                continue
            return tag, text[start:j], after
    return None


def render_inline(text):
    """Inline Markdown to HTML; all text is escaped."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in _MD_PUNCT:
            out.append(esc(text[i + 1]))
            i += 2
        elif c == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            ticks = text[i:i + run]
            end = text.find(ticks, i + run)
            if end < 0:
                out.append(esc(ticks))
                i += run
            else:
                code = text[i + run:end]
                if code.startswith(" ") and code.endswith(" ") and code.strip():
                    code = code[1:-1]
                out.append(f"<code>{esc(code)}</code>")
                i = end + run
        elif c == "!" and text.startswith("![", i) and _link_at(text, i + 1):
            alt, url, i = _link_at(text, i + 1)
            out.append(f'<img src="{esc(_safe_url(url))}" alt="{esc(alt)}">')
        elif c == "[" and _link_at(text, i):
            label, url, i = _link_at(text, i)
            out.append(f'<a href="{esc(_safe_url(url))}">{render_inline(label)}</a>')
        elif c in "*_" and _emphasis_at(text, i):
            tag, inner, i = _emphasis_at(text, i)
            out.append(f"<{tag}>{render_inline(inner)}</{tag}>")
        elif c == "\n":
            out.append("\n")
            i += 1
        else:
            j = i + 1
            while j < n and text[j] not in "\\`![*_\n":
                j += 1
            out.append(esc(text[i:j]))
            i = j
    return "".join(out)


_FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^`\s]*)")
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:\s+(.*?))?(?:\s+#+)?\s*$")
_RULE_RE = re.compile(r"^ {0,3}([-*_])(\s*\1){2,}\s*$")
_ITEM_RE = re.compile(r"^( {0,3})([-*+]|\d{1,9}[.)])(\s+|$)")
_DELIM_CELL_RE = re.compile(r"^\s*:?-+:?\s*$")


def _split_row(line):
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells, cur, in_code, i = [], [], False, 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line) and line[i + 1] == "|":
            cur.append("|" if in_code else "\\|")
            i += 2
            continue
        if c == "`":
            in_code = not in_code
        if c == "|" and not in_code:
            cells.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
        i += 1
    cells.append("".join(cur).strip())
    return cells


def _is_table_start(lines, i):
    if i + 1 >= len(lines) or "|" not in lines[i]:
        return False
    cells = _split_row(lines[i + 1])
    return "-" in lines[i + 1] and all(_DELIM_CELL_RE.match(c) for c in cells)


def _render_table(rows, delim):
    aligns = []
    for cell in _split_row(delim):
        left, right = cell.startswith(":"), cell.endswith(":")
        aligns.append("center" if left and right else "right" if right else
                      "left" if left else None)
    header = _split_row(rows[0])

    def row_html(cells, tag):
        tds = []
        for k in range(len(aligns)):
            cell = cells[k] if k < len(cells) else ""
            style = f' style="text-align:{aligns[k]}"' if aligns[k] else ""
            tds.append(f"<{tag}{style}>{render_inline(cell)}</{tag}>")
        return "<tr>" + "".join(tds) + "</tr>"

    body = "".join(row_html(_split_row(r), "td") + "\n" for r in rows[1:])
    return (f"<table>\n<thead>{row_html(header, 'th')}</thead>\n"
            f"<tbody>\n{body}</tbody>\n</table>")


def _starts_block(lines, i):
    line = lines[i]
    return bool(_FENCE_RE.match(line) or _HEADING_RE.match(line) or _RULE_RE.match(line)
                or _ITEM_RE.match(line) or line.lstrip().startswith(">")
                or _is_table_start(lines, i))


def _render_list(lines, i):
    """A list starting at lines[i]; returns (html, next index)."""
    first = _ITEM_RE.match(lines[i])
    ordered = first.group(2)[0].isdigit()
    items, cur = [], None
    is_loose = False
    while i < len(lines):
        line = lines[i]
        m = _ITEM_RE.match(line)
        is_nested = cur is not None and line.startswith(" " * content_indent)
        if m and not is_nested and m.group(2)[0].isdigit() == ordered:
            cur = [line[m.end():]]
            items.append(cur)
            content_indent = m.end() if line[m.end():].strip() else len(m.group(1)) + 2
            i += 1
            continue
        if not line.strip():
            nxt = i + 1
            while nxt < len(lines) and not lines[nxt].strip():
                nxt += 1
            if nxt < len(lines) and (lines[nxt].startswith(" " * content_indent) or
                                     (_ITEM_RE.match(lines[nxt]) and
                                      _ITEM_RE.match(lines[nxt]).group(2)[0].isdigit()
                                      == ordered)):
                is_loose = True
                cur.append("")
                i += 1
                continue
            break
        if line.startswith(" " * min(content_indent, 4)) or (
                not _starts_block(lines, i) and cur and cur[-1].strip()):
            indent = len(line) - len(line.lstrip(" "))
            cur.append(line[min(indent, content_indent):])
            i += 1
            continue
        break
    tag = "ol" if ordered else "ul"
    start = ""
    if ordered and int(first.group(2)[:-1]) != 1:
        start = f' start="{int(first.group(2)[:-1])}"'
    parts = []
    for item in items:
        inner = render_blocks(item)
        if not is_loose and inner.startswith("<p>"):
            inner = re.sub(r"^<p>(.*?)</p>", r"\1", inner, count=1, flags=re.S)
        parts.append(f"<li>{inner}</li>")
    return f"<{tag}{start}>\n" + "\n".join(parts) + f"\n</{tag}>", i


def render_blocks(lines, heading_offset=0):
    """Block-level Markdown (a list of lines) to HTML; headings move down heading_offset
    levels (at most to h6), so a note's # can sit under a page's h2."""
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        fence = _FENCE_RE.match(line)
        if fence:
            marker, lang = fence.group(2), fence.group(3)
            indent = len(fence.group(1))
            code, i = [], i + 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                code.append(lines[i][indent:] if lines[i][:indent].isspace() else lines[i])
                i += 1
            i += 1  # the closing fence (or the end of the text)
            cls = f' class="language-{esc(lang)}"' if lang else ""
            out.append(f"<pre><code{cls}>{esc(chr(10).join(code))}\n</code></pre>")
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            level = min(6, len(heading.group(1)) + heading_offset)
            text = heading.group(2) or ""
            out.append(f'<h{level} id="{_slug(text)}">{render_inline(text)}</h{level}>')
            i += 1
            continue
        if _RULE_RE.match(line):
            out.append("<hr>")
            i += 1
            continue
        if _is_table_start(lines, i):
            rows, delim, i = [line], lines[i + 1], i + 2
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                rows.append(lines[i])
                i += 1
            out.append(_render_table(rows, delim))
            continue
        if _ITEM_RE.match(line):
            block, i = _render_list(lines, i)
            out.append(block)
            continue
        if line.lstrip().startswith(">"):
            quoted = []
            while i < len(lines) and lines[i].lstrip().startswith(">"):
                q = lines[i].lstrip()[1:]
                quoted.append(q[1:] if q.startswith(" ") else q)
                i += 1
            out.append(f"<blockquote>\n{render_blocks(quoted, heading_offset)}\n</blockquote>")
            continue
        para = [line]
        i += 1
        while i < len(lines) and lines[i].strip() and not _starts_block(lines, i):
            para.append(lines[i])
            i += 1
        # A line ending in two spaces or a backslash is a hard break.
        segments, cur = [], []
        for raw in para:
            is_break = raw.endswith("  ") or raw.rstrip().endswith("\\")
            cur.append(raw.strip().rstrip("\\") if is_break and raw.rstrip().endswith("\\")
                       else raw.strip())
            if is_break:
                segments.append(cur)
                cur = []
        if cur:
            segments.append(cur)
        out.append("<p>" + "<br>\n".join(render_inline("\n".join(s)) for s in segments)
                   + "</p>")
    return "\n".join(out)


def render_markdown(text, heading_offset=0):
    """Markdown text to an HTML fragment (see render_blocks for heading_offset)."""
    return render_blocks(text.replace("\r\n", "\n").replace("\t", "    ").split("\n"),
                         heading_offset)
