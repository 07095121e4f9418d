"""The suite fails on deprecation warnings triggered by lingualift code (tests/deprecation_guard.py plus the
``filterwarnings`` of pyproject.toml), and not on third-party deprecations we do not cause.

Each case runs a small inner pytest session (pytester, in-process) and checks its verdict.
"""

from __future__ import annotations

import textwrap

import pytest
import torch  # noqa: F401  (imported here so the in-process inner sessions never import torch a second time)
import transformers.utils.deprecation  # noqa: F401
from deprecation_guard import DeprecationGuard, _package_dir

pytest_plugins = ["pytester"]

# A transformers-decorated module, called with its deprecated keyword through `nn.Module.__call__` (what
# LinguaLiftForCausalLM.forward did with `past_key_values` on transformers 5.24), from a two-line helper whose
# code lives in lingualift/ (compiled under a path in the package; nothing is written there).
INNER_HEADER = """
import warnings

import torch
from transformers.utils.deprecation import deprecate_kwarg


class Legacy(torch.nn.Module):
    @deprecate_kwarg("old", version="99.0.0", new_name="new")
    def forward(self, x, new=None):
        return x


def lingualift_helper():
    namespace = {{"__name__": "lingualift._deprecation_probe"}}
    source = "def call(module, x, **kwargs):\\n    return module(x, **kwargs)\\n"
    exec(compile(source, {probe_file!r}, "exec"), namespace)
    return namespace["call"]
"""


def run_inner(pytester: pytest.Pytester, request: pytest.FixtureRequest, body: str) -> pytest.RunResult:
    probe_file = str(_package_dir() / "_deprecation_probe.py")
    source = INNER_HEADER.format(probe_file=probe_file) + textwrap.dedent(body)
    pytester.makepyfile(test_inner=source)
    filters = "\n".join(f"    {line}" for line in request.config.getini("filterwarnings"))
    pytester.makeini(f"[pytest]\nfilterwarnings =\n{filters}\n")  # this repository's filters
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", plugins=[DeprecationGuard()])


def test_deprecated_argument_passed_from_lingualift_fails_the_test(pytester, request):
    result = run_inner(
        pytester,
        request,
        """
        def test_ours():
            out = lingualift_helper()(Legacy(), torch.ones(2), old=1)
            assert out.shape == (2,)  # the call itself works: only the guard can fail this test
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*deprecation warning(s) triggered by lingualift code*",
            "*FutureWarning: `old` is deprecated*",
            "*triggered through *lingualift*_deprecation_probe.py:2*",
        ]
    )


def test_deprecation_in_fixture_setup_and_at_import_fail_too(pytester, request):
    result = run_inner(
        pytester,
        request,
        """
        import pytest

        @pytest.fixture
        def built():
            return lingualift_helper()(Legacy(), torch.ones(1), old=1)

        def test_setup(built):
            pass
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*deprecation warning(s) triggered by lingualift code*"])

    result = run_inner(pytester, request, "lingualift_helper()(Legacy(), torch.ones(1), old=1)\n")
    result.assert_outcomes(errors=1)  # collection error
    result.stdout.fnmatch_lines(["*deprecation warning(s) triggered by lingualift code*"])


def test_deprecation_attributed_to_a_lingualift_module_is_an_error(pytester, request):
    """pyproject's ``error::DeprecationWarning:lingualift`` (module-attributed) filters apply as well."""
    result = run_inner(
        pytester,
        request,
        """
        def test_attributed():
            namespace = {"__name__": "lingualift._deprecation_probe", "warnings": warnings}
            code = compile("warnings.warn('old API', DeprecationWarning)", "probe", "exec")
            exec(code, namespace)
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*DeprecationWarning: old API*"])


def test_third_party_and_silenced_deprecations_pass(pytester, request):
    result = run_inner(
        pytester,
        request,
        """
        def test_not_through_lingualift():
            # a deprecation no lingualift frame leads to (the test calls transformers itself): not ours
            Legacy()(torch.ones(1), old=1)

        def test_silenced_on_purpose():
            # what lingualift.modeling.stages.quiet_peft_deprecations does for PEFT's own deprecated reads
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=FutureWarning)
                lingualift_helper()(Legacy(), torch.ones(1), old=1)

        def test_current_api():
            lingualift_helper()(Legacy(), torch.ones(1), new=1)
        """,
    )
    result.assert_outcomes(passed=3)
