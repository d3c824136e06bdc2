"""Web pages: MathML from our printer, self-contained pages, and each exported page rendered by headless Chromium."""

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from derive.derivations import build, ids
from derive.render import run
from derive.render.html import html_page
from derive.render.mathml import to_mathml
from derive.render.notes import note_to_html

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]
# A test-only probe, put into a copy of a page (the pages themselves forbid scripts): for every fraction, is
# the numerator drawn above the denominator? For every Σ with limits, is the lower limit lowered (below the sign
# in display style, as a subscript inside fractions, where MathML moves the limits to the side as TeX does)?
PROBE = """<script>
addEventListener("load", () => {
  const above = (top, bottom) => top.getBoundingClientRect().bottom <= bottom.getBoundingClientRect().top + 1;
  const fractions = [...document.querySelectorAll("mfrac")];
  const sums = [...document.querySelectorAll("munderover")];
  const lowered = (sign, limit) => limit.getBoundingClientRect().top
                                   >= sign.getBoundingClientRect().top + 0.25 * sign.getBoundingClientRect().height;
  const stacked = fractions.filter(f => above(f.children[0], f.children[1])).length
                + sums.filter(s => lowered(s.children[0], s.children[1])).length;
  document.body.setAttribute("data-probe", JSON.stringify({math: document.querySelectorAll("math").length,
      stacked: stacked, total: fractions.length + sums.length}));
});
</script>"""


def test_mathml_writes_our_notation():
    markup = to_mathml(build("softmax-jacobian", None).steps[0].expr)
    assert "<mfrac>" in markup and "<munderover><mo>∑</mo>" in markup and "<msub><mi>z</mi>" in markup
    assert '<msup><mi mathvariant="normal">e</mi>' in markup and "exp" not in markup


def test_mathml_keeps_the_reading_order_and_sets_the_kronecker_delta_apart():
    markup = to_mathml(build("softmax-jacobian", None).result)
    assert markup.index("<mi>a</mi>") < markup.index("kronecker")
    assert '<mi mathvariant="normal" class="kronecker">δ</mi>' in markup


def test_the_qa_log_is_one_upright_function_name_not_three_letters():
    page = html_page([run("negative-log-likelihood-qa", None)])
    assert '<mi mathvariant="normal">log</mi><mo>\u2061</mo><mo>(</mo><mi>σ</mi>' in page
    assert "<mi>l</mi><mi>o</mi><mi>g</mi>" not in page


def test_notes_become_html_with_scripts():
    assert note_to_html("u = e^{z_j} & δ_ij") == ('u = e<sup>z<sub>j</sub></sup> &amp; '
                                                  '<span class="kronecker">δ</span><sub>ij</sub>')


def test_a_programs_name_in_a_note_is_code_not_a_subscript():
    assert note_to_html("the row sums of error_deriv: ∂z_j/∂b_j = 1") == (
        "the row sums of <code>error_deriv</code>: ∂z<sub>j</sub>/∂b<sub>j</sub> = 1")


def test_page_is_self_contained_and_marks_each_step():
    report = run("bp1", None)
    page = html_page([report])
    assert "<script" not in page and not re.search(r"https?:|src=|url\(|@import", page)
    assert "default-src 'none'" in page and page.count("Layout convention") == 1
    steps = report.derivation.steps
    assert page.count('<tr class="aside">') == sum(step.aside for step in steps) > 0
    assert page.count('class="mark ok">✓') == sum(check.verified for check in report.proof.steps) == len(steps)
    assert "\\frac" not in page and "$" not in page


