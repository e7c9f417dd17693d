package beacon.views_test

import rego.v1

import data.beacon.views

_subject(org, sector, roles) := {"org": org, "sector": sector, "roles": roles, "purpose": "research"}

_query(subject, view, dims, filters) := {
	"subject": subject,
	"action": "view.query",
	"resource": {"dataset": views_dataset[view], "view": view, "dims": dims, "filters": filters},
	"context": {},
	"now": "2025-06-01T12:00:00Z",
}

views_dataset := {
	"incident_hotspots": "incident_reports",
	"financial_typologies": "financial_indicators",
	"open_source_coverage": "open_source_items",
	"supply_chain_risk": "supply_chain_findings",
	"no_such_view": "incident_reports",
}

_ngo := _subject("safe-harbour", "ngo", ["analyst"])

_bank := _subject("northbank", "financial", ["analyst"])

_nra := _subject("national-referral-agency", "government", ["analyst"])

_ngo_hotspot_columns := [
	"admin1", "age_band", "country", "exploitation_type", "gender", "month", "quarter",
	"recruitment_method", "sector", "source_type", "year",
]

# --- deny cases first -------------------------------------------------------------------

test_deny_unknown_view if {
	views.decision == {"allow": false, "reasons": ["no_grant_for_view"]} with input as _query(_ngo, "no_such_view", ["country"], {})
}

test_deny_view_without_grant if {
	views.decision == {"allow": false, "reasons": ["no_grant_for_view"]} with input as _query(_ngo, "supply_chain_risk", ["sector"], {})
}

test_deny_ngo_financial_below_country if {
	views.decision == {"allow": false, "reasons": ["dimension_not_permitted:admin1"]} with input as _query(_ngo, "financial_typologies", ["admin1"], {})
}

test_deny_uploader_role if {
	d := views.decision with input as _query(_subject("safe-harbour", "ngo", ["uploader"]), "incident_hotspots", ["country"], {})
	d == {"allow": false, "reasons": ["role_not_permitted"]}
}

test_deny_lists_every_reason_sorted if {
	d := views.decision with input as _query(
		_subject("safe-harbour", "ngo", ["admin"]), "incident_hotspots",
		["nationality", "country", "h3_cell"], {"nationality": ["NG"], "year": ["2024"]},
	)
	d == {"allow": false, "reasons": [
		"dimension_not_permitted:h3_cell",
		"dimension_not_permitted:nationality",
		"filter_not_permitted:nationality",
		"role_not_permitted",
	]}
}

test_deny_bank_fine_geography if {
	d := views.decision with input as _query(_bank, "incident_hotspots", ["admin1", "month"], {"gender": ["female"]})
	d == {"allow": false, "reasons": [
		"dimension_not_permitted:admin1",
		"dimension_not_permitted:month",
		"filter_not_permitted:gender",
	]}
}

test_deny_dataset_mismatch if {
	q := _query(_ngo, "incident_hotspots", ["country"], {})
	d := views.decision with input as object.union(q, {"resource": object.union(q.resource, {"dataset": "financial_indicators"})})
	d == {"allow": false, "reasons": ["dataset_mismatch"]}
}

test_deny_malformed_subject if {
	d := views.decision with input as _query({"org": "safe-harbour", "roles": "analyst"}, "incident_hotspots", ["country"], {})
	d == {"allow": false, "reasons": ["invalid_subject"]}
}

test_deny_non_string_role if {
	d := views.decision with input as _query(_subject("safe-harbour", "ngo", [1]), "incident_hotspots", [], {})
	d == {"allow": false, "reasons": ["invalid_subject"]}
}

test_deny_malformed_resource if {
	q := _query(_ngo, "incident_hotspots", "country", {"year": "2024"})
	views.decision == {"allow": false, "reasons": ["invalid_resource"]} with input as q
}

test_deny_empty_input if {
	views.decision == {"allow": false, "reasons": ["action_not_supported", "invalid_resource", "invalid_subject"]} with input as {}
}

test_deny_unknown_action if {
	q := object.union(_query(_ngo, "incident_hotspots", ["country"], {}), {"action": "view.export"})
	views.decision == {"allow": false, "reasons": ["action_not_supported"]} with input as q
}

# --- allow cases -------------------------------------------------------------------------

test_allow_ngo_hotspots if {
	d := views.decision with input as _query(_ngo, "incident_hotspots", ["country", "exploitation_type"], {"year": ["2024"]})
	d == {"allow": true, "reasons": [], "obligations": {
		"min_k": 10,
		"columns": _ngo_hotspot_columns,
		"suppressed_columns": ["h3_cell", "nationality"],
		"row_filter": {},
		"geo_resolution": "admin1",
		"time_grain": "month",
		"mode": "cellkey",
		"min_contributors": 2,
		"dominance": {"n": 2, "share": 0.85},
		"dp": {"epsilon": null, "budget": null, "purpose": "research"},
		"embargo": {"days": 30, "dims": ["admin1", "h3_cell"]},
	}}
}

