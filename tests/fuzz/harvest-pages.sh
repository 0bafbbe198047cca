#!/bin/bash
# harvest-pages SOURCE OUTDIR: seed inputs for a transform-* fuzz target,
# taken from raw pages the project's own sandbox produces. Runs a small
# sync of SOURCE (github, jira, fabric, entra or ad) the way the connector
# tests do (tests/connectors/SOURCE-lib.sh: private database, sandbox),
# then writes a few pages per raw entity, each < 20 KB, in the target's
# input format (tests/fuzz/transform.h): a kind byte, then PARAMS NUL
# BODY. HARVEST_MAX=N caps a seed at N bytes (default 19500; longer
# pages are cut down). Not a test; run from a build tree like a test:
#   abs_top_srcdir=SRC abs_top_builddir=BUILD PULSE_HOST_BIN=BUILD/host/pulse-host \
#     bash tests/fuzz/harvest-pages.sh github /tmp/seeds
set -euo pipefail
src=$1 out=$(realpath -m "$2")
case ${HARVEST_MAX:-19500} in
''|*[!0-9]*) echo "harvest-pages: HARVEST_MAX must be a number of bytes" >&2; exit 2 ;;
esac
mkdir -p "$out"

case $src in
github)
	. "$abs_top_srcdir/tests/connectors/github-lib.sh"
	gh_setup harvest --seed 11 --repos 3 --prs 120
	id=$(gh_integration '{"org":"acme","releases_as_deployments":true}')
	gh_run "$id"; url=$GH_ADMIN_URL; bit=0
	kinds="repositories pull_requests pull_request_children deployments deployment_statuses deployment_compare releases" ;;
jira)
	. "$abs_top_srcdir/tests/connectors/jira-lib.sh"
	jr_setup harvest --seed sync --projects 3 --issues 60
	id=$(jr_integration '{"dev_status":true}')
	jr_run "$id"; url=$JR_ADMIN_URL; bit=0
	# issue_ids: an issue deleted in Jira makes the next sync's counts
	# differ, so it walks every id (the key-set reconcile); its last page
	# carries {"deleted": [...]} in the request parameters.
	jr_api POST /_sandbox/clock '{"advance": 3600}' >/dev/null
	jr_api POST /_sandbox/mutate '[{"op": "delete_issue", "key": "PLAT-2"}]' >/dev/null
	jr_run_ok "$id"
	# issue_changelog: a site without /changelog/bulkfetch (404) makes
	# the plugin fall back to GET /issue/{id}/changelog per issue.
	jr_api POST /_sandbox/faults '{"kind": "status", "status": 404, "count": 1000,
		"path_prefix": "/rest/api/3/changelog/bulkfetch"}' >/dev/null
	jr_run_ok "$(jr_integration '{"dev_status":false}')"
	jr_api DELETE /_sandbox/faults >/dev/null
	kinds="projects statuses issue_types workflows sprints issues changelogs issue_changelog dev_status issue_ids" ;;
fabric)
	. "$abs_top_srcdir/tests/connectors/fabric-lib.sh"
	fb_setup harvest --workspaces 2 --items 3 --runs 3 --deploys 3 --rows 7 --page-size 2
	id=$(fb_integration '{"graphql": true, "graphql_page_size": 5}')
	fb_run "$id"; url=$FB_ADMIN_URL; bit=0
	kinds="items workspace runs deploys gql" ;;
entra)
	. "$abs_top_srcdir/tests/connectors/entra-lib.sh"
	en_setup harvest --users 12 --groups 3 --page-size 5
	id=$(en_integration '{}')
	en_run "$id"; url=$EN_ADMIN_URL; bit=0
	kinds="users groups" ;;
ad)
	. "$abs_top_srcdir/tests/connectors/ad-lib.sh"
	ad_setup harvest
	ad_directory dc --users 40 --groups 5 --big 20 --seed 7
	id=$(ad_integration '{"page_size": 5}')
	ad_run "$id"; url=$AD_ADMIN_URL; bit=128
	kinds="org_units users groups deletes" ;;
*) echo "harvest-pages: unknown source '$src' (github, jira, fabric, entra, ad)" >&2; exit 2 ;;
esac

# The smallest page of each entity, for the record.
psql -X -q -At -v ON_ERROR_STOP=1 "$url" -c "
	SELECT 'harvest-pages: ' || entity || ': ' || count(*) || ' pages, smallest '
		|| min(length(body::text) + length(coalesce(request_params::text, ''))) || ' bytes'
	FROM raw_extraction_data GROUP BY entity ORDER BY entity"
# Three pages per entity, of sizes near 3 KB; plus the smallest. A page
# over the limit (Jira issues with their histories, a directory's users)
# is cut down below by shortening its longest arrays.
psql -X -q -At -v ON_ERROR_STOP=1 "$url" -c "
	SELECT coalesce(json_agg(json_build_object('e', entity,
		'p', request_params::text, 'b', body::text)), '[]')
	FROM (SELECT entity, request_params, body,
		row_number() OVER (PARTITION BY entity
			ORDER BY abs(length(body::text) - 3000)) AS near,
		row_number() OVER (PARTITION BY entity
			ORDER BY length(body::text)) AS small
		FROM raw_extraction_data) s
	WHERE near <= 3 OR small = 1" > "$out/pages.json"
python3 - "$out" "$src" "$bit" "${HARVEST_MAX:-19500}" $kinds <<'PY'
import json, sys
out, src, bit, kinds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[5:]
LIMIT = int(sys.argv[4])

def arrays(v, path=()):
    """(serialized length, path) of every non-trivial array inside v."""
    if isinstance(v, list):
        if len(v) > 1:
            yield len(json.dumps(v)), path
        for i, x in enumerate(v):
            yield from arrays(x, path + (i,))
    elif isinstance(v, dict):
        for k, x in v.items():
            yield from arrays(x, path + (k,))

def trim(body, room):
    """Halve the longest array of body until it fits room bytes; None if
    it cannot (no array left to shorten)."""
    v = json.loads(body)
    while len(json.dumps(v)) >= room:
        found = sorted(arrays(v), reverse=True)
        if not found:
            return None
        node = v
        for k in found[0][1]:
            node = node[k]
        del node[max(1, len(node) // 2):]
    return json.dumps(v)

seen = {}
for pg in json.load(open(out + "/pages.json")):
    if pg["e"] not in kinds:
        print("harvest-pages: skipped entity %s" % pg["e"])
        continue
    room = LIMIT - len(pg["p"] or "")
    if len(pg["b"]) >= room:
        pg["b"] = trim(pg["b"], room)
        if pg["b"] is None:
            print("harvest-pages: a page of %s does not fit %d bytes" % (pg["e"], LIMIT))
            continue
    n = seen[pg["e"]] = seen.get(pg["e"], 0) + 1
    data = bytes([bit | kinds.index(pg["e"])])
    if pg["p"] is not None:
        data += pg["p"].encode() + b"\0"
    data += pg["b"].encode()
    open("%s/%s-%s-%d" % (out, src, pg["e"], n), "wb").write(data)
print("harvest-pages: %s" % seen)
PY
rm -f "$out/pages.json"
