#!/bin/bash
# jira-mapping: an issue type Jira has and the canonical model does not
# (the sandbox's "Spike") lands in the visible 'Unmapped' bucket, listed by
# `pulse-host mapping list --unmapped`; `incident_types` and the
# integration's `mappings` setting apply at the end of a sync; `mapping
# set` overrides both, survives later syncs, recomputes cycle/lead times
# at once (checked against the truth with the changed categories), and
# `mapping reset` undoes it. Bad mappings are refused when the
# integration is added.
set -euo pipefail
. "$abs_top_srcdir/tests/connectors/jira-lib.sh"

jr_setup jira-mapping --seed map --projects 2 --issues 40

# Refused at `integration add`: a canonical type that does not exist.
printf '{"base_url":"%s","email":"sandbox@example.com","api_token":"x","mappings":{"types":{"Spike":"Feature"}}}' \
	"$JR_URL" > "$JR_DIR/bad.json"
if jr_cli integration add --tenant t1 --plugin jira --config "$JR_DIR/bad.json" \
	--name bad >"$JR_DIR/bad.log" 2>&1; then
	jr_fail "an integration with mappings.types.Spike = Feature was accepted"
fi
grep -q 'mappings.types.Spike' "$JR_DIR/bad.log" || { cat "$JR_DIR/bad.log" >&2; jr_fail "the refusal does not name the mapping"; }

id=$(jr_integration '{"incident_types": ["Incident", "Bug"],
	"mappings": {"statuses": {"Blocked": "To Do"}}}')
jr_run_ok "$id"
jr_truth transitions=0 > "$JR_DIR/truth.json"
spikes=$(jqv 'd.issues.filter(i => i.type === "Spike").length' "$JR_DIR/truth.json")
[ "$spikes" -gt 0 ] || jr_fail "the sandbox has no Spike issues"

jr_cli mapping list --integration "$id" --unmapped > "$JR_DIR/unmapped.txt"
cat "$JR_DIR/unmapped.txt" >&2
got=$(awk '$1 == "Spike" { print $2 " " $3 " " $4 }' "$JR_DIR/unmapped.txt")
jr_eq "mapping list --unmapped: Spike" "$got" "Unmapped default $spikes"
got=$(grep -cE '^  [A-Za-z]' "$JR_DIR/unmapped.txt" | sed -n 1,1p)
jr_eq "unmapped rows (header + Spike)" "$got" 2
jr_cli mapping list --integration "$id" --json > "$JR_DIR/list.json"
got=$(jqv 'd.types.map(t => t.source_name + "=" + t.canonical_type + "/" + t.origin).sort().join(" ")' "$JR_DIR/list.json")
jr_eq "type mappings" "$got" \
	"Bug=Incident/default Epic=Epic/default Incident=Incident/default Spike=Unmapped/default Story=Story/default Sub-task=Sub-task/default Task=Task/default"
got=$(jqv 'd.statuses.map(t => t.source_name + "=" + t.category + "/" + t.origin).sort().join(" ")' "$JR_DIR/list.json")
jr_eq "status mappings" "$got" \
	"Blocked=To Do/config Done=Done/default In Progress=In Progress/default In Review=In Progress/default To Do=To Do/default Won't Do=Done/default"
jr_verify "$id" '{"metrics": true, "statusCategories": {"Blocked": "new"}}'

# Overrides from the CLI: names as Jira spells them, case-insensitively.
jr_cli mapping set --integration "$id" --type spike --to task
jr_cli mapping set --integration "$id" --status "in review" --to Done
jr_verify "$id" '{"metrics": true, "statusCategories": {"Blocked": "new", "In Review": "done"}}'
got=$(jr_cli mapping list --integration "$id" --unmapped | grep -c '^  Spike' || true)
jr_eq "Spike still unmapped after mapping set" "$got" 0
if jr_cli mapping set --integration "$id" --status Blocked --to Finished 2>"$JR_DIR/err.txt"; then
	jr_fail "mapping set accepted the category 'Finished'"
fi
grep -q 'not a status category' "$JR_DIR/err.txt" || jr_fail "no clear error for a bad category"

# A later sync keeps the overrides (cli beats default and config).
jr_api POST /_sandbox/clock '{"advance": 600}' >/dev/null
jr_api POST /_sandbox/mutate '[{"op": "transition", "key": "PLAT-9", "to": "In Review"}]' >/dev/null
jr_run_ok "$id"
got=$(jr_sql "SELECT canonical_type || '/' || origin FROM wits_mappings
	WHERE integration_id = $id AND source_name = 'Spike'")
jr_eq "Spike after another sync" "$got" "Task/cli"
jr_verify "$id" '{"metrics": true, "statusCategories": {"Blocked": "new", "In Review": "done"}}'

# Reset: the default applies again, and the metrics follow.
jr_cli mapping reset --integration "$id" --status "In Review"
got=$(jr_sql "SELECT category || '/' || origin FROM status_mappings
	WHERE integration_id = $id AND source_name = 'In Review'")
jr_eq "In Review after reset" "$got" "In Progress/default"
jr_verify "$id" '{"metrics": true, "statusCategories": {"Blocked": "new"}}'
jr_cli mapping reset --integration "$id" >/dev/null
got=$(jr_sql "SELECT canonical_type || '/' || origin FROM wits_mappings
	WHERE integration_id = $id AND source_name = 'Spike'")
jr_eq "Spike after reset of everything" "$got" "Unmapped/default"
got=$(jr_sql "SELECT category || '/' || origin FROM status_mappings
	WHERE integration_id = $id AND source_name = 'Blocked'")
jr_eq "Blocked (from the configuration) after reset" "$got" "To Do/config"
jr_log "PASS"
