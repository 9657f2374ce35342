#!/usr/bin/env bash
# Posts a drift report (FILE, from npm run drift -- --markdown FILE) to the
# repository's open issue "Drift on STACK" (label drift), opening it the
# first time; later runs add a comment, so one issue follows one drift.
#
# Usage: scripts/drift-issue.sh STACK FILE
# Needs: gh (on GitHub's runners), GH_TOKEN (issues: write) and GITHUB_REPOSITORY.
set -euo pipefail

stack=${1:?usage: scripts/drift-issue.sh STACK FILE}
file=${2:?usage: scripts/drift-issue.sh STACK FILE}
: "${GITHUB_REPOSITORY:?set GITHUB_REPOSITORY=owner/name}"
title="Drift on $stack"

gh label create drift --repo "$GITHUB_REPOSITORY" --color d93f0b \
  --description "picluster: a scheduled preview --refresh found drift" >/dev/null 2>&1 || true
number=$(gh issue list --repo "$GITHUB_REPOSITORY" --label drift --state open --limit 100 \
  --json number,title --jq ".[] | select(.title == \"$title\") | .number" | head -n 1)
if [[ -n $number ]]; then
  gh issue comment "$number" --repo "$GITHUB_REPOSITORY" --body-file "$file" >/dev/null
  echo "drift-issue: commented on #$number"
else
  gh issue create --repo "$GITHUB_REPOSITORY" --title "$title" --label drift --body-file "$file" >/dev/null
  echo "drift-issue: opened \"$title\""
fi
