"""The expression language: what it builds, the one-line errors it gives, and what it refuses."""

import ast
import pathlib

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import derive.expressions as expressions
from derive.errors import UsageError
from derive.expressions import ExpressionError, looks_like_expression, parse_expression, unknown_id_message, variable

z = variable("z")
alpha = sp.Symbol("alpha", positive=True)


def parse(text, **kw):
    return parse_expression(text, parameters={"alpha": alpha}, **kw)


@pytest.mark.parametrize("text, expected", [
    ("log(1 + exp(z))", sp.log(1 + sp.exp(z))),
    ("z/(1 + abs(z))", z / (1 + sp.Abs(z))),
    ("max(0, z) + 0.1*min(0, z)", sp.Max(0, z) + sp.Rational(1, 10) * sp.Min(0, z)),
    ("z*sigmoid(z)", z / (1 + sp.exp(-z))),
    ("z/2*(1 + erf(z/sqrt(2)))", z / 2 * (1 + sp.erf(z / sp.sqrt(2)))),
    ("tanh(z)", sp.tanh(z)),
    ("alpha*(exp(z) - 1)", alpha * (sp.exp(z) - 1)),
    ("-z^2", -z**2),
    ("z**2 - 2^3^2", z**2 - 512),  # ** is ^, and powers group to the right
    ("1.5e-3*z + .5", sp.Rational(3, 2000) * z + sp.Rational(1, 2)),
    ("sqrt(2/pi)*z", sp.sqrt(2 / sp.pi) * z),
    ("--z", z),
])
def test_builds_the_sympy_expression(text, expected):
    assert parse(text) == expected


def test_costs_use_their_own_variables():
    a, y = variable("a"), variable("y")
    assert parse_expression("(a - y)^2/2", variables=("a", "y")) == (a - y) ** 2 / 2


def test_a_parameter_may_stand_for_a_value():
    assert parse_expression("max(alpha*z, z)", parameters={"alpha": 0.01}) == sp.Max(z / 100, z)


@pytest.mark.parametrize("text, message", [
    ("z*", "column 3: unexpected end; expected a number, a name or '(' after '*'"),
    ("2 ** * z", "column 6: unexpected '*'; expected a number, a name or '(' after '**'"),
    ("(z", "column 3: unexpected end; expected '(', an operator or ')' after 'z'"),
    ("z)", "column 2: unexpected ')'; expected '(', an operator or the end after 'z'"),
    ("max(z,", "column 7: unexpected end; expected a number, a name or '(' after ','"),
    ("", "column 1: empty expression; expected a number, a name or '('"),
    ("sigmod(z)", "column 1: unknown function 'sigmod'; did you mean sigmoid?"),
    ("x + 1", "column 1: unknown name 'x'; known: pi, z, alpha"),
    ("tanh", "column 1: tanh is a function; expected '(' after it"),
    ("max(z)", "column 1: max takes 2 arguments, got 1"),
    ("exp(z, z)", "column 1: exp takes 1 argument, got 2"),
])
def test_a_bad_expression_gets_one_line_naming_the_column(text, message):
    with pytest.raises(ExpressionError) as error:
        parse(text)
    assert str(error.value) == message


@pytest.mark.parametrize("text, message", [
    ("log(z)", "column 1: log(z) is not defined for every real value: log needs an argument that is always "
               "positive, e.g. log(1 + exp(z))"),
    ("z + sqrt(z - 1)", "column 5: sqrt(z - 1) is not defined for every real value: sqrt needs an argument that "
                        "is always positive, e.g. sqrt(1 + exp(z))"),
    ("1/z", "column 2: the denominator may be 0 for some real value (z); write one that is never 0, e.g. 1 + z^2"),
    ("z^-1", "column 2: a negative power needs a base that is never 0; z may be"),
    ("z^0.5", "column 2: a power with a non-integer or variable exponent needs a base that is always positive; "
              "z may not be"),
    ("(-8)^(1/3)", "column 5: a power with a non-integer or variable exponent needs a base that is always "
                   "positive; (-8) may not be"),
    ("1/0", "column 2: division by zero"),
])
def test_what_is_not_defined_on_the_whole_real_line_is_refused(text, message):
    with pytest.raises(ExpressionError) as error:
        parse(text)
    assert str(error.value) == message


@pytest.mark.parametrize("text", [
    "log(1 + exp(z))", "sqrt(1 + z^2)", "z/(1 + abs(z))", "(1 + z^2)^-1", "(1 + exp(z))^0.5", "2^z", "z^3",
])
def test_what_is_defined_everywhere_is_accepted(text):
    assert parse(text).has(z)


@pytest.mark.parametrize("text", [
    "__import__('os').system('echo hacked')", "z.__class__", "lambda: 0", "z; z", "exec('1')", "z if z else 1",
    "[z]", "{z}", "z @ z", "z % 2", "'z'", "z\n+ 1", "ζ + 1", "z\x00", "z == 1", "1_000",
    "9^9^9^9", "1e999999999", "1e400", "10^400", "1e-400",
])
def test_hostile_input_is_refused_with_one_line(text):
    with pytest.raises(ExpressionError) as error:
        parse(text)
    assert "\n" not in str(error.value) and str(error.value).startswith("column ")


