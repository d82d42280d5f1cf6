"""Every API example's OpenAPI document passes the api-patterns skill's own validator.

The skill teaches (and `scripts/validate_api_spec.py` checks) explicit operationIds,
declared problem-details errors, a 401 on protected operations and pagination on every
list; the course's examples must follow their own advice. This covers every example whose
contract.py can build its app (``make_app``), whether or not it opts in to the bearer-token
contract suite: a public API's document is held to the same design rules.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from backend_skills.examples import load_example_module, openapi_examples
from backend_skills.paths import skills_dir

VALIDATOR = skills_dir() / "api-patterns" / "scripts" / "validate_api_spec.py"


@pytest.mark.parametrize("skill, example", openapi_examples(), ids=lambda v: v)
def test_example_openapi_passes_validate_api_spec(skill, example, tmp_path):
    contract = load_example_module(skill, example, "contract")
    state = tmp_path / "state"
    state.mkdir()
    document = contract.make_app(state).openapi()
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))
    result = subprocess.run(
        [sys.executable, str(VALIDATOR), str(spec)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
