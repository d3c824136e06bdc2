"""Symbolic verification: every step of a derivation is proven, and the result is compared with SymPy's diff.

How a step is proven depends on its rule's kind:
- rewrite and assumption rules are replayed (the rule applied to the previous expression must give this
  one), and both sides are grounded at concrete K (definitions substituted, sums expanded, derivatives
  evaluated by SymPy) and shown equal as rational functions for every pattern of the free indices;
- algebra rules are rational identities with sums, deltas and derivatives held as opaque atoms, which
  proves them for every K at once;
- counterexample steps are confirmed when a grounded difference is a nonzero rational function.

Index patterns: an expression whose indices are all symbols (sums run over the whole range 1..K) is
invariant under relabelling the classes, so its value at (i, j) = (3, 5) is its value at (1, 2) with
z and y permuted. One representative per pattern of equal and distinct free indices then covers every
assignment. An expression with a fixed index (such as z_1) is checked on every assignment instead.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from derive.families import OUTPUT, family_of
from derive.notation import C, E, EXPAND_LIMIT, K, a, cross_entropy, free_indices, softmax_of, t, y, z
from derive.rules import ALGEBRA, ASSUMPTION, COUNTEREXAMPLE, REWRITE, delta, kronecker_contraction, rule, sum_linearity
from derive.steps import NOT_EQUAL, Derivation, Step

__all__ = ["StepCheck", "Proof", "prove", "GENERAL_CHECK_CLASSES", "set_partitions", "pattern_values", "atomize",
           "expand_sums", "is_zero", "ATOMS"]

GENERAL_CHECK_CLASSES = (2, 3, 4, 5, 6)  # the K at which a general-K step is grounded and checked
# Families of derivations with a prover of their own: family -> module defining prove(derivation) -> Proof.


@dataclass(frozen=True)
class StepCheck:
    """The verdict on one step (or on the whole result, for the independent route)."""

    verified: bool
    method: str


@dataclass(frozen=True)
class Proof:
    """A derivation with the verdict on each of its steps and on its result by an independent route."""

    derivation: Derivation
    steps: tuple[StepCheck, ...]
    independent: StepCheck

    @property
    def passed(self) -> bool:
        return self.independent.verified and all(check.verified for check in self.steps)


def prove(derivation: Derivation) -> Proof:
    """Verify every step of `derivation` and compare its result with SymPy's own derivative."""
    if family_of(derivation) is not OUTPUT:  # backprop and planned derivations have provers of their own
        return family_of(derivation).prove(derivation)
    if derivation.classes is not None and derivation.classes > EXPAND_LIMIT:
        return _instantiated(derivation)
    checks, assumed = [], []
    for position, step in enumerate(derivation.steps):
        if rule(step.rule).kind == ASSUMPTION and not step.aside:
            assumed.append(step.rule)
        checks.append(_check_step(derivation, derivation.previous(position), step, tuple(assumed)))
    return Proof(derivation, tuple(checks), _independent(derivation, tuple(assumed)))


def _instantiated(derivation: Derivation) -> Proof:
    """K above EXPAND_LIMIT: this derivation must be the general one with K := n, whose proof then carries over."""
    from derive.derivations import entry, instantiate  # the catalogue builds on this module, not the reverse

    general = entry(derivation.id).builder(None)
    if instantiate(general, derivation.classes).steps != derivation.steps:
        failed = StepCheck(False, "not an instance of the general-K derivation")
        return Proof(derivation, tuple(failed for _ in derivation.steps), failed)
    proof = _general_proof(derivation.id)
    tag = f"general-K proof, instantiated at K={derivation.classes}"
    return Proof(derivation, tuple(StepCheck(c.verified, f"{tag}: {c.method}") for c in proof.steps),
                 StepCheck(proof.independent.verified, f"{tag}: {proof.independent.method}"))


@lru_cache(maxsize=None)
def _general_proof(id_: str) -> Proof:
    from derive.derivations import entry

    return prove(entry(id_).builder(None))


