"""Delta Lake store adapter: one Delta table per dataset, plus the per-org quarantine.

The only module that touches files or object storage. Defends against half-written or doubled
uploads (one atomic Delta commit per batch, recorded in the commit log so a crashed request can
be recovered) and against path traversal (every dataset/org/batch name is checked before it
becomes a path segment). Error messages from delta-rs may quote row values, so callers must log
only the exception type.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import TableNotFoundError

from gateway.store.errors import InvalidStoreNameError, StoreUnavailableError, StoreWriteError

if TYPE_CHECKING:
    import pyarrow.dataset as pads

    from gateway.settings import Settings

BATCH_ID = "_batch_id"
INGESTED_AT = "_ingested_at"
INGEST_MONTH = "_ingest_month"
ORG = "_org"  # the uploading organisation's slug
RECORD_KEY = "_record_key"  # secret uniform random int64 in [0, 2**32): never output or logged
RECORD_KEY_RANGE = 2**32
SYSTEM_COLUMNS = (BATCH_ID, INGESTED_AT, INGEST_MONTH, ORG, RECORD_KEY)
QUARANTINE_DIR = "_quarantine"
_BATCH_METADATA_KEY = "beacon.batch_id"
_DATASET_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_ORG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_BATCH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def _check(kind: str, value: str, pattern: re.Pattern[str]) -> str:
    if not pattern.fullmatch(value) or ".." in value:
        raise InvalidStoreNameError(f"unsafe {kind} name")
    return value


def _txn_app_id(batch_id: str) -> str:
    return f"beacon.batch.{batch_id}"


@dataclass
class DeltaStore:
    """Root ``uri``: a local folder or ``s3://bucket/prefix``; ``storage_options`` for delta-rs."""

    uri: str
    storage_options: dict[str, str] = field(default_factory=dict)
    _fs: pafs.FileSystem | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> DeltaStore:
        cfg = settings.store
        if not cfg.uri.startswith("s3://"):
            return cls(uri=str(Path(cfg.uri).expanduser().resolve()))
        opts: dict[str, str] = {"AWS_REGION": cfg.s3_region}
        if cfg.s3_endpoint_url:
            opts["AWS_ENDPOINT_URL"] = cfg.s3_endpoint_url
        if cfg.s3_access_key_id is not None:
            opts["AWS_ACCESS_KEY_ID"] = cfg.s3_access_key_id.get_secret_value()
        if cfg.s3_secret_access_key is not None:
            opts["AWS_SECRET_ACCESS_KEY"] = cfg.s3_secret_access_key.get_secret_value()
        if cfg.s3_allow_http:
            opts["AWS_ALLOW_HTTP"] = "true"
        # delta-rs 1.x commits on S3 with a conditional put (If-None-Match) of the next log
        # entry, so concurrent writers cannot overwrite each other's commit without a lock
        # table; we never set AWS_S3_ALLOW_UNSAFE_RENAME.
        return cls(uri=cfg.uri.rstrip("/"), storage_options=opts)

    # -- locations ---------------------------------------------------------------------------

    @property
    def is_s3(self) -> bool:
        return self.uri.startswith("s3://")

    def table_uri(self, dataset: str) -> str:
        return f"{self.uri}/{_check('dataset', dataset, _DATASET_RE)}"

    def quarantine_uri(self, org: str, batch_id: str) -> str:
        org = _check("org", org, _ORG_RE)
        batch_id = _check("batch", batch_id, _BATCH_RE)
        return f"{self.uri}/{QUARANTINE_DIR}/{org}/{batch_id}.parquet"

    # -- health ------------------------------------------------------------------------------

    def ping(self) -> None:
        """Raise ``StoreUnavailableError`` unless the root is reachable (and locally writable)."""
        try:
            if self.is_s3:
                bucket = self.uri.removeprefix("s3://").split("/", 1)[0]
                info = self._filesystem().get_file_info(bucket)
                if info.type == pafs.FileType.NotFound:
                    raise StoreUnavailableError("store bucket not found")
            else:
                root = Path(self.uri)
                root.mkdir(parents=True, exist_ok=True)
                if not os.access(root, os.W_OK):
                    raise StoreUnavailableError("store root is not writable")
        except StoreUnavailableError:
            raise
        except Exception as exc:
            raise StoreUnavailableError("store unreachable") from exc

    # -- Delta tables ------------------------------------------------------------------------

    def append(
        self,
        dataset: str,
        table: pa.Table,
        *,
        batch_id: str,
        org: str,
        metadata: Mapping[str, str] | None = None,
        ingested_at: datetime | None = None,
    ) -> int:
        """Append ``table`` as ONE atomic Delta commit tagged with ``batch_id``; return its version.

        Adds ``_batch_id``, ``_ingested_at`` (UTC), ``_ingest_month`` ('YYYY-MM', the partition
        column), ``_org`` and ``_record_key`` (one CSPRNG-seeded draw per row). Field metadata
        (classification etc.) is stripped: it belongs to the contract and would make appends
        across contract revisions fail to merge. A table written before ``_org``/``_record_key``
        existed gains them by schema evolution; its older rows read them as NULL.
        """
        _check("batch", batch_id, _BATCH_RE)
        _check("org", org, _ORG_RE)
        uri = self.table_uri(dataset)
        when = (ingested_at or datetime.now(UTC)).astimezone(UTC)
        data = _with_system_columns(_strip_metadata(table), batch_id, org, when)
        custom: dict[str, Any] = {**(metadata or {}), _BATCH_METADATA_KEY: batch_id}
        props = CommitProperties(
            custom_metadata=custom,
            app_transactions=[Transaction(app_id=_txn_app_id(batch_id), version=1)],
        )
        self._ensure_local_root()
        existing = self._open(dataset)
        legacy = existing is not None and not _has_columns(existing, (ORG, RECORD_KEY))
        try:
            write_deltalake(
                existing if existing is not None else uri,
                data,
                mode="append",
                partition_by=[INGEST_MONTH],
                schema_mode="merge" if legacy else None,
                storage_options=self.storage_options or None,
                commit_properties=props,
            )
        except Exception as exc:
            # `from None`: the cause's message may contain row values and must not be logged.
            raise StoreWriteError(f"Delta append failed ({type(exc).__name__})") from None
        if existing is not None:
            return existing.version()  # the handle now points at *our* commit
        # First commit of a new table (a concurrent creator may have won version 0).
        return self._version_of_batch(uri, batch_id)

    def has_batch(self, dataset: str, batch_id: str) -> bool:
        """Whether a commit for ``batch_id`` is in the table's log (crash recovery)."""
        _check("batch", batch_id, _BATCH_RE)
        table = self._open(dataset)
        if table is None:
            return False
        if table.transaction_version(_txn_app_id(batch_id)) is not None:
            return True
        return any(h.get(_BATCH_METADATA_KEY) == batch_id for h in table.history())

    def batch_version(self, dataset: str, batch_id: str) -> int | None:
        """The table version that committed ``batch_id``, if any."""
        if not self.has_batch(dataset, batch_id):
            return None
        return self._version_of_batch(self.table_uri(dataset), batch_id)

    def version(self, dataset: str) -> int | None:
        table = self._open(dataset)
        return None if table is None else table.version()

    def dataset(self, dataset: str, *, version: int | None = None) -> pads.Dataset | None:
        """The latest (or a past) snapshot as a pyarrow dataset; ``None`` before any commit."""
        table = self._open(dataset)
        if table is None:
            return None
        if version is not None:
            table.load_as_version(version)
        return table.to_pyarrow_dataset()

    def committed_values(
        self,
        dataset: str,
        column: str,
        values: pa.Array | pa.ChunkedArray,
        *,
        exclude_batch: str | None = None,
    ) -> pa.Array:
        """The distinct non-null ``values`` already in ``column`` of the latest version.

        Rows of ``exclude_batch`` do not count (a batch never collides with itself). Reads only
        ``column`` and ``_batch_id``; a dataset without the table or the column has none.
        """
        table = self._open(dataset)
        wanted = pc.unique(pc.drop_null(values))
        if table is None or len(wanted) == 0 or not _has_columns(table, (column,)):
            return wanted.slice(0, 0)
        where = pc.field(column).isin(wanted)
        if exclude_batch is not None:
            where = where & (pc.field(BATCH_ID) != _check("batch", exclude_batch, _BATCH_RE))
        found = table.to_pyarrow_dataset().to_table(columns=[column], filter=where)
        return pc.unique(found.column(column))

    def compact(self, dataset: str) -> None:
        """Merge small files and write a checkpoint (commit cost grows with the log otherwise)."""
        table = self._open(dataset)
        if table is None:
            return
        table.optimize.compact()
        table.create_checkpoint()

    # -- quarantine --------------------------------------------------------------------------

    def write_quarantine(self, org: str, batch_id: str, table: pa.Table) -> str:
        """Write rejected rows for ``org``/``batch_id`` atomically; return the object's uri.

        The Parquet bytes are built in memory first so a failure never leaves a partial object:
        locally temp file + fsync + rename, on S3 one put of the whole object.
        """
        uri = self.quarantine_uri(org, batch_id)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        payload = sink.getvalue()
        try:
            if self.is_s3:
                with self._filesystem().open_output_stream(uri.removeprefix("s3://")) as out:
                    out.write(payload)
            else:
                _atomic_write(Path(uri), payload.to_pybytes())
        except Exception as exc:
            raise StoreWriteError(f"quarantine write failed ({type(exc).__name__})") from None
        return uri

    def read_quarantine(self, org: str, batch_id: str) -> pa.Table:
        """Rejected rows for ``org``/``batch_id``; ``FileNotFoundError`` if there are none."""
        uri = self.quarantine_uri(org, batch_id)
        if self.is_s3:
            path = uri.removeprefix("s3://")
            fs = self._filesystem()
            if fs.get_file_info(path).type == pafs.FileType.NotFound:
                raise FileNotFoundError("no quarantine for this batch")
            return pq.read_table(path, filesystem=fs)
        if not Path(uri).is_file():
            raise FileNotFoundError("no quarantine for this batch")
        return pq.read_table(uri)

    # -- helpers -----------------------------------------------------------------------------

    def _open(self, dataset: str) -> DeltaTable | None:
        # Not DeltaTable.is_deltatable: in delta-rs 1.6 it (like history()) blocks while holding
        # the GIL, stalling every other Python thread for the duration of the S3 round trip.
        try:
            return DeltaTable(self.table_uri(dataset), storage_options=self.storage_options or None)
        except TableNotFoundError:
            return None

    def _version_of_batch(self, uri: str, batch_id: str) -> int:
        table = DeltaTable(uri, storage_options=self.storage_options or None)
        for entry in table.history():
            if entry.get(_BATCH_METADATA_KEY) == batch_id:
                return int(entry["version"])
        return table.version()

    def _ensure_local_root(self) -> None:
        if not self.is_s3:
            Path(self.uri).mkdir(parents=True, exist_ok=True)

    def _filesystem(self) -> pafs.FileSystem:
        if self._fs is None:
            opts = self.storage_options
            endpoint = opts.get("AWS_ENDPOINT_URL")
            kwargs: dict[str, Any] = {"region": opts.get("AWS_REGION", "us-east-1")}
            if endpoint:
                scheme, _, host = endpoint.partition("://")
                kwargs.update(endpoint_override=host or scheme, scheme=scheme if host else "https")
            if "AWS_ACCESS_KEY_ID" in opts:
                kwargs.update(
                    access_key=opts["AWS_ACCESS_KEY_ID"],
                    secret_key=opts.get("AWS_SECRET_ACCESS_KEY", ""),
                )
            self._fs = pafs.S3FileSystem(**kwargs)
        return self._fs


