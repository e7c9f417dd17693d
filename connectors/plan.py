"""A push plan: the checked mapping of one source schema onto one contract, applied per chunk.

Built once from the profile, the contract and the source's schema (so a wrong mapping fails
before any row is read), then ``apply`` turns each source chunk into a contract-shaped,
protected table: renames and value maps, derived fields, defaults, constants, keyed pseudonyms,
scrubbed free text. Nothing here keeps rows between chunks, so a source of any size streams in
bounded memory; the running report (what was scrubbed, what did not map) is counts only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from connectors import derive, protect
from connectors import mapping as mapping_
from connectors.profile import DatasetMapping, Profile
from connectors.scrub import scrub_text
from gateway.contracts import Contract

SAMPLE_VALUES = 3


@dataclass
class PlanReport:
    """Counts only, never values: safe to print and log (samples are shown by dry runs only)."""

    rows: int = 0
    scrubbed: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> kind -> n
    derived: derive.DeriveReport = field(default_factory=derive.DeriveReport)
    samples: dict[str, list[str]] = field(default_factory=dict)
    crosswalk: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> old -> new


class Plan:
    """The mapping for ``dataset`` checked against ``contract`` and the source's columns."""

    def __init__(
        self, profile: Profile, dataset: str, contract: Contract, source_schema: pa.Schema
    ) -> None:
        names = source_schema.names
        self.dataset = dataset
        self.contract = contract
        self.rules: DatasetMapping = profile.mapping_for(dataset).expand(
            contract.column_names, names
        )
        mapping_.check_mapping(contract, self.rules, names)
        protect.guard(contract, self.rules)
        self._length = profile.pseudonym_length
        self._key = b""
        self._previous: bytes | None = None
        if self.rules.pseudonymise:
            self._key = profile.resolve_pseudonymisation_key().get_secret_value().encode()
            old = profile.resolve_previous_pseudonymisation_key()
            self._previous = old.get_secret_value().encode() if old is not None else None
        self._free_text = [
            s.name
            for s in contract.columns_with("free_text")
            if s.name in self.rules.columns or s.name in self.rules.derive
        ]
        self._deny = protect.deny_names(self.rules.scrub)
        self.report = PlanReport()
        origin = {
            **dict(self.rules.columns),
            **{t: "(constant)" for t in self.rules.constants},
            **{t: f"{d.kind} from {', '.join(d.inputs())}" for t, d in self.rules.derive.items()},
            **{t: f"pseudonym of {s}" for t, s in self.rules.pseudonymise.items()},
        }
        for name in self._free_text:
            origin[name] = f"{origin[name]} (scrubbed)"
        self.sent_from = {n: origin[n] for n in contract.column_names if n in origin}
        self.dropped = [c for c in self.rules.drop if c in names]
        self.unmapped = mapping_.unmapped_columns(self.rules, names)

    def apply(self, chunk: pa.Table) -> pa.Table:
        """One source chunk as the contract-shaped table that would leave."""
        rules = self.rules
        columns = mapping_.map_columns(chunk, rules)
        columns |= self._derived(chunk, columns)
        for target, value in rules.defaults.items():
            if target in columns:
                columns[target] = pc.fill_null(columns[target].cast(pa.string()), str(value))
        if rules.pseudonymise:
            columns |= self._pseudonyms(chunk)
        for name in self._free_text:
            columns[name] = self._scrub(name, columns[name])
        table = mapping_.assemble(self.contract, columns)
        self.report.rows += table.num_rows
        self._sample(table)
        return table

    def _derived(
        self, chunk: pa.Table, mapped: dict[str, pa.ChunkedArray]
    ) -> dict[str, pa.ChunkedArray]:
        out: dict[str, pa.ChunkedArray] = {}
        report = self.report.derived
        for target, spec in self.rules.derive.items():
            if spec.kind == "country":
                value = derive.country_codes(chunk.column(spec.source), target, report)
            elif spec.kind == "subdivision":
                countries = self._countries(chunk, mapped, out, spec.country_source)
                value = derive.subdivision_codes(
                    chunk.column(spec.source), countries, target, report
                )
            elif spec.kind == "h3":
                resolution = derive.h3_resolution(self.contract, target)
                value = derive.h3_cells(chunk.column(spec.lat), chunk.column(spec.lon), resolution)
            else:
                value = derive.parse_dates(
                    chunk.column(spec.source), spec.formats, timestamp=spec.kind == "timestamp"
                )
            vmap = self.rules.value_maps.get(target)
            out[target] = mapping_.apply_value_map(value, vmap) if vmap else value
        return out

    def _countries(
        self,
        chunk: pa.Table,
        mapped: dict[str, pa.ChunkedArray],
        derived: dict[str, pa.ChunkedArray],
        country_source: str | None,
    ) -> pa.ChunkedArray:
        if country_source is not None:
            return derive.country_codes(chunk.column(country_source), "", derive.DeriveReport())
        if "country" in derived:
            return derived["country"]
        if "country" in mapped:
            return mapped["country"]
        return pa.chunked_array([pa.nulls(chunk.num_rows, pa.string())])

    def _pseudonyms(self, chunk: pa.Table) -> dict[str, pa.ChunkedArray]:
        out: dict[str, pa.ChunkedArray] = {}
        for target, source in self.rules.pseudonymise.items():
            values = chunk.column(source)
            new = protect.pseudonymise(values, key=self._key, length=self._length)
            if self._previous is None:
                out[target] = new
                continue
            # Rotation: keep sending the old pseudonyms so earlier batches still link, and
            # record old -> new (both keyed hashes) for the switch-over at the end.
            old = protect.pseudonymise(values, key=self._previous, length=self._length)
            walk = self.report.crosswalk.setdefault(target, {})
            for o, n in zip(old.to_pylist(), new.to_pylist(), strict=True):
                if o is not None:
                    walk[o] = n
            out[target] = old
        return out

    def _scrub(self, name: str, column: pa.ChunkedArray) -> pa.ChunkedArray:
        column = column.cast(pa.string())
        counted = pc.value_counts(column)
        distinct = counted.field("values")
        totals = self.report.scrubbed.setdefault(name, {})
        cleaned: list[str | None] = []
        region = self.rules.scrub.phone_region
        for value, n in zip(distinct.to_pylist(), counted.field("counts").to_pylist(), strict=True):
            if value is None:
                cleaned.append(None)
                continue
            result = scrub_text(value, deny_names=self._deny, phone_region=region)
            cleaned.append(result.text)
            for kind, k in result.removed.items():
                totals[kind] = totals.get(kind, 0) + k * n
        return pc.take(pa.array(cleaned, pa.string()), pc.index_in(column, value_set=distinct))

    def _sample(self, table: pa.Table) -> None:
        for name in table.column_names:
            have = self.report.samples.setdefault(name, [])
            if len(have) >= SAMPLE_VALUES:
                continue
            for value in pc.drop_null(table.column(name)).slice(0, SAMPLE_VALUES).to_pylist():
                text = str(value)
                if text not in have and len(have) < SAMPLE_VALUES:
                    have.append(text)
