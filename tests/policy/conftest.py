"""Policy test helpers: the conformance corpus and engines over the repository's policies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.policy.embedded import EmbeddedPolicyEngine
from gateway.policy.opa import OpaPolicyEngine
from gateway.policy.port import INGEST_DECISION, VIEWS_DECISION

REPO = Path(__file__).resolve().parents[2]
POLICY_DIR = REPO / "policies"
CORPUS = Path(__file__).with_name("corpus.yaml")
PATHS = {"views": VIEWS_DECISION, "ingest": INGEST_DECISION}


def load_corpus() -> list[dict[str, Any]]:
    """Cases with their input documents assembled (subjects referenced by name)."""
    doc = yaml.safe_load(CORPUS.read_text("utf-8"))
    subjects: dict[str, Any] = doc["subjects"]
    cases = []
    for case in doc["cases"]:
        if "raw_input" in case:
            input_doc = case["raw_input"]
        else:
            input_doc = {"context": {}, "now": "2025-06-01T12:00:00Z"}
            if "subject" in case:
                input_doc["subject"] = subjects[case["subject"]]
            if "action" in case:
                input_doc["action"] = case["action"]
            if "resource" in case:
                input_doc["resource"] = case["resource"]
        cases.append(
            {
                "name": case["name"],
                "path": PATHS[case["path"]],
                "input": input_doc,
                "expect": case["expect"],
            }
        )
    return cases


@pytest.fixture(scope="session")
def embedded_engine() -> Iterator[EmbeddedPolicyEngine]:
    engine = EmbeddedPolicyEngine(POLICY_DIR)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def opa_engine(opa_server: str) -> Iterator[OpaPolicyEngine]:
    engine = OpaPolicyEngine(opa_server, timeout_seconds=5.0)
    yield engine
    engine.close()
