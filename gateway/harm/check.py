"""Load the harm data, check it against the contracts, and keep it current while serving.

Defends against tags that silently do nothing: categories for an unknown dataset or column, or
values the column can never hold, stop the gateway at start-up with an error naming the file
and the key. While serving, ``HarmSource`` re-reads the file when it changes (as the embedded
policy engine does); an edit that no longer parses keeps the last good document and is logged.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import ValidationError

from gateway.documents import describe
from gateway.harm.documents import EMPTY_HARM, HarmDocument
from gateway.harm.errors import InvalidHarmDataError

if TYPE_CHECKING:
    from gateway.contracts.model import Contract
    from gateway.settings import PolicySettings

log = structlog.get_logger(__name__)
HARM_IN_POLICY_DIR = Path("beacon") / "harm" / "data.json"


def harm_file(policy: PolicySettings) -> Path | None:
    """The harm data the policy engines load as ``data.beacon.harm`` (None: no such file)."""
    path = Path(policy.policy_dir) / HARM_IN_POLICY_DIR
    return path if path.is_file() else None


def load_harm(path: Path) -> HarmDocument:
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidHarmDataError(f"{path}: cannot read harm data ({exc.strerror})") from None
    except ValueError as exc:
        raise InvalidHarmDataError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise InvalidHarmDataError(f"{path}: top level must be a mapping")
    try:
        return HarmDocument.model_validate(raw)
    except ValidationError as exc:
        raise InvalidHarmDataError(f"{path}: {describe(exc, top='harm')}") from None


def check_harm(harm: HarmDocument, contracts: Iterable[Contract], *, source: str) -> None:
    """Raise ``InvalidHarmDataError`` listing every category tag no contract can match."""
    by_dataset = {c.dataset: c for c in contracts}
    problems: list[str] = []
    for dataset, columns in harm.categories.items():
        contract = by_dataset.get(dataset)
        if contract is None:
            problems.append(f"categories.{dataset}: no contract for this dataset")
            continue
        for name, by_reason in columns.items():
            where = f"categories.{dataset}.{name}"
            if name not in contract.column_names:
                problems.append(f"{where}: unknown column of {dataset}")
                continue
            allowed = contract.column(name).allowed
            if allowed is None:
                problems.append(f"{where}: the column has no closed list of allowed values")
                continue
            for reason, values in by_reason.items():
                unknown = sorted(set(values) - set(allowed))
                if unknown:
                    problems.append(f"{where}.{reason}: not allowed values: {', '.join(unknown)}")
    if problems:
        raise InvalidHarmDataError(f"{source}: " + "; ".join(problems))


def load_checked_harm(path: Path | None, contracts: Iterable[Contract]) -> HarmDocument:
    """Start-up: the checked harm document (no file: nothing is tagged)."""
    if path is None:
        return EMPTY_HARM
    harm = load_harm(path)
    check_harm(harm, contracts, source=str(path))
    return harm


class HarmSource:
    """The current harm document; re-read at most every ``reload_check_seconds`` on change."""

    def __init__(
        self, path: Path | None, contracts: Iterable[Contract], *, reload_check_seconds: float = 1.0
    ) -> None:
        self.path = path
        self.contracts = tuple(contracts)
        self.reload_check_seconds = reload_check_seconds
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self._checked_at = time.monotonic()
        self._document = load_checked_harm(path, self.contracts)  # start-up: errors stop it

    def document(self) -> HarmDocument:
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= self.reload_check_seconds:
                self._checked_at = now
                stamp = self._stat()
                if stamp != self._stamp:
                    self._stamp = stamp
                    self._reload()
            return self._document

    def _reload(self) -> None:
        try:
            self._document = load_checked_harm(self.path, self.contracts)
        except InvalidHarmDataError as exc:
            log.error("harm.reload_failed", error=str(exc)[:500])
            return
        log.info("harm.reloaded", places=len(self._document.places))

    def _stat(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size
