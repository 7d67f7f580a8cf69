"""mutants -- the mutants a sweep tries (harness/mutate): classic mutation operators applied to
C source, one small change each, found with a lexer that knows comments, strings and the
preprocessor, so that a mutant is always a change to code. Standard library only.

Operators (the names a sweep prints and `--operator` takes):
  ror  relational: < <= > >= == != each to its neighbour (< to <=, == to !=, ...)
  lcr  logical connector: && to ||, || to &&
  aor  arithmetic and bitwise: binary + to -, - to +, / to *, += to -=, -= to +=, ++ to --,
       -- to ++, << to >>, >> to <<, binary & to |, | to &
  obo  off by one: an integer literal N to N+1 and N-1
  neg  a negated condition: if (C) and while (C) to if (!(C)) and while (!(C))
  sdl  a statement deleted: a call, an assignment, an increment, break or continue
  ret  a return value replaced: return E to return 0 (return 0, false or NULL to 1)
  mo   a memory order weakened: memory_order_X and __ATOMIC_X to relaxed

Only code inside function bodies is mutated, and never an assert, a static assertion, a line
of the preprocessor, an array's constant dimension, or a message to stderr (fprintf(stderr,
...) and perror): a mutant there changes nothing a test should see.
"""
import hashlib
import re
from dataclasses import dataclass

OPERATORS = ("ror", "lcr", "aor", "obo", "neg", "sdl", "ret", "mo")

_TOKEN_RE = re.compile(r"""
    (?P<num>0[xX][0-9a-fA-F]+[uUlL]*|\d+\.\d*(?:[eE][+-]?\d+)?[fFlL]?|\d+[eE][+-]?\d+|\d+[uUlL]*)
  | (?P<id>[A-Za-z_]\w*)
  | (?P<op>->|\+\+|--|<<=|>>=|<<|>>|<=|>=|==|!=|&&|\|\||\+=|-=|\*=|/=|%=|&=|\|=|\^=|\.\.\.
          |[-+*/%<>=!&|^~?:;,.()\[\]{}])
""", re.X)
_ROR = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
_LCR = {"&&": "||", "||": "&&"}
_AOR_ALWAYS = {"+=": "-=", "-=": "+=", "++": "--", "--": "++", "<<": ">>", ">>": "<<"}
_AOR_BINARY = {"+": "-", "-": "+", "/": "*", "&": "|", "|": "&"}
_KEYWORDS = {"if", "while", "for", "switch", "return", "sizeof", "do", "else", "case", "goto",
             "default", "struct", "union", "enum", "const", "static", "volatile", "unsigned",
             "signed", "int", "char", "long", "short", "float", "double", "void", "bool",
             "_Atomic", "typedef", "extern", "inline", "register", "restrict", "_Alignof",
             "alignof", "_Alignas", "auto"}
# Calls whose arguments are not mutated: checks of the code itself, and messages to a person.
_QUIET_CALLS_RE = re.compile(r"\b(assert|static_assert|_Static_assert|perror|fprintf\s*\(\s*stderr)\s*\(?")
_STMT_START_OPS = {"(", "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "->",
                   ".", "[", "++", "--"}
_MO_RE = re.compile(r"\b(memory_order_(?:seq_cst|acq_rel|acquire|release|consume)|"
                    r"__ATOMIC_(?:SEQ_CST|ACQ_REL|ACQUIRE|RELEASE|CONSUME))\b")


@dataclass(frozen=True)
class Mutant:
    """One change to one file: text[start:end] becomes replacement."""
    path: str          # the file, relative to the implementation's folder
    line: int          # 1-based line of the change
    function: str      # the function it is in
    operator: str      # one of OPERATORS
    start: int
    end: int
    replacement: str
    original_line: str
    mutated_line: str
    ident: str         # stable across edits elsewhere: path:function:operator:hash

    def apply(self, text):
        return text[:self.start] + self.replacement + text[self.end:]

    def describe(self):
        return (f"{self.path}:{self.line} in {self.function}() [{self.operator}]\n"
                f"  - {self.original_line.strip()}\n  + {self.mutated_line.strip()}")


@dataclass
class _Token:
    kind: str   # num id op
    text: str
    start: int
    end: int
    depth: int  # brace depth before this token
    func: str   # the enclosing function, "" outside one
    quiet: bool


