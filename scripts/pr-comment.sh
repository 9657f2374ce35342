#!/usr/bin/env bash
# Posts FILE as a pull-request comment, or edits the comment posted before
# (found by the marker line FILE starts with), so a PR carries one comment of
# each kind that follows its pushes.
#
# Usage: scripts/pr-comment.sh PR_NUMBER FILE
# Needs: gh (GitHub's CLI, on GitHub's runners), GH_TOKEN and GITHUB_REPOSITORY.
set -euo pipefail

pr=${1:?usage: scripts/pr-comment.sh PR_NUMBER FILE}
file=${2:?usage: scripts/pr-comment.sh PR_NUMBER FILE}
: "${GITHUB_REPOSITORY:?set GITHUB_REPOSITORY=owner/name}"
marker=$(head -n 1 "$file")
[[ $marker == '<!--'*'-->' ]] || { echo "pr-comment: $file must start with an HTML comment marker line" >&2; exit 2; }

id=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$pr/comments" \
  --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | tail -n 1)
if [[ -n $id ]]; then
  gh api -X PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$file" >/dev/null
  echo "pr-comment: edited comment $id"
else
  gh api -X POST "repos/$GITHUB_REPOSITORY/issues/$pr/comments" -F "body=@$file" >/dev/null
  echo "pr-comment: posted a new comment"
fi