# ------------------------------------------------------------------------------------------------ steps
def _check_step(derivation: Derivation, previous: sp.Expr, step: Step, assumed: tuple[str, ...]) -> StepCheck:
    kind = rule(step.rule).kind
    if step.relation == NOT_EQUAL or kind == COUNTEREXAMPLE:
        return _check_counterexample(derivation, previous, step.expr, assumed)
    if kind == ALGEBRA:
        return _check_identity(previous, step.expr)
    if kind in (REWRITE, ASSUMPTION):
        source, target = (step.expr, previous) if step.reverse else (previous, step.expr)
        if rule(step.rule).apply(source, derivation.classes) != target:
            return StepCheck(False, f"replaying {step.rule} does not give this expression")
        return _check_instances(derivation, previous, step.expr, assumed, f"{step.rule} replayed")
    return StepCheck(False, f"no verifier for rule kind {kind!r}")


def _check_identity(previous: sp.Expr, current: sp.Expr) -> StepCheck:
    atoms: dict = {}
    difference = atomize(previous, atoms) - atomize(current, atoms)
    if _equal(difference, sp.Integer(0)):
        return StepCheck(True, "rational identity (sums, deltas, derivatives as atoms)")
    return StepCheck(False, "not a rational identity")


ATOMS = (sp.Sum, sp.KroneckerDelta, sp.Derivative)  # what an algebra step holds opaque (a family may add kinds)


def atomize(expr: sp.Expr, atoms: dict, kinds: tuple = ATOMS) -> sp.Expr:
    """Replace every node of the given kinds (sums, Kronecker deltas, derivatives) by a symbol, one per distinct
    node: shared by the provers of every family (backprop adds its own kinds)."""
    if isinstance(expr, kinds):
        return atoms.setdefault(expr, sp.Dummy(f"atom{len(atoms)}"))
    if not expr.args or isinstance(expr, sp.Indexed):
        return expr
    return expr.func(*[atomize(arg, atoms, kinds) for arg in expr.args])


def is_zero(expr: sp.Expr) -> bool:
    """Exact: the canonical form of a rational function is 0."""
    return sp.cancel(sp.together(expr)) == 0


def _check_instances(derivation, previous, current, assumed, replayed) -> StepCheck:
    sizes = _sizes(derivation)
    for n in sizes:
        for values in _index_assignments(derivation, (previous, current), n):
            if not _equal(_ground(previous, derivation, n, values, assumed), _ground(current, derivation, n, values, assumed)):
                return StepCheck(False, f"{replayed}, but the sides differ at K={n}, {_show(values)}")
    return StepCheck(True, f"{replayed}; equal when grounded at {_show_sizes(sizes)}")


def _check_counterexample(derivation, previous, current, assumed) -> StepCheck:
    for n in _sizes(derivation)[:1] if derivation.classes is None else _sizes(derivation):
        for values in _index_assignments(derivation, (previous, current), n):
            if not _equal(_ground(previous, derivation, n, values, assumed), _ground(current, derivation, n, values, assumed)):
                return StepCheck(True, f"counterexample confirmed: the sides differ at K={n}, {_show(values)}")
    return StepCheck(False, "no counterexample found: the sides agree")


def _sizes(derivation: Derivation) -> tuple[int, ...]:
    if derivation.classes is None:
        return GENERAL_CHECK_CLASSES
    if derivation.classes > EXPAND_LIMIT:
        raise ValueError(f"K={derivation.classes} is proven by instantiating the general case, not by expansion")
    return (derivation.classes,)


def _show_sizes(sizes) -> str:
    return f"K={sizes[0]}" if len(sizes) == 1 else f"K={sizes[0]}..{sizes[-1]}"


def _show(values: dict) -> str:
    return ", ".join(f"{index}={value}" for index, value in sorted(values.items(), key=str)) or "no free index"


# ------------------------------------------------------------------------------------------- grounding
def _index_assignments(derivation: Derivation, exprs, n: int):
    """Assignments of 1..n to the free indices: one per equality pattern when the exprs are label-free."""
    indices = sorted(set().union(*(free_indices(e) for e in exprs)), key=str)
    if all(_label_free(e) for e in exprs):
        candidates = (pattern_values(indices, blocks) for blocks in set_partitions(indices))
        candidates = (values for values in candidates if max(values.values(), default=0) <= n)
    else:
        candidates = (dict(zip(indices, combo)) for combo in itertools.product(range(1, n + 1), repeat=len(indices)))
    for values in candidates:
        if all(values.get(p) != values.get(q) or p not in values for p, q in derivation.distinct):
            yield values


