"""The GitHub Classroom workflow (packaging/classroom/classroom.yml) against
the schema GitHub enforces, with the validator `make lint` installs."""

import subprocess

import pytest

from conftest import ROOT

WORKFLOW = ROOT / "packaging" / "classroom" / "classroom.yml"
VALIDATOR = ROOT / "build" / "node" / "node_modules" / ".bin" / "action-validator"


def test_the_classroom_workflow_is_valid():
    if not VALIDATOR.exists():
        pytest.fail(f"{VALIDATOR} is missing: run `make lint` once to install it", pytrace=False)
    run = subprocess.run([str(VALIDATOR), str(WORKFLOW)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_clause_group_reports_its_points():
    text = WORKFLOW.read_text()
    runners = text.split("runners: ")[1].split()[0].split(",")
    for step in runners:
        assert f"id: {step}\n" in text
        assert f"{step.upper()}_RESULTS: \"${{{{ steps.{step}.outputs.result }}}}\"" in text
