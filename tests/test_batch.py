"""Reports computed on several cores are the reports computed one by one."""

from derive.render.batch import Request, _run, run_all


def verdicts(report):
    return ([c.verified for c in report.proof.steps], report.proof.independent.verified,
            report.numeric.max_rel_error, report.derivation.id, report.derivation.classes)


def test_parallel_reports_equal_sequential_ones():
    requests = [Request("softmax-jacobian", 3, 0), Request("softmax-jacobian", None, 0),
                Request("sigmoid", 4, 1), Request("bp3", None, 0)]
    together = run_all(requests)
    assert [verdicts(r) for r in together] == [verdicts(_run(request)) for request in requests]
    assert [r.derivation.id for r in together] == [request.id for request in requests]
