"""A family is an object: its prover, numeric checker and code generator are modules it names, loaded on use."""

import importlib

import pytest

from derive.codegen import SUPPORTED
from derive.derivations import entry, ids
from derive.families import FAMILIES, family_of


@pytest.mark.parametrize("family", FAMILIES.values(), ids=lambda family: family.name)
def test_every_family_names_modules_that_do_its_work(family):
    assert callable(importlib.import_module(family.prover).prove)
    assert callable(importlib.import_module(family.checker).check_derivation)
    if family.generator is not None:
        generator = importlib.import_module(family.generator)
        assert callable(generator.generate) and callable(generator.check)


def test_every_derivation_belongs_to_a_family_and_codegen_goes_through_it():
    for id_ in ids():
        family = family_of(entry(id_).family)
        if id_ in SUPPORTED or entry(id_).function is not None:
            assert family.generator is not None, id_


def test_a_family_without_a_generator_is_refused_in_one_line(run_main):
    result = run_main("codegen", "softmax-sums-to-one")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "codegen does not support" in result.stderr