def blank_comments_and_literals(text):
    """text with comments, string and character literals and preprocessor lines replaced by
    spaces (newlines kept), so offsets stay those of text and only code is left to lex."""
    out = list(text)
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c in " \t":
            i += 1
            continue
        if at_line_start and c == "#":
            j = i
            while j < n and text[j] != "\n":
                if text[j] == "\\" and j + 1 < n and text[j + 1] == "\n":
                    j += 2
                    continue
                # a comment inside a directive ends with the directive's line as well
                j += 1
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
            continue
        at_line_start = c == "\n"
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
        else:
            i += 1
            continue
        for k in range(i, j):
            if out[k] != "\n":
                out[k] = " "
        i = j
    return "".join(out)


def _quiet_spans(code):
    """(start, end) of each quiet call's argument list, end past its closing parenthesis."""
    spans = []
    for m in _QUIET_CALLS_RE.finditer(code):
        open_at = code.find("(", m.start())
        depth, j = 0, open_at
        while j < len(code):
            if code[j] == "(":
                depth += 1
            elif code[j] == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        spans.append((m.start(), j + 1))
    return spans


def _tokens(code):
    spans = _quiet_spans(code)
    toks, depth, func = [], 0, ""
    span_i = 0
    for m in _TOKEN_RE.finditer(code):
        kind = m.lastgroup
        text = m.group()
        while span_i < len(spans) and spans[span_i][1] <= m.start():
            span_i += 1
        quiet = span_i < len(spans) and spans[span_i][0] <= m.start() < spans[span_i][1]
        if text == "{":
            if depth == 0:
                func = _function_name(toks)
            toks.append(_Token(kind, text, m.start(), m.end(), depth, func, quiet))
            depth += 1
            continue
        if text == "}":
            depth = max(0, depth - 1)
            toks.append(_Token(kind, text, m.start(), m.end(), depth, func if depth else "", quiet))
            if depth == 0:
                func = ""
            continue
        toks.append(_Token(kind, text, m.start(), m.end(), depth, func, quiet))
    return toks


def _function_name(toks):
    """The function a '{' at file scope opens (the identifier before the parameter list), or ""
    when it opens a struct, an enum or an initializer."""
    if not toks or toks[-1].text != ")":
        return ""
    depth = 0
    for i in range(len(toks) - 1, -1, -1):
        if toks[i].text == ")":
            depth += 1
        elif toks[i].text == "(":
            depth -= 1
            if depth == 0:
                return toks[i - 1].text if i > 0 and toks[i - 1].kind == "id" else ""
    return ""


def _matching(toks, i, open_text, close_text):
    """Index of the token closing toks[i] (an open_text), or -1."""
    depth = 0
    for j in range(i, len(toks)):
        if toks[j].text == open_text:
            depth += 1
        elif toks[j].text == close_text:
            depth -= 1
            if depth == 0:
                return j
    return -1


def _obo_values(text):
    m = re.fullmatch(r"(0[xX][0-9a-fA-F]+|\d+)([uUlL]*)", text)
    if not m:
        return []
    digits, suffix = m.groups()
    value = int(digits, 0)
    fmt = (lambda v: hex(v)) if digits[:2].lower() == "0x" else str
    return [fmt(v) + suffix for v in (value + 1, value - 1) if v >= 0]


