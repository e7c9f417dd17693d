"""Protection at the source: keyed pseudonyms and a guard against sending identifiers in clear.

Defends against re-identification of victims and informants if the gateway, a consumer or the
wire is compromised:

* ``drop`` columns (e.g. ``victim_name``) are never copied into the outgoing table: the table
  is built only from mapped contract columns, and a profile that both drops and maps a column
  is rejected when the profile loads.
* ``pseudonymise`` replaces a source value with HMAC-SHA256(partner key, value), hex, truncated
  to ``pseudonym_length`` characters. The key never leaves the partner, so the gateway cannot
  reverse or recompute it; the same case number always yields the same id, so re-uploads and
  corrections line up. Values are trimmed of surrounding whitespace first; nulls stay null.
* Key rotation: with ``previous_pseudonymisation_key_env`` set, the old key's pseudonyms are
  still sent (so rows link with earlier batches) and the plan records old -> new pseudonym
  pairs (both keyed hashes, no clear value) in a crosswalk file the partner hands over when the
  transition ends; afterwards only the new key is named and used.
* ``guard`` refuses the whole upload if a contract column classified ``direct_identifier``
  would be sent in clear, or a ``free_text`` column is sent without the profile listing it in
  ``send_free_text`` (free text routinely contains names, phone numbers and addresses). Free
  text that is sent is always scrubbed first (``connectors.scrub``, with the partner's
  deny-list of names); a per-column report says how much of each kind was removed. A
  direct identifier must come from ``pseudonymise``, unless the profile declares it in
  ``pseudonymised_upstream`` (the partner's own system already made the pseudonyms). Contracts
  have no field that permits a clear direct identifier, so there is no contract-side override.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from connectors.errors import ProtectionError
from connectors.profile import DatasetMapping, ScrubSpec
from gateway.contracts import Contract


def guard(contract: Contract, mapping: DatasetMapping) -> None:
    """Raise ``ProtectionError`` if the mapping would send an identifier or free text in clear."""
    clear = {*mapping.columns, *mapping.constants, *mapping.derive}
    problems: list[str] = []
    for spec in contract.columns_with("direct_identifier"):
        if spec.name in clear and spec.name not in mapping.pseudonymised_upstream:
            problems.append(
                f"{spec.name!r} is a direct identifier: pseudonymise it "
                f'(pseudonymise = {{ {spec.name} = "<source column>" }}) or leave it unmapped'
            )
    for spec in contract.columns_with("free_text"):
        if spec.name in clear and spec.name not in mapping.send_free_text:
            problems.append(
                f"{spec.name!r} is free text and may identify people: add it to send_free_text "
                "only once the source text is scrubbed, or leave it unmapped"
            )
    if problems:
        raise ProtectionError("refusing to send in clear: " + "; ".join(problems))


def pseudonymise_columns(
    table: pa.Table, mapping: DatasetMapping, *, key: bytes, length: int
) -> dict[str, pa.ChunkedArray]:
    """Pseudonymised contract columns, keyed by contract column name."""
    return {
        target: pseudonymise(table.column(source), key=key, length=length)
        for target, source in mapping.pseudonymise.items()
    }


def pseudonymise(values: pa.ChunkedArray, *, key: bytes, length: int) -> pa.ChunkedArray:
    """Keyed hash of every value: one HMAC per *distinct* value, then a vectorised take."""
    if not key:
        raise ProtectionError("empty pseudonymisation key")
    if not pa.types.is_string(values.type):
        values = values.cast(pa.string())
    values = pc.utf8_trim_whitespace(values)
    distinct = pc.unique(values)
    # The only Python loop: over distinct values, since pyarrow has no keyed hash kernel.
    keyed = hmac.new(key, digestmod=hashlib.sha256)  # copying it skips re-keying per value

    def digest(value: str) -> str:
        h = keyed.copy()
        h.update(value.encode())
        return h.hexdigest()[:length]

    digests = pa.array(
        [None if v is None else digest(v) for v in distinct.to_pylist()], pa.string()
    )
    return pc.take(digests, pc.index_in(values, value_set=distinct))


def deny_names(spec: ScrubSpec) -> tuple[str, ...]:
    """The partner's deny-list: inline names plus one name per line of ``deny_names_file``."""
    names = list(spec.deny_names)
    if spec.deny_names_file is not None:
        path = Path(spec.deny_names_file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProtectionError(
                f"deny-list {path}: cannot read ({exc.__class__.__name__})"
            ) from None
        names += [line.strip() for line in text.splitlines() if line.strip()]
        names = [n for n in names if not n.startswith("#")]
    return tuple(names)