def _strip_metadata(table: pa.Table) -> pa.Table:
    schema = pa.schema([f.remove_metadata() for f in table.schema])
    return pa.Table.from_arrays(table.columns, schema=schema)


def _has_columns(table: DeltaTable, names: tuple[str, ...]) -> bool:
    present = {f.name for f in table.schema().fields}
    return all(n in present for n in names)


def _with_system_columns(table: pa.Table, batch_id: str, org: str, when: datetime) -> pa.Table:
    n = table.num_rows
    ts = pa.timestamp("us", tz="UTC")
    extra = (
        (BATCH_ID, pa.scalar(batch_id, pa.string())),
        (INGESTED_AT, pa.scalar(when, ts)),
        (INGEST_MONTH, pa.scalar(when.strftime("%Y-%m"), pa.string())),
        (ORG, pa.scalar(org, pa.string())),
    )
    for name, value in extra:
        table = table.append_column(pa.field(name, value.type, nullable=False), pa.repeat(value, n))
    return table.append_column(
        pa.field(RECORD_KEY, pa.int64(), nullable=False), pa.array(_record_keys(n), pa.int64())
    )


def _record_keys(n: int) -> np.ndarray:
    """Secret record keys: uniform in [0, 2**32), from a generator seeded by the OS CSPRNG."""
    rng = np.random.default_rng(secrets.randbits(256))
    return rng.integers(0, RECORD_KEY_RANGE, size=n, dtype=np.int64)


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
