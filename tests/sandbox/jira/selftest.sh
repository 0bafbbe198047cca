#!/usr/bin/env bash
# Self-test for the Jira sandbox: starts two private servers on free loopback
# ports, exercises the wire contract with curl, prints "N passed, M failed".
# Needs bash, curl and node (JSON is inspected with node; no jq needed).
set -u
export LC_ALL=C  # byte-exact `read -N` below

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TMP="$(mktemp -d -t jira-sandbox-selftest.XXXXXX)"
PASS=0; FAIL=0
PIDS=()
AUTH="sandbox@example.com:sandbox-token"

cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

ok()   { PASS=$((PASS+1)); printf '  ok   %s\n' "$1"; }
bad()  { FAIL=$((FAIL+1)); printf '  FAIL %s\n' "$1"; [ $# -gt 1 ] && printf '       %s\n' "$2"; }
check() { # check NAME BASH-CONDITION...
  local name="$1"; shift
  if "$@"; then ok "$name"; else bad "$name" "condition: $*"; fi
}

start_server() { # start_server NAME extra-args... ; sets BASE_<NAME>
  local name="$1"; shift
  local pf="$TMP/$name.port"
  node "$HERE/server.js" --port 0 --port-file "$pf" "$@" 2>"$TMP/$name.log" &
  PIDS+=($!)
  for _ in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.1; done
  if [ ! -s "$pf" ]; then echo "server $name did not start:"; cat "$TMP/$name.log"; exit 1; fi
  printf -v "BASE_$name" 'http://127.0.0.1:%s' "$(cat "$pf")"
}

# req METHOD URL [JSON-BODY] [extra curl args...] -> $CODE, $TMP/body, $TMP/hdr, $CURLRC
req() {
  local method="$1" url="$2" data="${3:-}"; shift 3 2>/dev/null || shift $#
  local args=(-s -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' -X "$method" -u "$AUTH")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  CODE=$(curl "${args[@]}" "$@" "$url"); CURLRC=$?
}
# js 'expression using d (parsed body)' [file]
# One long-lived node process evaluates all expressions (node start-up is
# slow on small machines): we send "file\nexpr\n", it answers with the
# result's length in characters on one line, then the result itself.
coproc JSEVAL { node -e '
const fs=require("fs");
const rl=require("readline").createInterface({input:process.stdin});
let file=null;
rl.on("line",(line)=>{
  if(file===null){file=line;return;}
  const f=file; file=null;
  let d; try{d=JSON.parse(fs.readFileSync(f,"utf8"))}catch(e){d=undefined}
  let r; try{r=eval(line)}catch(e){r="EVAL-ERROR: "+e.message}
  const s=typeof r==="string"?r:String(JSON.stringify(r));
  process.stdout.write(Buffer.byteLength(s)+"\n"+s);
});'; }
PIDS+=("$JSEVAL_PID")
js() {
  local len val=""
  printf '%s\n%s\n' "${2:-$TMP/body}" "$1" >&"${JSEVAL[1]}"
  IFS= read -r len <&"${JSEVAL[0]}"
  [ "$len" -gt 0 ] && IFS= read -r -d '' -N "$len" val <&"${JSEVAL[0]}"
  printf '%s' "$val"
}
hdr() { grep -i "^$1:" "$TMP/hdr" | sed -n 1,1p | cut -d' ' -f2- | tr -d '\r'; }
admin() { curl -s -X "$1" -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$BASE_A/_sandbox/$2"; }
adminjs() { admin "$1" "$2" > "$TMP/admin.json"; js "$3" "$TMP/admin.json"; }

start_server A --seed selftest --projects 3 --issues 60 --user-tz America/Los_Angeles
start_server U --seed selftest --projects 3 --issues 60 --user-tz UTC
A="$BASE_A/rest/api/3"
echo "jira sandbox selftest: $BASE_A (America/Los_Angeles), $BASE_U (UTC)"

# ---------------------------------------------------------------- basics
curl -s "$BASE_A/_sandbox/truth" > "$TMP/truth.json"
curl -s "$BASE_U/_sandbox/truth" > "$TMP/truthU.json"
js 'JSON.stringify(d.issues)' "$TMP/truth.json" > "$TMP/ia"; js 'JSON.stringify(d.issues)' "$TMP/truthU.json" > "$TMP/iu"
check "same seed => identical dataset" cmp -s "$TMP/ia" "$TMP/iu"

CODE=$(curl -s -o "$TMP/body" -w '%{http_code}' "$A/myself")
check "401 without auth" [ "$CODE" = 401 ]
check "401 body is Jira-shaped" [ "$(js 'd.errorMessages[0]')" = "Client must be authenticated to access this resource." ]
CODE=$(curl -s -o "$TMP/body" -w '%{http_code}' -u sandbox@example.com:wrong "$A/myself")
check "401 with wrong token" [ "$CODE" = 401 ]

req GET "$A/myself"
check "myself 200 with user time zone" [ "$CODE:$(js 'd.timeZone')" = "200:America/Los_Angeles" ]
check "rate-limit headers present" [ -n "$(hdr X-RateLimit-Limit)" -a -n "$(hdr X-RateLimit-Remaining)" -a -n "$(hdr X-RateLimit-NearLimit)" ]

req GET "$A/search?jql=project%3DPLAT"
check "GET /search -> 410" [ "$CODE" = 410 ]
check "410 message points to /search/jql" [ "$(js 'd.errorMessages[0].includes("/rest/api/3/search/jql")')" = true ]
req POST "$A/search" '{"jql":"project = PLAT"}'
check "POST /search -> 410" [ "$CODE" = 410 ]

req POST "$A/search/jql" '{"jql":"ORDER BY updated DESC"}'
check "unbounded JQL -> 400" [ "$CODE:$(js 'd.errorMessages[0].startsWith("Unbounded JQL")')" = "400:true" ]
req POST "$A/search/jql" '{}'
check "missing JQL -> 400" [ "$CODE" = 400 ]
req POST "$A/search/jql" '{"jql":"summary ~ \"crash\""}'
check "unsupported JQL (~) -> 400, not ignored" [ "$CODE" = 400 ]
req POST "$A/search/jql" '{"jql":"project = NOPE"}'
check "unknown project -> 400 Jira message" [ "$CODE:$(js 'd.errorMessages[0]')" = "400:The value 'NOPE' does not exist for the field 'project'." ]
req POST "$A/search/jql" '{"jql":"bogusfield = 1"}'
check "unknown field -> 400" [ "$CODE" = 400 ]
CODE=$(curl -s -o "$TMP/body" -w '%{http_code}' -u "$AUTH" -d '{"jql":"project = PLAT"}' "$A/search/jql")
check "POST without JSON content type -> 403 XSRF" [ "$CODE" = 403 ]
req POST "$A/search/jql" '{"jql":"project = PLAT","expand":["changelog"]}'
check "expand as array (must be a string) -> 400" [ "$CODE" = 400 ]

req POST "$A/search/jql" '{"jql":"project = PLAT","maxResults":5}'
check "fields omitted -> only id,key,self" [ "$(js 'd.issues.every(i=>Object.keys(i).sort().join()==="id,key,self")')" = true ]
check "no total/startAt in search/jql" [ "$(js '!("total" in d) && !("startAt" in d) && d.isLast===false && typeof d.nextPageToken==="string"')" = true ]

# nextPageToken walk over project PLAT
: > "$TMP/walk.keys"
TOKEN=""; PAGES=0; SHAPE=true
while :; do
  if [ -z "$TOKEN" ]; then BODY='{"jql":"project = PLAT ORDER BY key ASC","maxResults":7,"fields":["summary","status","updated"]}'
  else BODY="{\"jql\":\"project = PLAT ORDER BY key ASC\",\"maxResults\":7,\"fields\":[\"summary\"],\"nextPageToken\":\"$TOKEN\"}"; fi
  req POST "$A/search/jql" "$BODY"
  [ "$CODE" = 200 ] || { SHAPE=false; break; }
  js 'd.issues.map(i=>i.key).join("\n")+(d.issues.length?"\n":"")' >> "$TMP/walk.keys"
  TOKEN=$(js 'd.nextPageToken||""')
  LAST=$(js 'd.isLast')
  PAGES=$((PAGES+1))
  if [ -z "$TOKEN" ]; then [ "$LAST" = true ] || SHAPE=false; break; fi
  [ "$LAST" = false ] || SHAPE=false
  [ $PAGES -gt 100 ] && { SHAPE=false; break; }
done
js 'd.issues.filter(i=>i.project==="PLAT").map(i=>i.key).sort().join("\n")+"\n"' "$TMP/truth.json" > "$TMP/truth.keys"
check "token walk: isLast/nextPageToken consistent" $SHAPE
check "token walk covers exactly truth's PLAT issues ($(wc -l < "$TMP/truth.keys"))" [ "$(sort "$TMP/walk.keys" | sha1sum)" = "$(sort "$TMP/truth.keys" | sha1sum)" ]
check "token walk has no duplicates" [ "$(sort "$TMP/walk.keys" | uniq -d | wc -l)" = 0 ]

req POST "$A/search/jql" '{"jql":"project = PLAT","maxResults":5}'
T1=$(js 'd.nextPageToken')
req POST "$A/search/jql" "{\"jql\":\"project = MOB\",\"nextPageToken\":\"$T1\"}"
check "token reused with other JQL -> 400" [ "$CODE" = 400 ]
req GET "$A/search/jql?jql=project%20in%20(PLAT,MOB,OPS)&maxResults=1000&fields=summary"
check "maxResults capped at 100 with fields" [ "$CODE:$(js 'd.issues.length')" = "200:100" ]
req GET "$A/search/jql?jql=project%20in%20(PLAT,MOB,OPS)&maxResults=5001"
check "maxResults > 5000 -> 400" [ "$CODE" = 400 ]
req POST "$A/search/approximate-count" '{"jql":"project = PLAT"}'
check "approximate-count matches truth" [ "$(js 'd.count')" = "$(wc -l < "$TMP/truth.keys" | tr -d ' ')" ]

# ------------------------------------------------------------- changelog
BIG=$(js 'd.issues.filter(i=>i.changelogCount>100)[0].key' "$TMP/truth.json")
BIGN=$(js "d.issues.find(i=>i.key==='$BIG').changelogCount" "$TMP/truth.json")
req GET "$A/search/jql?jql=key%3D$BIG&fields=summary&expand=changelog"
check "embedded changelog capped at 20 ($BIG has $BIGN)" [ "$(js 'd.issues[0].changelog.histories.length+"/"+d.issues[0].changelog.total')" = "20/$BIGN" ]
START=0; SEEN=0; IDS_OK=true; PAGES=0
while :; do
  req GET "$A/issue/$BIG/changelog?startAt=$START&maxResults=100"
  [ "$CODE" = 200 ] || { IDS_OK=false; break; }
  N=$(js 'd.values.length'); SEEN=$((SEEN+N)); PAGES=$((PAGES+1))
  [ "$(js 'd.total')" = "$BIGN" ] || IDS_OK=false
  [ "$(js 'd.values.every((v,i,a)=>i===0||+v.id>+a[i-1].id)')" = true ] || IDS_OK=false
  [ "$(js 'd.isLast')" = true ] && break
  [ "$(js '"nextPage" in d')" = true ] || IDS_OK=false
  START=$((START+N)); [ $PAGES -gt 20 ] && break
done
check "changelog paging returns all $BIGN entries in $PAGES pages" [ "$SEEN" = "$BIGN" -a $PAGES -ge 2 ]
check "changelog pages ordered, total constant" $IDS_OK
req GET "$A/issue/NOPE-1/changelog"
check "changelog of missing issue -> 404" [ "$CODE" = 404 ]
req POST "$A/changelog/bulkfetch" "{\"issueIdsOrKeys\":[\"$BIG\",\"PLAT-1\"],\"maxResults\":40}"
BULK=0; PAGES=0
while :; do
  BULK=$((BULK+$(js 'd.issueChangeLogs.reduce((a,x)=>a+x.changeHistories.length,0)'))); PAGES=$((PAGES+1))
  T=$(js 'd.nextPageToken||""'); [ -z "$T" ] && break; [ $PAGES -gt 50 ] && break
  req POST "$A/changelog/bulkfetch" "{\"issueIdsOrKeys\":[\"$BIG\",\"PLAT-1\"],\"maxResults\":40,\"nextPageToken\":\"$T\"}"
done
P1N=$(js "d.issues.find(i=>i.key==='PLAT-1').changelogCount" "$TMP/truth.json")
check "bulkfetch pages cover both issues ($((BIGN+P1N)))" [ "$BULK" = "$((BIGN+P1N))" ]

# ------------------------------------------------------ user time zone
admin POST clock '{"set":"2026-08-29T23:30:00Z"}' >/dev/null
admin POST mutate '{"op":"edit_issue","key":"PLAT-3","summary":"tz boundary probe"}' >/dev/null
curl -s -X POST -H 'Content-Type: application/json' -d '{"set":"2026-08-29T23:30:00Z"}' "$BASE_U/_sandbox/clock" >/dev/null
curl -s -X POST -H 'Content-Type: application/json' -d '{"op":"edit_issue","key":"PLAT-3","summary":"tz boundary probe"}' "$BASE_U/_sandbox/mutate" >/dev/null
count() { # count BASE JQL
  local q="${2//\"/\\\"}"
  curl -s -u "$AUTH" -H 'Content-Type: application/json' -X POST --data-binary "{\"jql\":\"$q\"}" "$1/rest/api/3/search/jql" > "$TMP/c.json"
  js 'd.issues?d.issues.length:"err"' "$TMP/c.json"
}
req GET "$A/issue/PLAT-3?fields=updated"
check "updated rendered in user tz offset (16:30 -0700)" [ "$(js 'd.fields.updated')" = "2026-08-29T16:30:00.000-0700" ]
check "LA: updated >= \"2026-08-30\" excludes 23:30Z issue" [ "$(count "$BASE_A" 'key = PLAT-3 AND updated >= "2026-08-30"')" = 0 ]
check "LA: updated >= \"2026/08/29 16:30\" includes it" [ "$(count "$BASE_A" 'key = PLAT-3 AND updated >= "2026/08/29 16:30"')" = 1 ]
check "LA: updated >= \"2026/08/29 16:31\" excludes it" [ "$(count "$BASE_A" 'key = PLAT-3 AND updated >= "2026/08/29 16:31"')" = 0 ]
check "LA: updated <= \"2026/08/29 17:00\" includes it" [ "$(count "$BASE_A" 'key = PLAT-3 AND updated <= "2026/08/29 17:00"')" = 1 ]
check "UTC: updated <= \"2026/08/29 17:00\" excludes it" [ "$(count "$BASE_U" 'key = PLAT-3 AND updated <= "2026/08/29 17:00"')" = 0 ]
check "UTC: updated >= \"2026-08-29 20:00\" includes it" [ "$(count "$BASE_U" 'key = PLAT-3 AND updated >= "2026-08-29 20:00"')" = 1 ]
check "LA: updated >= \"2026-08-29 20:00\" excludes it" [ "$(count "$BASE_A" 'key = PLAT-3 AND updated >= "2026-08-29 20:00"')" = 0 ]

# ------------------------------------------------------------ dev-status
PRID=$(js 'd.devStatusLinks[0].issueId' "$TMP/truth.json")
PRKEY=$(js 'd.devStatusLinks[0].key' "$TMP/truth.json")
PRN=$(js "d.devStatusLinks.filter(l=>l.issueId==='$PRID').length" "$TMP/truth.json")
req GET "$BASE_A/rest/dev-status/1.0/issue/summary?issueId=$PRID"
check "dev-status summary count ($PRKEY: $PRN PRs)" [ "$CODE:$(js 'd.summary.pullrequest.overall.count')" = "200:$PRN" ]
req GET "$BASE_A/rest/dev-status/1.0/issue/detail?issueId=$PRID&applicationType=GitHub&dataType=pullrequest"
check "dev-status detail lists GitHub PRs" [ "$(js 'd.detail[0].pullRequests.length+":"+/^https:\/\/github\.com\/acme\/[a-z-]+\/pull\/([1-9]|[1-3]\d|40)$/.test(d.detail[0].pullRequests[0].url)+":"+d.detail[0].pullRequests[0].id.startsWith("#")')" = "$PRN:true:true" ]
req GET "$BASE_A/rest/dev-status/1.0/issue/detail?issueId=$PRKEY&applicationType=GitHub&dataType=pullrequest"
check "dev-status with issue KEY fails (400)" [ "$CODE" = 400 ]

# ---------------------------------------------------------------- faults
admin POST faults '[{"kind":"rate_limit","retry_after":2,"path_prefix":"/rest/api/3/myself"}]' >/dev/null
req GET "$A/myself"
check "fault rate_limit -> 429 + Retry-After + Reset + Reason" [ "$CODE|$(hdr Retry-After)|$(hdr RateLimit-Reason)" = "429|2|jira-burst-based" ]
check "X-RateLimit-Reset is yyyy-MM-ddTHH:mmZ" [ -n "$(hdr X-RateLimit-Reset | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}Z$')" ]
req GET "$A/myself"
check "fault consumed once (next call 200)" [ "$CODE" = 200 ]
admin POST faults '{"kind":"status","status":503,"retry_after":3,"count":2}' >/dev/null
req GET "$A/status"; C1=$CODE; RA=$(hdr Retry-After)
req GET "$A/status"; C2=$CODE
req GET "$A/status"; C3=$CODE
check "fault status 503 x2 with Retry-After, then 200" [ "$C1/$C2/$C3/$RA" = "503/503/200/3" ]
admin POST faults '{"kind":"status","status":502,"delay_ms":400}' >/dev/null
S=$(date +%s%N); req GET "$A/issuetype"; E=$(( ($(date +%s%N)-S)/1000000 ))
check "fault status 502 with delay_ms 400 (took ${E}ms)" [ "$CODE" = 502 -a "$E" -ge 380 ]
admin POST faults '{"kind":"status","status":500}' >/dev/null
req GET "$A/issuetype"
check "fault status 500" [ "$CODE" = 500 ]
admin POST faults '{"kind":"truncate","path_prefix":"/rest/api/3/search/jql"}' >/dev/null
req POST "$A/search/jql" '{"jql":"project = PLAT","fields":["*all"]}'
check "fault truncate -> short body (curl rc 18)" [ "$CURLRC" = 18 ]
admin POST faults '{"kind":"invalid_json"}' >/dev/null
req GET "$A/project/search"
check "fault invalid_json -> 200 with unparseable body" [ "$CODE:$(js 'd===undefined')" = "200:true" ]
admin POST faults '{"kind":"reset"}' >/dev/null
req GET "$A/myself"
check "fault reset -> connection dropped (curl rc 52/56)" [ "$CURLRC" = 52 -o "$CURLRC" = 56 ]
admin POST faults '[{"kind":"status","status":500,"path_prefix":"/rest/agile"}]' >/dev/null
check "GET /_sandbox/faults lists pending" [ "$(adminjs GET faults 'd.pending.length')" = 1 ]
admin DELETE faults >/dev/null
req GET "$BASE_A/rest/agile/1.0/board"
check "DELETE /_sandbox/faults clears" [ "$CODE" = 200 ]

# -------------------------------------------------------------- mutations
admin POST clock '{"set":"2026-08-30T12:00:00Z"}' >/dev/null
admin POST mutate '{"op":"delete_issue","key":"PLAT-5"}' >/dev/null
req GET "$A/issue/PLAT-5/changelog"
check "deleted issue: changelog 404" [ "$CODE" = 404 ]
req POST "$A/search/jql" '{"jql":"project = PLAT","maxResults":100}'
check "deleted issue gone from search" [ "$(js 'd.issues.some(i=>i.key==="PLAT-5")')" = false ]
check "truth lists deleted key" [ "$(adminjs GET truth 'd.deleted.some(x=>x.key==="PLAT-5")')" = true ]
req GET "$A/issue/PLAT-4/changelog?maxResults=100"; BEFORE=$(js 'd.total')
admin POST mutate '{"op":"transition","key":"PLAT-4","to":"In Review"}' >/dev/null
admin POST mutate '{"op":"transition","key":"PLAT-4","to":"Done"}' >/dev/null
req GET "$A/issue/PLAT-4/changelog?maxResults=100"
check "transitions append changelog entries" [ "$(js 'd.total')" = "$((BEFORE+2))" ]
check "last entry is status -> Done" [ "$(js 'd.values[d.values.length-1].items.find(x=>x.fieldId==="status").toString')" = Done ]
req POST "$A/search/jql" '{"jql":"key = PLAT-4 AND updated >= \"2026/08/30 05:00\"","fields":["status","resolutiondate","updated"]}'
check "edited issue found by updated >= now (LA time)" [ "$(js 'd.issues.length+":"+d.issues[0].fields.status.name+":"+(d.issues[0].fields.resolutiondate!==null)')" = "1:Done:true" ]
admin POST mutate '{"op":"add_issues","project":"PLAT","count":2}' > "$TMP/add.json"
NEWKEY=$(js 'd.results[0].created[0].key' "$TMP/add.json")
req POST "$A/search/jql" "{\"jql\":\"key in ($NEWKEY)\",\"fields\":[\"status\",\"created\"]}"
check "add_issues creates searchable issue ($NEWKEY)" [ "$(js 'd.issues.length+":"+d.issues[0].fields.status.name')" = "1:To Do" ]

# ------------------------------------------------------------ catalogues
req GET "$A/project/search?maxResults=2"
check "project/search PageBean" [ "$(js '[d.startAt,d.maxResults,d.total,d.isLast,d.values.length,typeof d.nextPage].join()')" = "0,2,3,false,2,string" ]
req GET "$A/statuses/search?projectId=$(js 'd.projects[0].id' "$TMP/truth.json")"
check "statuses/search categories TODO|IN_PROGRESS|DONE" [ "$(js 'd.values.every(v=>["TODO","IN_PROGRESS","DONE"].includes(v.statusCategory))')" = true ]
req GET "$A/issuetype"
check "issuetype includes custom Spike and subtask flag" [ "$(js 'd.some(t=>t.name==="Spike")&&d.some(t=>t.subtask&&t.hierarchyLevel===-1)')" = true ]
req GET "$A/workflows/search?expand=values.transitions"
check "workflows/search has transitions" [ "$(js 'd.values.length>0&&d.values[0].transitions.length>5')" = true ]
req GET "$BASE_A/rest/agile/1.0/board?projectKeyOrId=PLAT"
BOARD=$(js 'd.values[0].id')
req GET "$BASE_A/rest/agile/1.0/board/$BOARD/sprint?state=active,closed"
check "board sprints (active+closed)" [ "$(js 'd.values.length>0&&d.values.every(s=>["active","closed"].includes(s.state)&&s.startDate)')" = true ]

req GET "$BASE_A/_sandbox/stats"
check "stats count search/jql calls, 401s, faults" [ "$(js '(d.by_path["POST /rest/api/3/search/jql"]||0)>5 && d.unauthorized>=2 && d.faults.rate_limit===1')" = true ]

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
