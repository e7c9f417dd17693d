"""Contract errors: a bad contract file, an unknown dataset, an upload that does not fit."""

from __future__ import annotations

from typing import Any

from gateway.errors import TYPE_BASE, BeaconError, NotFoundError


class ContractError(Exception):
    """A contract YAML file is malformed; raised at load time (a deployment bug, not a 4xx)."""


class UnknownDatasetError(NotFoundError):
    type = TYPE_BASE + "unknown-dataset"
    title = "Unknown dataset"


class InvalidEncodingError(BeaconError):
    """A text column of a typed (Parquet/Arrow) upload holds bytes that are not UTF-8 (400)."""

    type = TYPE_BASE + "invalid-encoding"
    title = "Text is not valid UTF-8"
    status = 400


class SchemaMismatchError(BeaconError):
    """The uploaded columns or their types cannot be made to fit the contract (422)."""

    type = TYPE_BASE + "schema-mismatch"
    title = "Upload does not match the dataset contract"
    status = 422

    def __init__(
        self,
        detail: str | None = None,
        *,
        missing_columns: list[str] | None = None,
        unexpected_columns: list[str] | None = None,
        type_mismatches: list[dict[str, str]] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(
            detail,
            missing_columns=list(missing_columns or []),
            unexpected_columns=list(unexpected_columns or []),
            type_mismatches=list(type_mismatches or []),
            **extensions,
        )

    @property
    def missing_columns(self) -> list[str]:
        return list(self.extensions["missing_columns"])

    @property
    def unexpected_columns(self) -> list[str]:
        return list(self.extensions["unexpected_columns"])

    @property
    def type_mismatches(self) -> list[dict[str, str]]:
        return list(self.extensions["type_mismatches"])
