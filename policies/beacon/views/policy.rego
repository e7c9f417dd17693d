# METADATA
# title: Beacon view access
# description: |
#   Decides whether a partner may query (or list) an aggregate view, and with which
#   disclosure-control obligations. Defends against partners reading views, dimensions or
#   filters their grant does not cover (re-identification through fine-grained cells).
#   Grants live in data.beacon.grants.views.<view>.grants; when several grants match,
#   an org-specific grant wins over a sector grant, and among equals the lowest grant id wins.
#   Must stay evaluable by rego-cpp (regopy) with identical results: negate helper rules
#   rather than `not x in s` expressions (the two engines disagree when x is undefined),
#   and use no time builtins.
package beacon.views

import rego.v1

_actions := {"view.query", "view.list"}

_view_roles := {"analyst", "governance"}

# METADATA
# description: Fallback when no decision rule applies (never expected; fail closed).
default decision := {"allow": false, "reasons": ["policy_error"]}

# METADATA
# title: Decision
# description: One decision object; obligations only when allowed.
# entrypoint: true
decision := {"allow": true, "reasons": [], "obligations": _obligations} if {
	count(_reasons) == 0
	_grant
}

decision := {"allow": false, "reasons": sort([r | some r in _reasons])} if {
	count(_reasons) > 0
}

# --- input shape -------------------------------------------------------------------------

_subject := input.subject if is_object(input.subject)

_subject_ok if {
	is_string(_subject.org)
	is_string(_subject.sector)
	is_array(_subject.roles)
	every r in _subject.roles {
		is_string(r)
	}
}

_resource := input.resource if is_object(input.resource)

_dims := object.get(_resource, "dims", [])

_filters := object.get(_resource, "filters", {})

_resource_ok if {
	is_string(_resource.view)
	is_array(_dims)
	every d in _dims {
		is_string(d)
	}
	is_object(_filters)
	every k, v in _filters {
		is_string(k)
		is_array(v)
	}
}

# --- grant selection ---------------------------------------------------------------------

_view := data.beacon.grants.views[_resource.view]

_org_grant_ids contains g.id if {
	_subject_ok
	some g in _view.grants
	g.org == _subject.org
}

_sector_grant_ids contains g.id if {
	_subject_ok
	some g in _view.grants
	not g.org
	g.sector == _subject.sector
}

_grant_id := min(_org_grant_ids) if count(_org_grant_ids) > 0

_grant_id := min(_sector_grant_ids) if {
	count(_org_grant_ids) == 0
	count(_sector_grant_ids) > 0
}

_grant := g if {
	some g in _view.grants
	g.id == _grant_id
}

_granted_dims := {d | some d in _grant.dims}

# --- deny reasons ------------------------------------------------------------------------

_has_view_role if {
	some r in _subject.roles
	r in _view_roles
}

_dataset_mismatch if {
	is_string(_resource.dataset)
	_resource.dataset != _view.dataset
}

_dim_allowed(d) if d in _granted_dims

_reasons contains "invalid_subject" if not _subject_ok

_reasons contains "invalid_resource" if not _resource_ok

_action_ok if input.action in _actions

_reasons contains "action_not_supported" if not _action_ok

_reasons contains "role_not_permitted" if {
	_subject_ok
	not _has_view_role
}

_reasons contains "no_grant_for_view" if {
	_subject_ok
	_resource_ok
	not _grant
}

_reasons contains "dataset_mismatch" if {
	_resource_ok
	_dataset_mismatch
}

_reasons contains sprintf("dimension_not_permitted:%s", [d]) if {
	_resource_ok
	_grant
	some d in _dims
	not _dim_allowed(d)
}

_reasons contains sprintf("filter_not_permitted:%s", [k]) if {
	_resource_ok
	_grant
	some k, _ in _filters
	not _dim_allowed(k)
}

# --- obligations -------------------------------------------------------------------------

_suppressed := sort([d | some d in _view.dims; not _dim_allowed(d)])

_obligations := {
	"min_k": _grant.min_k,
	"columns": sort(_granted_dims),
	"suppressed_columns": _suppressed,
	"row_filter": object.get(_grant, "row_filter", {}),
	"geo_resolution": object.get(_grant, "geo_resolution", null),
	"time_grain": object.get(_grant, "time_grain", null),
	"mode": object.get(_grant, "mode", "cellkey"),
	"min_contributors": object.get(_grant, "min_contributors", 2),
	"dominance": {
		"n": object.get(_dominance, "n", 2),
		"share": object.get(_dominance, "share", 0.85),
	},
	"dp": {
		"epsilon": object.get(_dp, "epsilon", null),
		"budget": object.get(_dp, "budget", null),
		"purpose": _dp_purpose,
	},
	"embargo": {
		"days": object.get(_embargo, "days", null),
		"dims": sort(object.get(_embargo, "dims", [])),
	},
}

_dominance := object.get(_grant, "dominance", {})

_dp := object.get(_grant, "dp", {})

_embargo := object.get(_grant, "embargo", {})

# METADATA
# description: The DP budget's purpose is the grant's, else the subject's, else "general".
_dp_purpose := _dp.purpose if _grant_purpose

_dp_purpose := _subject.purpose if {
	not _grant_purpose
	_subject_purpose
}

_dp_purpose := "general" if {
	not _grant_purpose
	not _subject_purpose
}

_grant_purpose if is_string(_dp.purpose)

_subject_purpose if is_string(_subject.purpose)