def test_export_writes_a_page_per_derivation_and_an_index(cli, tmp_path):
    result = cli("export", "sigmoid", "softmax-jacobian", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    index = (tmp_path / "index.html").read_text()
    assert 'href="sigmoid.html"' in index and 'href="softmax-jacobian.html"' in index
    assert "<math" in (tmp_path / "sigmoid.html").read_text()


def test_exported_pages_link_the_derivations_they_cite(cli, tmp_path):
    result = cli("export", "cross-entropy-delta", "cross-entropy-split", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert '<a href="softmax-jacobian.html">derivation softmax-jacobian</a>' in \
        (tmp_path / "cross-entropy-delta.html").read_text()
    assert '<a href="softmax-off-diagonal.html">derivation softmax-off-diagonal</a>' in \
        (tmp_path / "cross-entropy-split.html").read_text()


def test_show_html(cli):
    result = cli("show", "softmax-diagonal", "--format", "html")
    assert result.returncode == 0 and result.stdout.startswith("<!DOCTYPE html>") and "<mfrac>" in result.stdout


@pytest.fixture(scope="module")
def chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium); pages not rendered")
    return found


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    from derive.render.export import export

    folder = tmp_path_factory.mktemp("pages")
    export(ids(), folder, classes=None, strict=False)
    return folder


def _chromium(chromium, tmp_path, page, *extra):
    profile = tmp_path / f"profile-{page.stem}-{len(extra)}"
    profile.mkdir()
    return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


def _page_requests(netlog) -> list[str]:
    """What the page asked the network for: requests with the page as initiator (the browser's own update and
    account checks have none), and host look-ups made on the page's behalf (file:// keys)."""
    log = json.loads(netlog.read_text())
    names = {value: key for key, value in log["constants"]["logEventTypes"].items()}
    asked = []
    for event in log["events"]:
        params, kind = event.get("params", {}), names[event["type"]]
        url = params.get("url", "")
        if kind == "URL_REQUEST_START_JOB" and params.get("initiator") != "not an origin" \
                and url and not url.startswith(("file:", "data:")):
            asked.append(url)
        if kind == "HOST_RESOLVER_MANAGER_JOB" and "file://" in params.get("network_anonymization_key", ""):
            asked.append(params["host"])
    return asked


def _screenshot_is_not_blank(chromium, tmp_path, page):
    png, netlog = tmp_path / f"{page.stem}.png", tmp_path / f"{page.stem}.netlog.json"
    result = _chromium(chromium, tmp_path, page, "--window-size=1200,1600", f"--screenshot={png}",
                       f"--log-net-log={netlog}")
    assert png.exists(), result.stderr[-2000:]
    import matplotlib.image

    pixels = matplotlib.image.imread(str(png))[..., :3]
    ink = (pixels.min(axis=2) < 0.5).mean()  # the share of dark pixels: text and math
    return ink, _page_requests(netlog)


def test_the_network_detector_sees_a_page_that_fetches(chromium, tmp_path):
    page = tmp_path / "fetches.html"
    page.write_text('<!DOCTYPE html><p>text</p><img src="http://127.0.0.1:9/picture.png">')
    _, asked = _screenshot_is_not_blank(chromium, tmp_path, page)
    assert asked == ["http://127.0.0.1:9/picture.png"]


def test_the_layout_probe_sees_math_that_was_not_laid_out(chromium, tmp_path):
    page = tmp_path / "flat.html"
    flat = "<mfrac><mi>a</mi><mi>b</mi></mfrac><munderover><mo>∑</mo><mi>k</mi><mi>K</mi></munderover>"
    page.write_text(f"<!DOCTYPE html><body><p>{flat}</p>{PROBE}</body>")
    probe = _probe(chromium, tmp_path, page)
    assert probe["stacked"] == 0 and probe["total"] == 2  # outside <math>, MathML elements are not laid out


def _probe(chromium, tmp_path, page) -> dict:
    result = _chromium(chromium, tmp_path, page, "--dump-dom")
    found = re.search(r'data-probe="([^"]*)"', result.stdout)
    assert found, result.stderr[-2000:]
    return json.loads(found[1].replace("&quot;", '"'))


@pytest.mark.parametrize("name", [f"{id_}.html" for id_ in ids()])
def test_exported_page_has_no_linear_notation_left(exported, name):
    """No ^ or _ printed as a character: in math, an operator <mo>^</mo>; in prose, outside a <code> name."""
    page = (exported / name).read_text()
    assert not re.search(r"<mo>[\^_]</mo>", page), f"{name}: a raw script in MathML"
    prose = re.sub(r"<math.*?</math>|<code>.*?</code>|<style>.*?</style>|<[^>]*>", "", page, flags=re.S)
    assert not re.search(r"\w[\^_]", prose), f"{name}: a raw script in its text"


def test_an_aside_has_its_label_above_and_its_formula_across_the_page():
    page = html_page([run("gradient-descent-update", 3)])
    assert page.count('<tr class="aside-label">') == page.count('<tr class="aside">') == 4
    assert page.count('<td class="math" colspan="2">') == 4
    assert "<msup><mo>)</mo><mrow><mi>T</mi></mrow></msup>" in page  # H (O − T)^T


@pytest.mark.parametrize("name", [f"{id_}.html" for id_ in ids()] + ["index.html"])
def test_exported_page_renders_in_chromium(chromium, exported, tmp_path, name):
    page = exported / name
    assert not re.search(r"\\(frac|partial|sum)|\$", page.read_text()), f"{name} holds raw TeX"
    ink, asked = _screenshot_is_not_blank(chromium, tmp_path, page)
    assert ink > 0.002, f"{name} rendered blank"
    assert asked == [], f"{name} asked the network for {asked}"
    if name == "index.html":
        return
    probed = tmp_path / name
    probed.write_text(page.read_text().replace('http-equiv="Content-Security-Policy"', 'name="no-policy"')
                      .replace("</body>", PROBE + "</body>"))
    probe = _probe(chromium, tmp_path, probed)
    assert probe["math"] > 3 and probe["total"] > 0 and probe["stacked"] == probe["total"], probe
    assert not np.isnan(ink)
