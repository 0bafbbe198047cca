# scripts/demo.sh: one summary line of a team's DORA report (the JSON of
# `pulse-host dora --team T --json`); hours with one decimal.
def hours: if . == null then "n/a" else ((. / 360 | round) as $t | "\($t / 10 | floor).\($t % 10) h") end;
"team \(.scope.people.team): \(.scope.people.people) people, \(.scope.people.github_logins) GitHub logins; "
+ "\(.deployment_frequency.deployments) deployments on \(.deployment_frequency.deployment_days) days; "
+ "lead time \(.lead_time.value | hours) over \(.lead_time.sample) changes; "
+ "change failure rate \(.change_failure_rate.failed_deployments) of \(.change_failure_rate.deployments) deployments; "
+ "recovery time \(.recovery_time.value | hours) over \(.recovery_time.resolved) incidents"