def _label_free(expr: sp.Expr) -> bool:
    """No class is singled out: every index in expr is a symbol."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Indexed) and not all(index.is_Symbol for index in node.indices):
            return False
        if isinstance(node, sp.KroneckerDelta) and not all(arg.is_Symbol for arg in node.args):
            return False
    return True


def set_partitions(items):
    """Every way to split `items` into blocks: the patterns of which free indices are equal."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in set_partitions(rest):
        yield [[first]] + partition
        for position in range(len(partition)):
            yield partition[:position] + [[first] + partition[position]] + partition[position + 1:]


def pattern_values(indices, blocks) -> dict:
    """One representative assignment for a pattern: block b takes the value b (1-based)."""
    return {index: number for number, block in enumerate(blocks, start=1) for index in block}


def _ground(expr, derivation: Derivation, n: int, values: dict, assumed) -> sp.Expr:
    """expr at K = n with the free indices set: definitions unfolded, sums expanded, derivatives evaluated."""
    define_a = derivation.definitions.get(a, _softmax)
    return _ground_cached(expr.xreplace({K: n}), n, tuple(sorted(values.items(), key=str)), define_a,
                          "one-hot" in assumed)


@lru_cache(maxsize=8192)
def _ground_cached(expr, n, values, define_a, one_hot):
    # Keyed on the expression with K already set, so the concrete K = n derivation reuses the general one's work.
    expr = _unfold(expr, define_a).xreplace({K: n})
    expr = expand_sums(expr).xreplace(dict(values))
    expr = _differentiate(expr)
    if one_hot:  # Σ y = 1: eliminate the last target
        expr = expr.xreplace({y[n]: 1 - sum(y[m] for m in range(1, n))})
    return expr


def _differentiate(expr: sp.Expr) -> sp.Expr:
    """Evaluate every ∂/∂z_m by SymPy's diff, with z entering through e_m = exp(z_m) and directly:
    ∂f/∂z_m = (∂f/∂z_m with e fixed) + e_m ∂f/∂e_m. Rational functions in e differentiate far faster than
    exp and log with SymPy's assumptions, and the result is the same function. The exponentials are
    replaced in the same pass: a Derivative of an expression with no z left in it would collapse to 0."""
    if isinstance(expr, sp.exp):
        return _exp_as_power_product(expr.func(_differentiate(expr.args[0])))
    if isinstance(expr, sp.Derivative):
        inner = _differentiate(expr.expr)
        (variable, count), = expr.variable_count
        e_m = sp.Symbol(f"e{variable.indices[0]}", positive=True)
        for _ in range(int(count)):
            inner = sp.diff(inner, variable) + e_m * sp.diff(inner, e_m)
        return inner
    if not expr.args or isinstance(expr, sp.Indexed):
        return expr
    return expr.func(*[_differentiate(arg) for arg in expr.args])


