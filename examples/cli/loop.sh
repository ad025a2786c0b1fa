#!/usr/bin/env bash
# The Slipway loop with the `slipway` CLI only: register a model (ONNX) with its contract, weigh it
# against a constant baseline and promote it through the gate, serve it, send traffic and late
# labels, and let a monitor catch an upstream unit bug (tenure sent in months instead of years).
#
# Start a server (`npm start`), then from the repository root: bash examples/cli/loop.sh
# SLIPWAY_URL picks another server. The files (data, model) are made by examples/shared/make-files.mjs.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
slipway() { node "$root/packages/server/dist/main.js" "$@"; } # what `npx slipway` runs
export SLIPWAY_URL=${SLIPWAY_URL:-http://127.0.0.1:5000}
files=$(mktemp -d)
name=credit-cli-$(date +%s)

node "$root/examples/shared/make-files.mjs" "$files"

# 1. Track. The CLI has no commands that log params or metrics (use the SDK or the MLflow client for
#    that); registering from a directory records a run that holds the package, so lineage is kept.
slipway experiments create "$name"

# 2. Register: model/ holds model.onnx and slipway.yaml (runtime, entry point, contract).
slipway models register "$name" --from-dir "$files/model" --experiment "$name"
slipway runs list --experiment "$name"

# 3. A constant baseline (the majority class of train.csv), the gate, and a gated promotion.
slipway baselines create "$name-majority" --kind constant --task binary --label defaulted \
  --dataset "$files/train.csv" --experiment "$name"
slipway models gate set "$name" --dataset "$files/holdout.csv" --task binary --label defaulted \
  --baseline "$name-majority/1" --metric accuracy --margin 0.1 --protect champion --experiment "$name"
slipway models promote "$name" 1 --alias champion --reason "beats the majority class"

# 4. Serve: the endpoint follows $name@champion.
slipway endpoints create "$name" --model "$name@champion"

# 5. Traffic: 400 rows, the second half with the unit bug (the contract's range flags them as warnings).
slipway endpoints predict "$name" --data "$files/traffic.json" >"$files/answer.json"
jq -r '.prediction_ids | length | "served \(.) predictions"' "$files/answer.json"

# 6. Late labels by prediction id: pair each id with the outcome that came true.
jq -r --slurpfile outcomes "$files/traffic-labels.json" \
  '"prediction_id,label", ([.prediction_ids, $outcomes[0]] | transpose[] | "\(.[0]),\(.[1])")' \
  "$files/answer.json" >"$files/labels.csv"
slipway labels import "$name" "$files/labels.csv"
sleep 2 # the prediction log flushes about once a second; labels that came first join then
slipway predictions query "$name" --labelled --limit 3

# 7. A drift monitor against the reference profile the promotion's evaluation stored, run now.
slipway monitors create "$name" --endpoint "$name" --reference "$name/1" --drift --window 1h
slipway monitors rules add "$name" --name drift --check drift --severity critical
slipway monitors run "$name"
slipway alerts list --monitor "$name" --state firing
