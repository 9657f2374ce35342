#!/usr/bin/env bash
# The main job: a Pulumi command (default: preview, the summary) for the
# `dev` stack, on the backend scripts/pulumi.sh chooses (yours when you set
# one; else the embedded default, a local file backend: no cloud account).
#
#   npm run dev                 # pulumi preview on dev (the summary)
#   npm run dev -- --diff       # the same with every property's diff
#   npm run dev -- up           # pulumi up on dev
# preview and up always run the policy pack (--policy-pack policy).
#
# Secrets: the passphrase is yours (PULUMI_CONFIG_PASSPHRASE[_FILE]) or a
# random one made once into ~/.picluster/passphrase (0600). The SSH key is
# never written into Pulumi.dev.yaml: its picluster:sshPrivateKeyFile names
# a key outside the repository, made here the first time; install its .pub
# on the dev node.
set -euo pipefail
cd "$(dirname "$0")/.."

# The backend, the passphrase and the pinned CLI, chosen once (one line on stderr).
env_lines=$(bash scripts/pulumi.sh --env --stack dev)
eval "$env_lines"
pulumi=("$PICLUSTER_PULUMI")

if ! "${pulumi[@]}" stack select dev >/dev/null 2>&1; then
    # `stack init` rewrites Pulumi.dev.yaml in its own style; keep the file's
    # text and add only the line it needs, the state's `encryptionsalt:` (no
    # secret: commit it only for a stack others share, docs/operations.md).
    before=$(cat Pulumi.dev.yaml)
    "${pulumi[@]}" stack init dev --secrets-provider passphrase >/dev/null
    salt=$(sed -n 's/^encryptionsalt: //p' Pulumi.dev.yaml)
    if [ -n "$salt" ] && ! grep -q '^encryptionsalt:' <<<"$before"; then
        printf '%s\nencryptionsalt: %s\n' "$before" "$salt" >Pulumi.dev.yaml
    fi
    echo "created stack dev on $PULUMI_BACKEND_URL" >&2
fi

key=$("${pulumi[@]}" config get sshPrivateKeyFile --stack dev 2>/dev/null || true)
if [ -n "$key" ]; then
    if [[ ${key:0:1} == "~" && ${key:1:1} == / ]]; then key="$HOME/${key:2}"; fi
    if [ ! -f "$key" ]; then
        mkdir -p "$(dirname "$key")"
        ssh-keygen -q -t ed25519 -N "" -C picluster-dev -f "$key"
        echo "generated $key; add $key.pub to the dev node's authorized_keys" >&2
    fi
fi

# No command, or only flags: a preview.
if [ "$#" -eq 0 ] || [[ $1 == -* ]]; then set -- preview "$@"; fi
# Every preview and update runs the policy pack (docs/policy.md): a mandatory
# violation stops it before anything changes.
policy=()
case "$1" in preview | up | update) policy=(--policy-pack policy) ;; esac
exec "${pulumi[@]}" "$@" "${policy[@]}" --stack dev
