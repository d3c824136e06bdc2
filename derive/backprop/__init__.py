"""Backpropagation itself: BP1-BP4 for networks of any depth and layer sizes, derived step by step and proven.

    from derive.backprop import backprop, equations
    derivation = backprop()                    # symbolic sizes; backprop(sizes=(784, 30, 10)) for a concrete net
    for equation in equations(derivation):     # bp1..bp4: left-hand side, result, the positions of its steps
        print(equation.name, equation.lhs, "=", equation.result)

Modules: notation (layer symbols and matrices), rules (the rules the steps name, registered in derive.rules),
derivations (the builders), ground and verify (the step-by-step prover), network (the independent route:
SymPy's derivatives on whole networks). The entries bp1..bp4 and backprop are in derive.catalogue.
"""

from derive.backprop.derivations import COSTS, OUTPUTS, Equation, backprop, bp1, bp2, bp3, bp4, equations

__all__ = ["bp1", "bp2", "bp3", "bp4", "backprop", "equations", "Equation", "OUTPUTS", "COSTS"]
