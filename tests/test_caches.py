"""Session-wide caches key on everything that changes a result: a Derivation compares equal without its definitions."""

import dataclasses

from derive.backprop import bp1
from derive.backprop.verify import prove


def test_a_proof_is_not_reused_for_other_definitions():
    derivation = bp1()
    other = dataclasses.replace(derivation, definitions={**derivation.definitions, "output": "sigmoid",
                                                         "cost": "quadratic"})
    assert derivation == other  # why the key needs more than the derivation
    assert prove(derivation).passed
    assert not prove(other).passed  # softmax steps under a sigmoid + quadratic output do not hold
    assert prove(derivation).passed
