"""Rule titles and notes (Unicode prose with bits of math) turned into LaTeX that pdflatex accepts."""

from __future__ import annotations

import re

__all__ = ["note_to_latex", "note_to_terminal", "note_to_html"]

_SYMBOLS = {
    "Σ": r"\sum", "δ": r"\delta", "∂": r"\partial", "σ": r"\sigma", "−": "-", "≠": r"\neq", "·": r"\cdot",
    "⊙": r"\odot", "²": "^2", "ᵀ": "^T", "→": r"\to", "≤": r"\le", "≥": r"\ge", "∑": r"\sum", "ε": r"\epsilon",
    "′": "'", "…": r"\dots", "×": r"\times", "∇": r"\nabla", "Δ": r"\Delta", "⇔": r"\iff", "⊤": "^T",
    "←": r"\leftarrow", "⇒": r"\Rightarrow", "≡": r"\equiv", "↔": r"\leftrightarrow",
    # the table's notation (derive/functions.py): parameters, Φ of GELU, √ and ½ of its tanh form
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "λ": r"\lambda", "μ": r"\mu", "π": r"\pi", "θ": r"\theta",
    "φ": r"\phi", "Φ": r"\Phi", "η": r"\eta", "ρ": r"\rho", "τ": r"\tau", "ω": r"\omega", "√": r"\surd",
    "½": r"\tfrac{1}{2}", "³": "^3", "¹": "^1", "‖": r"\|", "∞": r"\infty", "≈": r"\approx", "∈": r"\in",
}
# [ and ] are math: an indicator 1[z > 0], a bracketed sum −Σ_j [y_j ln a_j + …]; "0]" must not end the formula early
_MATHY = re.compile(r"[_^{}=/<>|+\[\]]|[Σδ∂σ−≠·⊙²ᵀ→≤≥∑ε′×∇Δ⇔⊤←⇒≡αβγλμπθφΦηρτω√½³¹‖∞≈∈]|\bln\b|^[a-zA-Z]$")
_TEXT_ESCAPES = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
                 "—": "---", "–": "--", "’": "'", "‘": "`", "“": "``", "”": "''", "…": r"\dots{}", "✓": r"$\checkmark$",
                 "×": r"$\times$", "→": r"$\to$", "↔": r"$\leftrightarrow$", "⇒": r"$\Rightarrow$", "≠": r"$\neq$", "−": "-", "\u00a0": "~"}


# A program's name in a note (error_deriv from the Octave lines): a word of two letters or more before the underscore,
# so it is code, set as code, never a subscripted "error" in math.
_CODE = re.compile(r"(?<![A-Za-z\\])[A-Za-z]{2,}(?:_[A-Za-z0-9]+)+(?![A-Za-z0-9{])")
# A file's path ((derive/functions.py), where a rule comes from) is words, not a quotient: its / is no division.
_PATH = re.compile(r"\(?[A-Za-z_][\w.]*(?:/[\w.]+)+\.py\)?[,;:.]?")
_KRONECKER_NOTE = re.compile(r"δ_([a-zA-Z0-9])([a-zA-Z0-9])(?![A-Za-z0-9])")  # δ_1i too: two indices, never the error
_SUBSCRIPTED = re.compile(r"(?<=[A-Za-zΣσδ)'])_(\{[a-z0-9]+\}|[a-z0-9]+)(?![A-Za-z0-9{])")


def note_to_terminal(note: str, subscripts: bool = True) -> str:
    """The notation of the 2-D steps in a note: z_j as zⱼ, the Kronecker delta δ_ij as 𝛅ᵢⱼ (the error δ_i stays δᵢ).

    A subscript with a character that has no Unicode subscript (a_K) is left as it was written; without
    `subscripts`, only the Kronecker delta changes (backprop's layer indices print linearly in steps too).
    """
    pieces, position = [], 0
    for found in _CODE.finditer(note):  # a program's name (output_layer_state) is code: no subscripts in it
        pieces += [_terminal_math(note[position:found.start()], subscripts), found[0]]
        position = found.end()
    return "".join(pieces) + _terminal_math(note[position:], subscripts)


def _terminal_math(note: str, subscripts: bool) -> str:
    from derive.render.pretty import KRONECKER, subscript

    note = _KRONECKER_NOTE.sub(lambda found: KRONECKER + (subscript(found[1] + found[2]) or f"_{found[1]}{found[2]}"),
                               note)
    if not subscripts:
        return note
    return _SUBSCRIPTED.sub(lambda found: subscript(found[1].strip("{}")) or found[0], note)


def note_to_latex(note: str) -> str:
    """Words stay text; a run of tokens that look like math (a_j, e^{z_k}, Σ_k, =) goes into $...$.

    A lone letter or number joins the math next to it ("k = i", "Σ_j y_j = 1"); other words stay text.
    """
    tokens = note.split(" ")
    kinds = ["code" if _CODE.search(token) else "text" if _PATH.fullmatch(token) else _kind(token) for token in tokens]
    changed = True
    while changed:  # a run of lone letters next to math joins it: "(j, i) = ∂a_j/∂z_i" is all math
        changed = False
        for position, kind in enumerate(kinds):
            neighbours = kinds[max(position - 1, 0):position] + kinds[position + 1:position + 2]
            if kind == "neutral" and "math" in neighbours:
                kinds[position], changed = "math", True
    # A lone letter among words is still a symbol ("unit j", "E is any cost"); a lone number stays text.
    kinds = [("math" if re.fullmatch(r"[A-Za-z]", token.strip(",;:.()")) else "text") if kind == "neutral" else kind
             for token, kind in zip(tokens, kinds)]
    pieces, run = [], []
    for token, kind in zip(tokens, kinds):
        if kind == "math":
            run.append(token)
            if token[-1] in ";:" and _unmatched_bracket(" ".join(run)) is None:
                pieces.append(_math(" ".join(run)))  # "b_j: w_ij joins": the colon ends a formula, in text
                run = []
            continue
        if run:
            pieces.append(_math(" ".join(run)))
            run = []
        if kind == "code":
            token = _CODE.sub(lambda found: "\\texttt{" + found[0].replace("_", "\\_") + "}", token)
            pieces.append(token)
            continue
        pieces.append("".join(_TEXT_ESCAPES.get(char, char) for char in token))  # text mode: ASCII only
    if run:
        pieces.append(_math(" ".join(run)))
    return " ".join(pieces)


