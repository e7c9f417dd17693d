package beacon.ingest_test

import rego.v1

import data.beacon.ingest

_write(org, sector, roles, dataset) := {
	"subject": {"org": org, "sector": sector, "roles": roles, "purpose": null},
	"action": "batch.write",
	"resource": {"dataset": dataset},
	"context": {},
	"now": "2025-06-01T12:00:00Z",
}

_neutral := {
	"min_k": 0,
	"columns": [],
	"suppressed_columns": [],
	"row_filter": {},
	"geo_resolution": null,
	"time_grain": null,
	"mode": "cellkey",
	"min_contributors": 2,
	"dominance": {"n": 2, "share": 0.85},
	"dp": {"epsilon": null, "budget": null, "purpose": "general"},
	"embargo": {"days": null, "dims": []},
}

# --- deny cases first -------------------------------------------------------------------

test_deny_bank_writing_incidents if {
	d := ingest.decision with input as _write("northbank", "financial", ["uploader"], "incident_reports")
	d == {"allow": false, "reasons": ["not_a_contributor"]}
}

test_deny_analyst_role if {
	d := ingest.decision with input as _write("safe-harbour", "ngo", ["analyst"], "incident_reports")
	d == {"allow": false, "reasons": ["role_not_permitted"]}
}

test_deny_all_reasons if {
	d := ingest.decision with input as _write("atlas-apparel", "business", ["analyst"], "financial_indicators")
	d == {"allow": false, "reasons": ["not_a_contributor", "role_not_permitted"]}
}

test_deny_unknown_dataset if {
	d := ingest.decision with input as _write("safe-harbour", "ngo", ["uploader"], "raw_victims")
	d == {"allow": false, "reasons": ["not_a_contributor"]}
}

test_deny_wrong_action if {
	q := object.union(_write("safe-harbour", "ngo", ["uploader"], "incident_reports"), {"action": "view.query"})
	ingest.decision == {"allow": false, "reasons": ["action_not_supported"]} with input as q
}

test_deny_malformed_input if {
	ingest.decision == {"allow": false, "reasons": ["action_not_supported", "invalid_resource", "invalid_subject"]} with input as {}
}

test_deny_malformed_roles if {
	d := ingest.decision with input as _write("safe-harbour", "ngo", "uploader", "incident_reports")
	d == {"allow": false, "reasons": ["invalid_subject"]}
}

# --- allow cases -------------------------------------------------------------------------

test_allow_ngo_incidents if {
	d := ingest.decision with input as _write("safe-harbour", "ngo", ["uploader"], "incident_reports")
	d == {"allow": true, "reasons": [], "obligations": _neutral}
}

test_allow_bank_financial if {
	d := ingest.decision with input as _write("meridian-bank", "financial", ["uploader", "analyst"], "financial_indicators")
	d == {"allow": true, "reasons": [], "obligations": _neutral}
}

test_allow_contributor_by_org if {
	grants := {"contributors": {"supply_chain_findings": {"sectors": [], "orgs": ["safe-harbour"]}}}
	d := ingest.decision with input as _write("safe-harbour", "ngo", ["uploader"], "supply_chain_findings")
		with data.beacon.grants as grants
	d == {"allow": true, "reasons": [], "obligations": _neutral}
}