@lru_cache(maxsize=8192)
def _fraction(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """expr = p/q with p and q polynomials (in the e_m, y_m and any atoms left)."""
    return sp.together(expr).as_numer_denom()


def _exp_as_power_product(power: sp.exp) -> sp.Expr:
    """e^{c_1 z_1 + c_2 z_2} -> e1^c_1 e2^c_2 with symbols e_m = e^{z_m}: exp(z_m) are algebraically independent."""
    product = sp.Integer(1)
    for term in sp.Add.make_args(sp.expand(power.args[0])):
        coefficient, rest = term.as_coeff_Mul()
        if not (isinstance(rest, sp.Indexed) and rest.base == z and rest.indices[0].is_Integer and coefficient.is_Integer):
            return power
        product *= sp.Symbol(f"e{rest.indices[0]}", positive=True) ** coefficient
    return product


def _unfold(expr: sp.Expr, define_a, memo: dict | None = None) -> sp.Expr:
    """Substitute δ, C, E and a by their definitions, in one pass from the leaves up."""
    memo = {} if memo is None else memo
    if expr in memo:
        return memo[expr]
    if isinstance(expr, sp.Indexed):
        if expr.base == delta:
            result = sp.Derivative(_unfold(C, define_a, memo), z[expr.indices[0]])
        elif expr.base == a:
            result = define_a(expr.indices[0])
        else:
            result = expr
    elif expr == C:
        result = _unfold(cross_entropy(None), define_a, memo)
    elif expr == E:
        result = -sp.log(define_a(t))
    elif expr.args:
        result = expr.func(*[_unfold(arg, define_a, memo) for arg in expr.args])
    else:
        result = expr
    memo[expr] = result
    return result


def _softmax(index):
    return softmax_of(index, None)


def expand_sums(expr: sp.Expr) -> sp.Expr:
    """Every Sum with integer limits written out term by term (inner sums first); matrices are left whole."""
    if isinstance(expr, sp.Sum):  # Σ_p Σ_q f: SymPy keeps one Sum with two limits, the inner one first
        body = expand_sums(expr.function)
        for index, low, high in expr.limits:
            body = sp.Add(*[body.xreplace({index: value}) for value in range(int(low), int(high) + 1)])
        return body
    if not expr.args or isinstance(expr, (sp.Indexed, sp.MatrixExpr)):
        return expr
    args = [expand_sums(arg) for arg in expr.args]
    return expr if all(new is old for new, old in zip(args, expr.args)) else expr.func(*args)


def _equal(left: sp.Expr, right: sp.Expr) -> bool:
    """Exact equality of rational functions in the independent e_m = exp(z_m) and y_m: p1/q1 = p2/q2
    exactly when the polynomial p1·q2 − p2·q1 is zero (sparse polynomial arithmetic, no gcd needed)."""
    if left == right:
        return True
    (p1, q1), (p2, q2) = _fraction(left), _fraction(right)
    try:
        (n1, d1, n2, d2), _ = sp.parallel_poly_from_expr([p1, q1, p2, q2])
    except sp.PolynomialError:  # generators that are not independent (z_i beside exp(z_i)): the slow exact route
        return is_zero(left - right)
    return (n1 * d2 - n2 * d1).is_zero


# ------------------------------------------------------------------------------------ independent route
def _independent(derivation: Derivation, assumed) -> StepCheck:
    """Compare the result with SymPy's own diff of the definition: SymPy does the differentiating."""
    if derivation.quantity is None or derivation.wrt is None:
        return StepCheck(False, "no definition to differentiate")
    if derivation.classes is not None:
        reference = sp.Derivative(derivation.quantity, derivation.wrt)
        check = _check_instances(derivation, reference, derivation.result, assumed, "sympy.diff of the definition")
        return StepCheck(check.verified, check.method.replace("replayed; equal", "equals the result"))
    return _independent_general(derivation, assumed)


def _independent_general(derivation: Derivation, assumed) -> StepCheck:
    """General K: SymPy differentiates the definition; its Piecewise range guards are resolved here, and what it
    leaves as sums of Kronecker deltas is brought into form with this table's linearity and contraction rules
    (the one place the two routes share rules: the differentiating itself is SymPy's alone)."""
    define_a = derivation.definitions.get(a, _softmax)
    reference = sp.diff(_unfold(derivation.quantity, define_a), derivation.wrt).doit()
    reference = _resolve_range_guards(reference)
    for _ in range(3):  # what doit leaves as Sum(δ·f) is contracted by the same identities, then expanded
        reference = kronecker_contraction(sum_linearity(reference, None), None)
    result = _unfold(derivation.result, define_a)
    for name in assumed:  # the steps used these assumptions; the reference gets them the same way
        reference = rule(name).apply(reference, None)
    atoms: dict = {}
    if is_zero(atomize(reference, atoms) - atomize(result, atoms)):
        return StepCheck(True, "equals sympy.diff of the definition for symbolic K (range guards resolved, "
                               "delta sums contracted)")
    return StepCheck(False, f"differs from sympy.diff of the definition: {reference}")


def _resolve_range_guards(expr: sp.Expr) -> sp.Expr:
    """Piecewise((f, (1 <= i) & (i <= K)), (0, True)) -> f: every free index runs over 1..K by assumption."""

    def resolve(piecewise):
        (value, condition), *_ = piecewise.args
        truths = {rel: True for rel in condition.atoms(sp.Rel) if _in_range(rel)}
        return value if condition.xreplace(truths) == sp.true else piecewise

    return expr.replace(lambda e: isinstance(e, sp.Piecewise), resolve)


def _in_range(relation) -> bool:
    """1 <= i or i <= K for an index symbol i (SymPy writes them either way round)."""
    lhs, rhs = (relation.lts, relation.gts) if isinstance(relation, (sp.LessThan, sp.GreaterThan)) else (None, None)
    return lhs is not None and ((lhs == 1 and rhs.is_Symbol) or (rhs == K and lhs.is_Symbol))