def _kind(token: str) -> str:
    core = token.strip(",;:.()")
    if core in ("a", "A", "I") and not re.search(r"[()]", token):  # the article and the pronoun; "a)" is math
        return "text"
    if re.fullmatch(r"[A-Za-z]|\d+", core) or re.fullmatch(r"[()]*(\d+|[A-Za-z])([()]+(\d+|[A-Za-z]))*[()]*",
                                                          token.strip(",;:.")):
        return "neutral"  # a lone letter or number, or a few glued by parentheses: 1)(1
    if re.search(r"(^|[^A-Za-z])[A-Za-z]'?\(", token):  # a(1, σ'(z): a function or a product with parentheses
        return "math"
    return "math" if core and _MATHY.search(core) else "text"


def _math(text: str) -> str:
    """$...$ around a run, with unbalanced parentheses and trailing punctuation kept outside it."""
    leading, trailing = "", ""
    while True:
        if text and text[-1] in ",;:.":
            trailing, text = text[-1] + trailing, text[:-1]
        elif text.endswith(")") and text.count(")") > text.count("("):
            trailing, text = ")" + trailing, text[:-1]
        elif text.startswith("(") and text.count("(") > text.count(")"):
            leading, text = leading + "(", text[1:]
        else:
            break
    unmatched = _unmatched_bracket(text)
    if unmatched is not None:  # a parenthesis opened in math and closed in the words after it: it stays text
        before, after = text[:unmatched], text[unmatched + 1:]
        gap = before[len(before.rstrip()):]
        joint = re.match(r"[\s,;:.]*", after)[0]
        before, after = before.rstrip(), after[len(joint):]
        return (f"{leading}{_math(before) if before else ''}{gap}{text[unmatched]}{joint}"
                f"{_math(after) if after else ''}{trailing}")
    for symbol, command in _SYMBOLS.items():
        text = text.replace(symbol, command + (" " if command[-1].isalpha() else ""))
    text = re.sub(r"\b(ln|log)\b", r"\\\1", text)
    text = _SCRIPT_IN_PARENTHESES.sub(lambda found: f"{found[1]}{{{found[2]}}}", text)  # W^(l+1) -> W^{(l+1)}
    text = re.sub(r"_([A-Za-z0-9]{2,})", r"_{\1}", text)
    text = re.sub(r"(\\[a-z]+) _", r"\1_", text)
    text = text.replace("%", r"\%")
    return f"{leading}${text}${trailing}" if text else leading + trailing


def _unmatched_bracket(text: str) -> int | None:
    """The position of the first parenthesis without its partner in the text, or None."""
    opened = []
    for position, char in enumerate(text):
        if char == "(":
            opened.append(position)
        elif char == ")":
            if not opened:
                return position
            opened.pop()
    return opened[0] if opened else None


_SCRIPT_IN_PARENTHESES = re.compile(r"([_^])(\((?:[^()]|\([^()]*\))*\))")


def note_to_html(note: str) -> str:
    """A note for a web page: HTML-escaped, x_j and e^{z_j} as <sub>/<sup>, the Kronecker δ_ij upright and bold."""
    escaped = note.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = _KRONECKER_NOTE.sub(r'<span class="kronecker">δ</span><sub>\1\2</sub>', escaped)
    pieces, position = [], 0
    for found in _CODE.finditer(escaped):  # a program's name is code, its underscore no subscript
        pieces += [_html_scripts(escaped[position:found.start()]), f"<code>{found[0]}</code>"]
        position = found.end()
    return "".join(pieces) + _html_scripts(escaped[position:])


def _html_scripts(text: str) -> str:
    out, position = [], 0
    while position < len(text):
        char = text[position]
        scripted = char in "^_" and position and (text[position - 1].isalnum() or text[position - 1] in ")}Σσδ∂∇'>")
        script = _script_at(text, position + 1) if scripted else None
        if script is None:
            out.append(char)
            position += 1
            continue
        inner, position = script
        tag = "sup" if char == "^" else "sub"
        out.append(f"<{tag}>{_html_scripts(inner)}</{tag}>")
    return "".join(out)


def _script_at(text: str, start: int):
    """(the script's text, where the text goes on) for ^{…}, ^(…) (kept in parentheses), or a run of letters."""
    if start >= len(text):
        return None
    if text[start] in "{(":
        close = _matching(text, start)
        if close is None:
            return None
        inner = text[start + 1:close] if text[start] == "{" else text[start:close + 1]
        return inner, close + 1
    found = re.match(r"[A-Za-z0-9]+", text[start:])
    return (found[0], start + len(found[0])) if found else None


def _matching(text: str, start: int):
    pairs = {"{": "}", "(": ")"}
    depth = 0
    for position in range(start, len(text)):
        if text[position] == text[start]:
            depth += 1
        elif text[position] == pairs[text[start]]:
            depth -= 1
            if depth == 0:
                return position
    return None
