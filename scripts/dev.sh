#!/usr/bin/env bash
# The embedded default: runs a Pulumi command (default: preview --diff) for
# the `dev` stack on a local file backend, with no cloud account.
#
#   npm run dev                 # pulumi preview --diff on dev
#   npm run dev -- up           # pulumi up on dev
# preview and up always run the policy pack (--policy-pack policy).
#
# State lives in $PICLUSTER_STATE_DIR (default ~/.picluster/state). Secrets
# are encrypted with $PULUMI_CONFIG_PASSPHRASE; without one, a dev-only
# passphrase is used and said so. On first use, when no SSH key is
# configured, a dedicated dev key is generated (~/.picluster/dev_ed25519)
# and stored as the secret picluster:sshPrivateKey; install its .pub on the
# dev node.
set -euo pipefail
cd "$(dirname "$0")/.."

state_dir="${PICLUSTER_STATE_DIR:-$HOME/.picluster/state}"
mkdir -p "$state_dir"
export PULUMI_BACKEND_URL="file://$state_dir"
export PULUMI_SKIP_UPDATE_CHECK=1
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    export PULUMI_CONFIG_PASSPHRASE=picluster-dev
    echo "note: using the dev-only passphrase 'picluster-dev'; set PULUMI_CONFIG_PASSPHRASE for real stacks" >&2
fi

if command -v pulumi >/dev/null 2>&1; then
    pulumi=(pulumi)
else
    # The `pulumi` npm package fetches the pinned CLI on first use.
    pulumi=(npx --no-install pulumi)
fi

"${pulumi[@]}" stack select dev >/dev/null 2>&1 || "${pulumi[@]}" stack init dev >/dev/null

if ! "${pulumi[@]}" config get sshPrivateKey --stack dev >/dev/null 2>&1; then
    key="${PICLUSTER_DEV_KEY:-$HOME/.picluster/dev_ed25519}"
    if [ ! -f "$key" ]; then
        ssh-keygen -q -t ed25519 -N "" -C picluster-dev -f "$key"
        echo "generated $key; add $key.pub to the dev node's authorized_keys" >&2
    fi
    "${pulumi[@]}" config set --secret sshPrivateKey --stack dev <"$key"
fi

if [ "$#" -eq 0 ]; then set -- preview --diff; fi
# Every preview and update runs the policy pack (docs/policy.md): a mandatory
# violation stops it before anything changes.
policy=()
case "$1" in preview | up | update) policy=(--policy-pack policy) ;; esac
exec "${pulumi[@]}" "$@" "${policy[@]}" --stack dev
