"""Embedded policy backend: the same Rego and grants data, evaluated in-process by regopy.

Loads every non-test ``.rego`` file under the policy folder and every ``data.json`` at its
directory path (as ``opa run <dir>`` does: ``policies/beacon/grants/data.json`` becomes
``data.beacon.grants``), compiles once, and recompiles when a file is added, removed or changed.
Defends against fail-open: evaluation errors, an undefined result (missing policy or
entrypoint) and a malformed decision raise ``PolicyUnavailableError`` (503), never a deny. A
policy edit that no longer compiles keeps the last good compilation (as OPA's ``--watch`` does)
and is logged. A draft (governance preview) is compiled into an interpreter of its own, so the
live one never sees it.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import regopy
import structlog
import yaml

from gateway.policy.errors import PolicyUnavailableError
from gateway.policy.port import (
    GRANTS_PATH,
    INGEST_DECISION,
    VIEWS_DECISION,
    Decision,
    PolicyDraft,
    PolicyInput,
    check_decision_path,
    input_document,
    policy_revision,
)

log = structlog.get_logger(__name__)

_Snapshot = dict[Path, tuple[int, int]]


class EmbeddedPolicyEngine:
    """regopy over a policy folder; thread-safe (one lock around the interpreter)."""

    name = "embedded"

    def __init__(
        self,
        policy_dir: Path,
        *,
        grants_path: Path | None = None,
        reload_check_seconds: float = 1.0,
    ) -> None:
        self.policy_dir = Path(policy_dir)
        self.grants_path = grants_path
        self.reload_check_seconds = reload_check_seconds
        self._lock = threading.Lock()
        self._entrypoints: set[str] = {VIEWS_DECISION, INGEST_DECISION}
        self._checked_at = 0.0
        self._snapshot: _Snapshot = {}
        self._interp: regopy.Interpreter | None = None
        self._bundle: Any = None
        self._sources: tuple[dict[str, str], dict[str, Any]] = ({}, {})
        self._revision = ""
        with self._lock:
            self._rebuild(self._scan(), initial=True)

    # --- port ---------------------------------------------------------------------------

    def decide(
        self, path: str, input: PolicyInput | dict[str, Any], *, draft: PolicyDraft | None = None
    ) -> Decision:
        check_decision_path(path)
        # Round-trip through JSON so both backends see exactly what OPA would receive.
        term = json.dumps(input_document(input), allow_nan=False)
        if draft is not None:
            return self._decide_draft(path, term, draft)
        with self._lock:
            self._maybe_reload()
            if path not in self._entrypoints:
                self._entrypoints.add(path)
                self._rebuild(self._snapshot, initial=False)
            assert self._interp is not None
            revision = self._revision
            output = self._query(self._interp, self._bundle, path, term)
        return _decision(output, path, revision)

    def revision(self) -> str:
        with self._lock:
            self._maybe_reload()
            return self._revision

    def _decide_draft(self, path: str, term: str, draft: PolicyDraft) -> Decision:
        with self._lock:
            self._maybe_reload()
            modules, data = dict(self._sources[0]), json.loads(json.dumps(self._sources[1]))
        modules.update(draft.modules or {})
        if draft.grants is not None:
            _set_at(data, GRANTS_PATH, draft.grants)
        try:
            interp, bundle = _compile(modules, data, [path])
        except (regopy.RegoError, ValueError) as exc:
            log.warning("policy.embedded.draft_failed", error=str(exc)[:500])
            raise PolicyUnavailableError("The draft policy failed to compile.") from exc
        output = self._query(interp, bundle, path, term)
        return _decision(output, path, policy_revision(modules.values(), data))

    @staticmethod
    def _query(interp: regopy.Interpreter, bundle: Any, path: str, term: str) -> Any:
        try:
            interp.set_input_term(term)
            return interp.query_bundle_entrypoint(bundle, path)
        except regopy.RegoError as exc:
            log.error("policy.embedded.error", path=path, error=str(exc)[:500])
            raise PolicyUnavailableError("Policy engine failed to evaluate.") from exc

    def ping(self) -> None:
        probe = self.decide(VIEWS_DECISION, {})
        if probe.allow:
            raise PolicyUnavailableError("Policy engine has no usable views policy loaded.")

    def close(self) -> None:
        with self._lock:
            self._interp = None
            self._bundle = None

    # --- loading ------------------------------------------------------------------------

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self.reload_check_seconds:
            return
        self._checked_at = now
        snapshot = self._scan()
        if snapshot != self._snapshot:
            self._rebuild(snapshot, initial=False)

    def _watched(self) -> list[Path]:
        files = [p for p in self.policy_dir.rglob("*.rego") if not p.name.endswith("_test.rego")]
        files += list(self.policy_dir.rglob("data.json"))
        if self.grants_path is not None:
            files.append(self.grants_path)
        return sorted(files)

    def _scan(self) -> _Snapshot:
        snap: _Snapshot = {}
        for path in self._watched():
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            snap[path] = (st.st_mtime_ns, st.st_size)
        return snap

    def _rebuild(self, snapshot: _Snapshot, *, initial: bool) -> None:
        try:
            modules = self._read_modules()
            data = self._load_data()
            interp, bundle = _compile(modules, data, sorted(self._entrypoints))
        except (regopy.RegoError, OSError, ValueError, yaml.YAMLError) as exc:
            if initial:
                raise PolicyUnavailableError(f"Policy folder failed to compile: {exc}") from exc
            log.error("policy.embedded.reload_failed", error=str(exc)[:500])
            self._snapshot = snapshot  # retry only after the next change
            return
        self._interp, self._bundle, self._snapshot = interp, bundle, snapshot
        self._sources = (modules, data)
        self._revision = policy_revision(modules.values(), data)
        self._checked_at = time.monotonic()
        if not initial:
            log.info("policy.embedded.reloaded", files=len(snapshot), revision=self._revision)

    def _read_modules(self) -> dict[str, str]:
        modules = {
            str(p.relative_to(self.policy_dir)): p.read_text("utf-8")
            for p in self._watched()
            if p.suffix == ".rego"
        }
        if not modules:
            raise ValueError(f"no .rego files under {self.policy_dir}")
        return modules

    def _load_data(self) -> dict[str, Any]:
        root: dict[str, Any] = {}
        for path in sorted(self.policy_dir.rglob("data.json")):
            parts = path.parent.relative_to(self.policy_dir).parts
            _merge_at(root, parts, json.loads(path.read_text("utf-8")))
        if self.grants_path is not None:
            text = self.grants_path.read_text("utf-8")
            grants = (
                yaml.safe_load(text)
                if self.grants_path.suffix in (".yaml", ".yml")
                else json.loads(text)
            )
            _set_at(root, GRANTS_PATH, grants)
        return root


def _compile(
    modules: dict[str, str], data: dict[str, Any], entrypoints: list[str]
) -> tuple[regopy.Interpreter, Any]:
    interp = regopy.Interpreter()
    for name, text in sorted(modules.items()):
        interp.add_module(name, text)
    interp.add_data(data)
    return interp, interp.build(None, entrypoints)


def _decision(output: Any, path: str, revision: str) -> Decision:
    if not output.ok():
        log.error("policy.embedded.error", path=path, error=str(output)[:500])
        raise PolicyUnavailableError("Policy engine failed to evaluate.")
    results = output.results
    if not results or not results[0].expressions:
        log.error("policy.embedded.undefined", path=path)
        raise PolicyUnavailableError("Policy engine has no decision at this path.")
    return Decision.from_result(results[0].expressions[0], revision=revision)


def _node(root: dict[str, Any], parts: tuple[str, ...]) -> dict[str, Any]:
    node = root
    for part in parts:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ValueError(f"data conflict at {'/'.join(parts)}")
        node = child
    return node


def _merge_at(root: dict[str, Any], parts: tuple[str, ...], value: Any) -> None:
    if not isinstance(value, dict):
        raise ValueError(f"data.json at {'/'.join(parts) or '.'} must hold an object")
    node = _node(root, parts)
    for key, item in value.items():
        if key in node:
            raise ValueError(f"data conflict at {'/'.join((*parts, key))}")
        node[key] = item


def _set_at(root: dict[str, Any], parts: tuple[str, ...], value: Any) -> None:
    _node(root, parts[:-1])[parts[-1]] = value
