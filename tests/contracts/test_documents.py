"""Contract facts beyond validation: entity key, rungs, in_views, and ISO codes from pycountry."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.contracts import ContractError, ContractRegistry
from gateway.contracts.documents import Rungs
from gateway.contracts.loader import parse_contract
from gateway.contracts.taxonomies import ISO_3166_1_ALPHA2, ISO_3166_2, TAXONOMIES

REPO = Path(__file__).resolve().parents[2]
# The hand-kept ISO 3166-1 list pycountry replaced: validation must accept exactly these.
FORMER_ISO_3166_1_TEXT = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
"""


def _doc(*columns: dict[str, object]) -> dict[str, object]:
    return {"dataset": "d", "version": "2.3.4", "title": "t", "columns": list(columns)}


def _col(name: str = "x", **extra: object) -> dict[str, object]:
    return {"name": name, "type": "string", "classification": "non_personal", **extra}


def test_shipped_contracts_name_their_entity_key_and_major() -> None:
    registry = ContractRegistry.load(REPO / "contracts")
    keys = {ds: registry.get(ds).entity_key for ds in registry.datasets()}
    assert keys == {
        "financial_indicators": "record_id",
        "incident_reports": "report_id",
        "open_source_items": "item_id",
        "supply_chain_findings": "finding_id",
    }
    incidents = registry.get("incident_reports")
    assert incidents.major == 1
    assert incidents.column("occurred_on").rungs == Rungs(time=("year", "quarter", "month"))
    assert incidents.column("admin1").rungs == Rungs(geo="admin1")
    assert incidents.column("received_at").rungs is None
    assert incidents.column("control_methods").in_views is False


def test_entity_key_rungs_and_major_of_a_parsed_contract() -> None:
    c = parse_contract(
        _doc(
            _col("id", constraints={"unique": True}),
            _col("on", type="date", classification="quasi_identifier", rungs={"time": ["year"]}),
        )
    )
    assert (c.entity_key, c.major, c.column("on").rungs) == ("id", 2, Rungs(time=("year",)))
    assert parse_contract(_doc(_col())).entity_key is None


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ([_col("a", constraints={"unique": True}), _col("b", constraints={"unique": True})],
         "at most one unique column (the entity key), not a, b"),
        ([_col(rungs={"time": ["year"]})], "time rungs need a date or timestamp column"),
        ([_col(type="int32", rungs={"geo": "country"})], "geo rungs need a string column"),
        ([_col(rungs={"geo": "street"})], "geo 'street' is not one of"),
        ([_col(type="date", rungs={"time": []})], "time must be a non-empty list"),
        ([_col(rungs={})], "exactly one of geo, time or category"),
        ([_col(rungs={"category": False})], "category False is not one of True"),
        ([_col(classification="free_text", rungs={"category": True})], "never reaches a view"),
        ([_col(in_views="no")], "in_views must be true or false"),
    ],
)  # fmt: skip
def test_bad_rungs_and_keys_are_refused(columns: list[dict[str, object]], message: str) -> None:
    with pytest.raises(ContractError) as err:
        parse_contract(_doc(*columns))
    assert message in str(err.value)


def test_iso_codes_come_from_pycountry_and_keep_the_demo_valid() -> None:
    assert list(ISO_3166_1_ALPHA2) == FORMER_ISO_3166_1_TEXT.split()
    assert set(TAXONOMIES) == {"iso_3166_1_alpha2", "iso_3166_2"}
    # Subdivisions: current codes only; two the demo uses were renumbered (GT-GU → GT-01 in
    # 2021, PL-MZ → PL-14 in 2018), which is why admin1 columns keep a pattern, not this list.
    assert "TH-10" in ISO_3166_2
    assert not {"GT-GU", "PL-MZ"} & set(ISO_3166_2)