def _edits(toks):
    """(operator, start, end, replacement, function) for every mutation site of the tokens."""
    for i, t in enumerate(toks):
        if not t.func or t.depth == 0 or t.quiet:
            continue
        prev = toks[i - 1] if i > 0 else None
        binary = prev is not None and (prev.kind in ("id", "num") or prev.text in (")", "]")) \
            and prev.text not in _KEYWORDS
        if t.text in _ROR:
            yield "ror", t.start, t.end, _ROR[t.text], t.func
        elif t.text in _LCR:
            yield "lcr", t.start, t.end, _LCR[t.text], t.func
        elif t.text in _AOR_ALWAYS:
            yield "aor", t.start, t.end, _AOR_ALWAYS[t.text], t.func
        elif t.text in _AOR_BINARY and binary:
            yield "aor", t.start, t.end, _AOR_BINARY[t.text], t.func
        elif t.kind == "num":
            is_dimension = (prev is not None and prev.text == "[" and i + 1 < len(toks)
                            and toks[i + 1].text == "]")
            if not is_dimension:
                for value in _obo_values(t.text):
                    yield "obo", t.start, t.end, value, t.func
        elif t.kind == "id" and _MO_RE.fullmatch(t.text):
            relaxed = "memory_order_relaxed" if t.text.startswith("memory") else "__ATOMIC_RELAXED"
            yield "mo", t.start, t.end, relaxed, t.func
        elif t.text in ("if", "while") and i + 1 < len(toks) and toks[i + 1].text == "(":
            close = _matching(toks, i + 1, "(", ")")
            if close > 0 and not (prev is not None and prev.text == "}" and t.text == "while"):
                inner_start, inner_end = toks[i + 1].end, toks[close].start
                yield "neg", inner_start, inner_start, "!(", t.func
                # the closing half goes with the opening one: see _pair below
                yield "neg-close", inner_end, inner_end, ")", t.func
        elif t.text == "return" and i + 1 < len(toks) and toks[i + 1].text != ";":
            end = i + 1
            depth = 0
            while end < len(toks) and not (toks[end].text == ";" and depth == 0):
                depth += toks[end].text in "([{"
                depth -= toks[end].text in ")]}"
                end += 1
            if end < len(toks):
                expr = [x.text for x in toks[i + 1:end]]
                value = "1" if expr in (["0"], ["false"], ["NULL"]) else "0"
                yield "ret", toks[i + 1].start, toks[end - 1].end, value, t.func
        if t.kind in ("id", "op") and (prev is None or prev.text in (";", "{", "}", ")")
                                       or prev.text == "else"):
            stmt = _statement(toks, i)
            if stmt is not None:
                yield "sdl", toks[i].start, toks[stmt].end, ";", t.func


def _statement(toks, i):
    """If an expression statement (or break/continue) starts at toks[i], the index of its ';'."""
    t = toks[i]
    if t.text in ("break", "continue"):
        return i + 1 if i + 1 < len(toks) and toks[i + 1].text == ";" else None
    first_ok = (t.kind == "id" and t.text not in _KEYWORDS) or t.text in ("++", "--", "*")
    if not first_ok or i + 1 >= len(toks):
        return None
    if t.text == "*" or t.text in ("++", "--"):
        pass
    elif toks[i + 1].text not in _STMT_START_OPS:
        return None
    if i > 0 and toks[i - 1].text == ")":
        # after a ')' only when that closes an if/while/for head: `if (x) f();`
        depth, j = 0, i - 1
        while j >= 0:
            depth += toks[j].text == ")"
            depth -= toks[j].text == "("
            if depth == 0:
                break
            j -= 1
        if j <= 0 or toks[j - 1].text not in ("if", "while", "for"):
            return None
    depth, j = 0, i
    while j < len(toks):
        x = toks[j].text
        if x in ("(", "[", "{"):
            depth += 1
        elif x in (")", "]", "}"):
            depth -= 1
            if depth < 0:
                return None
        elif x == ";" and depth == 0:
            return j
        j += 1
    return None


def _line_bounds(text, offset):
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return start, len(text) if end < 0 else end


def mutants_of(path, text):
    """Every mutant of one C file's text, in file order; path names it in the mutants."""
    code = blank_comments_and_literals(text)
    toks = _tokens(code)
    edits = list(_edits(toks))
    out, seen = [], {}
    i = 0
    while i < len(edits):
        op, start, end, repl, func = edits[i]
        if op == "neg-close":
            i += 1
            continue
        if op == "neg":
            _, close_at, _, close_repl, _ = edits[i + 1]
            mutated = text[:start] + repl + text[start:close_at] + close_repl + text[close_at:]
            span_end = close_at
        else:
            mutated = text[:start] + repl + text[end:]
            span_end = end
        line_start, _ = _line_bounds(text, start)
        _, line_end = _line_bounds(text, span_end)
        original_line = text[line_start:line_end]
        delta = len(mutated) - len(text)
        mutated_line = mutated[line_start:line_end + delta]
        key = (func, op, " ".join(original_line.split()), " ".join(mutated_line.split()))
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        digest = hashlib.sha1("\0".join(key[2:] + (str(occurrence),)).encode()).hexdigest()[:8]
        if op == "neg":
            # apply() works on one span: give the whole condition, rewritten
            repl_text = repl + text[start:close_at] + close_repl
            out.append(Mutant(path, text.count("\n", 0, start) + 1, func or "?", op, start,
                              close_at, repl_text, original_line, mutated_line,
                              f"{path}:{func or '?'}:{op}:{digest}"))
        else:
            out.append(Mutant(path, text.count("\n", 0, start) + 1, func or "?", op, start, end,
                              repl, original_line, mutated_line,
                              f"{path}:{func or '?'}:{op}:{digest}"))
        i += 1
    return out