def test_overlong_and_deeply_nested_input_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(expressions, "_parser", lambda: pytest.fail("parsed"))
    with pytest.raises(ExpressionError, match=r"^expression too long: 501 characters \(at most 500\)$"):
        parse("z" * 501)
    with pytest.raises(ExpressionError, match=r"^column 51: nested too deeply \(more than 50 parentheses\)$"):
        parse("(" * 60 + "z" + ")" * 60)


def test_nesting_within_the_limit_parses():
    assert parse("(" * 50 + "z" + ")" * 50) == z


def test_an_expression_error_is_a_usage_error_so_the_cli_exits_2():
    assert issubclass(ExpressionError, UsageError) and issubclass(ExpressionError, ValueError)


@pytest.mark.parametrize("text, expected", [
    ("sigmod", False), ("softmax-jacobian", False), ("tanh", False), ("z", True), ("z-1", True), ("-z", True),
    ("log(1 + exp(z))", True), ("2*z", True), ("z^2", True), ("relu ", False),
])
def test_looks_like_expression_tells_ids_from_expressions(text, expected):
    assert looks_like_expression(text) is expected


def test_an_unknown_id_gets_a_suggestion_from_the_callers_ids():
    ids = ["sigmoid", "softmax-jacobian", "tanh"]
    assert unknown_id_message("sigmod", ids) == "unknown derivation 'sigmod'; did you mean sigmoid?"
    assert unknown_id_message("qqq", ids) == "unknown derivation 'qqq'; choose one of: sigmoid, softmax-jacobian, tanh"


def test_parameter_names_may_not_hide_the_languages_names():
    with pytest.raises(ValueError, match="clash"):
        parse_expression("z", parameters={"exp": 1})


def test_the_module_never_turns_text_into_code():
    tree = ast.parse(pathlib.Path(expressions.__file__).read_text())
    called = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
              for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert not called & {"eval", "exec", "compile", "sympify", "parse_expr", "lambdify", "__import__"}


def test_nothing_typed_is_evaluated_as_python(monkeypatch):
    import builtins

    parse("z")  # build the parser first: lark reads its own grammar once
    calls = []
    for name in ("eval", "exec", "compile", "__import__"):
        original = getattr(builtins, name)
        monkeypatch.setattr(builtins, name, lambda *args, _name=name, _original=original, **kw: (
            calls.append((_name, args[:1])) if isinstance(args[0], str) and "os" in args[0] else None,
            _original(*args, **kw))[1])
    for text in ["__import__('os').system('exit 3')", "exp(z) + os", "os.system", "eval('z')", "sigmoid(os)"]:
        with pytest.raises(ExpressionError):
            parse(text)
    assert calls == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("z0123456789.eE+-*/^(), _abcdfgilmnopqrstxy'\"[];:\\\tζ")), max_size=60)
       | st.text(max_size=40))
def test_random_text_gives_an_expression_or_one_line_error(text):
    try:
        result = parse(text)
    except ExpressionError as error:
        assert "\n" not in str(error) and str(error)
    else:
        assert isinstance(result, sp.Expr) and result.free_symbols <= {z, alpha}
        assert not result.has(sp.I, sp.zoo, sp.nan, sp.oo)


# ------------------------------------------------------------------ random valid expressions, end to end
_LEAVES = st.sampled_from(["z", "z", "2", "0.5", "3e-1", "alpha", "pi"])
_UNARY = ["tanh", "sigmoid", "erf", "abs", "log", "sqrt"]


def _compound(children):
    pairs = st.tuples(children, children)
    return st.one_of(
        pairs.map(lambda p: f"({p[0]} + {p[1]})"), pairs.map(lambda p: f"({p[0]} - {p[1]})"),
        pairs.map(lambda p: f"{p[0]} * {p[1]}"), pairs.map(lambda p: f"{p[0]} / (1 + {p[1]}^2)"),
        st.tuples(children, st.sampled_from(["2", "3", "-1", "0.5"])).map(lambda p: f"({p[0]})^{p[1]}"),
        children.map(lambda c: f"-{c}"), _LEAVES.map(lambda leaf: f"exp({leaf})"),
        st.tuples(st.sampled_from(_UNARY), children).map(lambda p: f"{p[0]}({p[1]})"),
        st.tuples(st.sampled_from(["max", "min"]), pairs).map(lambda p: f"{p[0]}({p[1][0]}, {p[1][1]})"),
    )


_EXPRESSIONS = st.recursive(_LEAVES, _compound, max_leaves=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_EXPRESSIONS)
def test_random_valid_expressions_derive_prove_and_check_or_are_refused_clearly(text):
    from checks.derivation_check import check_derivation
    from derive.plan import plan_derivation
    from derive.verify import prove

    try:
        expr = parse(text)
    except ExpressionError as error:  # the domain: log, sqrt, division and powers that are not real everywhere
        assert str(error).startswith("column ") and "\n" not in str(error)
        return
    derivation = plan_derivation(expr, id="fuzz", title=text, parameters=(alpha,))
    proof = prove(derivation)
    assert proof.passed, (text, [check.method for check in (*proof.steps, proof.independent) if not check.verified])
    numeric = check_derivation(derivation)
    assert numeric.passed, (text, numeric.max_rel_error, numeric.method)
