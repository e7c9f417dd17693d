"""``beacon-connect feed``: RSS/Atom feeds, tagged and deduplicated, to ``open_source_items``.

Each FEED is a file or a 127.0.0.1/localhost URL (``--allow-remote`` for others). Items are
tagged with the keyword taxonomy of ``connectors.feeds.taxonomy`` (EN/FR/ES/PT), deduplicated
by canonical link and near-identical title, and pushed through the same plan as any source
(the summary is free text: it is scrubbed). Items that name no country are listed, not sent.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from connectors.commands import push as push_command
from connectors.commands._shared import (
    JsonOption,
    ProfileOption,
    StateDirOption,
    consoles,
    exit_on_errors,
)
from connectors.feeds.reader import FeedItems, FeedReport
from connectors.profile import DatasetMapping, load_profile
from connectors.sources.memory import TableSource

DATASET = "open_source_items"


def feed(
    feeds: Annotated[list[str], typer.Argument(help="Feed files or loopback URLs.")],
    profile: ProfileOption,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would leave.")] = False,
    source_kind: Annotated[str, typer.Option(help="source_kind of every item.")] = "media",
    default_country: Annotated[
        str | None, typer.Option(help="ISO alpha-2 for items that name no country.")
    ] = None,
    allow_remote: Annotated[
        bool, typer.Option("--allow-remote", help="Also fetch feeds from non-loopback hosts.")
    ] = False,
    as_json: JsonOption = False,
    state_dir: StateDirOption = None,
) -> None:
    """Read FEEDS and push their items to open_source_items."""
    _, err = consoles()
    with exit_on_errors(err, as_json=as_json):
        loaded = load_profile(profile)
        if DATASET not in loaded.datasets:
            rules = DatasetMapping(identity=True, send_free_text=["summary"])
            loaded = loaded.model_copy(update={"datasets": {**loaded.datasets, DATASET: rules}})
        items = FeedItems(source_kind=source_kind, default_country=default_country)
        for location in feeds:
            items.add_feed(location, allow_remote=allow_remote)
        _report(err, items.report, as_json=as_json)
        table = items.table()
        push_command.execute(
            loaded,
            DATASET,
            TableSource(table),
            feeds[0],
            dry_run=dry_run,
            batch_rows=10_000,
            as_json=as_json,
            state_dir=state_dir,
        )


def _report(console: Console, report: FeedReport, *, as_json: bool) -> None:
    if as_json:
        console.file.write(json.dumps({"feed": report.__dict__}) + "\n")
        return
    console.print(
        f"Feeds: {report.read} item(s) read, {report.duplicate_links} duplicate link(s), "
        f"{report.duplicate_titles} near-identical title(s) skipped"
    )
    for title in report.without_country:
        console.print(f"[yellow]Not sent (no country named):[/] {title}")
