#!/usr/bin/env bash
# The CDK CLI for wagate's app, from anywhere: infra/cdk.sh deploy|destroy|diff|synth [cdk options]
#
#   STAGE         dev (default) or prod: which block of cdk.json's `wagate:stages`
#   SUPABASE_URL  https://<project-ref>.supabase.co (required to deploy)
#
# `deploy` first bootstraps the account/region (a no-op when already done) and checks Docker, which
# builds the runner image. Extra `-c KEY=VALUE` options override any stage setting.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# cdk.json runs `python app.py`: the project's virtualenv must come first.
export PATH="$root/.venv/bin:$PATH"
node_major="$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/')"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-$node_major}"

cdk="$here/node_modules/.bin/cdk"
if [[ ! -x "$cdk" ]]; then
    npm ci --prefix "$here" --no-audit --no-fund
fi

command="${1:?usage: infra/cdk.sh deploy|destroy|diff|synth [cdk options]}"
shift
context=(-c "stage=${STAGE:-dev}")
if [[ -n "${SUPABASE_URL:-}" ]]; then
    context+=(-c "supabase_url=$SUPABASE_URL")
fi

cd "$here"
case "$command" in
    deploy)
        if [[ -z "${SUPABASE_URL:-}" ]]; then
            echo "infra/cdk.sh deploy: set SUPABASE_URL=https://<project-ref>.supabase.co" >&2
            exit 2
        fi
        if ! docker info >/dev/null 2>&1; then
            echo "infra/cdk.sh deploy: Docker must be running (it builds the runner image)" >&2
            exit 2
        fi
        "$cdk" bootstrap "${context[@]}"
        exec "$cdk" deploy "${context[@]}" --require-approval never \
            --outputs-file "cdk-outputs-${STAGE:-dev}.json" "$@"
        ;;
    destroy)
        exec "$cdk" destroy "${context[@]}" --force "$@"
        ;;
    *)
        exec "$cdk" "$command" "${context[@]}" "$@"
        ;;
esac