test_allow_governance_role if {
	d := views.decision with input as _query(_subject("safe-harbour", "ngo", ["governance"]), "open_source_coverage", ["source_kind"], {})
	d.allow
	d.obligations.min_k == 5
}

test_allow_list_without_dims if {
	q := object.union(_query(_bank, "financial_typologies", [], {}), {"action": "view.list"})
	d := views.decision with input as q
	d == {"allow": true, "reasons": [], "obligations": {
		"min_k": 3,
		"columns": ["admin1", "country", "month", "quarter", "typology", "year"],
		"suppressed_columns": [],
		"row_filter": {},
		"geo_resolution": "admin1",
		"time_grain": "month",
		"mode": "cellkey",
		"min_contributors": 2,
		"dominance": {"n": 2, "share": 0.85},
		"dp": {"epsilon": null, "budget": null, "purpose": "research"},
		"embargo": {"days": 30, "dims": ["admin1"]},
	}}
}

test_allow_agency_org_grant_over_sector if {
	d := views.decision with input as _query(_nra, "incident_hotspots", ["h3_cell", "nationality"], {})
	d.allow
	d.obligations.min_k == 5
	d.obligations.suppressed_columns == []
	d.obligations.embargo == {"days": null, "dims": []}
}

test_ops_hotspots_stay_in_suppression_mode if {
	ops := _subject("beacon-ops", "public", ["governance"])
	d := views.decision with input as _query(ops, "incident_hotspots", ["country", "exploitation_type", "month"], {})
	d.obligations.mode == "suppression"
	d.obligations.min_contributors == 2
	d.obligations.embargo == {"days": 30, "dims": ["admin1", "h3_cell"]}
}

test_allow_without_resource_dataset if {
	q := {"subject": _ngo, "action": "view.list", "resource": {"view": "incident_hotspots"}}
	d := views.decision with input as q
	d.allow
}

# --- grant selection with synthetic grants ------------------------------------------------

_grants := {"views": {"v": {"dataset": "d", "dims": ["a", "b", "c"], "grants": [
	{"id": "z-sector", "sector": "ngo", "dims": ["a"], "min_k": 7},
	{"id": "b-sector", "sector": "ngo", "dims": ["a", "b"], "min_k": 9},
	{
		"id": "m-org", "org": "x", "dims": ["c"], "min_k": 2, "row_filter": {"a": ["1"]},
		"mode": "dp", "min_contributors": 3, "dominance": {"n": 1, "share": 0.6},
		"dp": {"epsilon": 0.5, "budget": 4, "purpose": "casework"},
		"embargo": {"days": 14, "dims": ["c", "b"]},
	},
	{"id": "n-org", "org": "w", "dims": ["a"], "min_k": 3, "mode": "dp", "dp": {"epsilon": 1}},
]}}}

_v_query(org) := {"subject": _subject(org, "ngo", ["analyst"]), "action": "view.list", "resource": {"view": "v", "dims": [], "filters": {}}}

test_org_grant_wins if {
	d := views.decision with input as _v_query("x") with data.beacon.grants as _grants
	d == {"allow": true, "reasons": [], "obligations": {
		"min_k": 2,
		"columns": ["c"],
		"suppressed_columns": ["a", "b"],
		"row_filter": {"a": ["1"]},
		"geo_resolution": null,
		"time_grain": null,
		"mode": "dp",
		"min_contributors": 3,
		"dominance": {"n": 1, "share": 0.6},
		"dp": {"epsilon": 0.5, "budget": 4, "purpose": "casework"},
		"embargo": {"days": 14, "dims": ["b", "c"]},
	}}
}

test_defaults_when_grant_omits_privacy_keys if {
	d := views.decision with input as _v_query("y") with data.beacon.grants as _grants
	d.obligations.mode == "cellkey"
	d.obligations.min_contributors == 2
	d.obligations.dominance == {"n": 2, "share": 0.85}
	d.obligations.dp == {"epsilon": null, "budget": null, "purpose": "research"}
	d.obligations.embargo == {"days": null, "dims": []}
}

test_dp_purpose_from_subject_then_general if {
	d := views.decision with input as _v_query("w") with data.beacon.grants as _grants
	d.obligations.dp == {"epsilon": 1, "budget": null, "purpose": "research"}
	anonymous := {
		"subject": {"org": "w", "sector": "ngo", "roles": ["analyst"]},
		"action": "view.list",
		"resource": {"view": "v", "dims": [], "filters": {}},
	}
	g := views.decision with input as anonymous with data.beacon.grants as _grants
	g.obligations.dp == {"epsilon": 1, "budget": null, "purpose": "general"}
}

test_lowest_sector_grant_id_wins if {
	d := views.decision with input as _v_query("y") with data.beacon.grants as _grants
	d.obligations.min_k == 9
	d.obligations.columns == ["a", "b"]
}
