# METADATA
# title: Beacon ingest access
# description: |
#   Decides whether a partner may write a batch into a dataset. Defends against partners
#   polluting datasets they do not contribute to (data poisoning) and against non-uploader
#   clients writing at all. Contributors live in data.beacon.grants.contributors.<dataset>
#   as {"sectors": [...], "orgs": [...]}. Obligations are neutral placeholders (same shape
#   as view obligations) so one decision schema serves every entrypoint.
#   Must stay evaluable by rego-cpp (regopy) with identical results: negate helper rules.
package beacon.ingest

import rego.v1

# METADATA
# description: Fallback when no decision rule applies (never expected; fail closed).
default decision := {"allow": false, "reasons": ["policy_error"]}

# METADATA
# title: Decision
# description: One decision object; obligations only when allowed.
# entrypoint: true
decision := {"allow": true, "reasons": [], "obligations": _obligations} if {
	count(_reasons) == 0
}

decision := {"allow": false, "reasons": sort([r | some r in _reasons])} if {
	count(_reasons) > 0
}

_subject := input.subject if is_object(input.subject)

_subject_ok if {
	is_string(_subject.org)
	is_string(_subject.sector)
	is_array(_subject.roles)
	every r in _subject.roles {
		is_string(r)
	}
}

_resource_ok if {
	is_object(input.resource)
	is_string(input.resource.dataset)
}

_action_ok if input.action == "batch.write"

_is_uploader if "uploader" in _subject.roles

_contributors := data.beacon.grants.contributors[input.resource.dataset]

_is_contributor if _subject.sector in _contributors.sectors

_is_contributor if _subject.org in _contributors.orgs

_reasons contains "invalid_subject" if not _subject_ok

_reasons contains "invalid_resource" if not _resource_ok

_reasons contains "action_not_supported" if not _action_ok

_reasons contains "role_not_permitted" if {
	_subject_ok
	not _is_uploader
}

_reasons contains "not_a_contributor" if {
	_subject_ok
	_resource_ok
	not _is_contributor
}

_obligations := {
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
