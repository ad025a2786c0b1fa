"""The Slipway loop from Python: the standard MLflow client for tracking and the registry, plain
HTTP (urllib.request) for what MLflow has no API for: baselines, the promotion gate, serving,
labels and monitoring.

Start a server (`npm start`), then from the repository root:
    pip install 'mlflow>=2.12,<3'   # the MLflow client; nothing Slipway-specific
    python3 examples/python/loop.py
SLIPWAY_URL picks another server. The data and the ONNX model are made by
examples/shared/make-files.mjs (Node.js, which the server needs anyway), so all three examples
train the same model on the same seeded data.
"""

import json
import os
import pathlib
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import mlflow

URL = os.environ.get("SLIPWAY_URL", "http://127.0.0.1:5000")
ROOT = pathlib.Path(__file__).resolve().parents[2]
NAME = f"credit-py-{int(time.time())}"


def call(method, path, body=None):
    """Sends JSON to the server and returns the decoded answer; a refusal raises with its error body."""
    data = None if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"content-type": "application/json"}
    request = urllib.request.Request(URL + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read()
            return json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"{method} {path}: {error.code} {error.read().decode()}") from None


files = pathlib.Path(tempfile.mkdtemp())
subprocess.run(["node", str(ROOT / "examples/shared/make-files.mjs"), str(files)], check=True)

# 1. Track with MLflow: params, the training curve, the datasets and the model package as artifacts.
mlflow.set_tracking_uri(URL)
mlflow.set_experiment(NAME)
with mlflow.start_run(run_name="lr-0.2") as run:
    mlflow.log_params({"learningRate": 0.2, "epochs": 300})
    for line in (files / "curve.jsonl").read_text().splitlines():
        point = json.loads(line)
        mlflow.log_metrics({"loss": point["loss"], "accuracy": point["accuracy"]}, step=point["epoch"])
    mlflow.log_artifact(str(files / "train.csv"), "datasets")
    mlflow.log_artifact(str(files / "holdout.csv"), "datasets")
    mlflow.log_artifacts(str(files / "model"), "model")  # model.onnx + slipway.yaml (the contract)
run_id = run.info.run_id

# 2. Register with MLflow: Slipway inspects the package, copies it immutably and keeps its contract.
version = str(mlflow.register_model(f"runs:/{run_id}/model", NAME).version)
print(f"registered {NAME} version {version}")

# 3. A constant baseline, the gate and a gated promotion (Slipway's own API).


def dataset(file):
    """A dataset the server reads from the run's artifacts."""
    return {"uri": f"runs:/{run_id}/datasets/{file}"}


baseline = call("POST", "/api/v1/baselines", {
    "name": f"{NAME}-majority",
    "fit": {"kind": "constant", "task": "binary", "labelColumn": "defaulted", "dataset": dataset("train.csv")},
})["modelVersion"]
call("PUT", f"/api/v1/models/{NAME}/evaluation-policy", {
    "task": "binary",
    "labelColumn": "defaulted",
    "dataset": dataset("holdout.csv"),
    "baseline": {"name": baseline["name"], "version": baseline["version"]},
    "gate": {"metric": "accuracy", "direction": "higher", "margin": {"kind": "absolute", "value": 0.1}},
    "protectedAliases": ["champion"],
})
promoted = call("POST", f"/api/v1/models/{NAME}/versions/{version}/promote", {"alias": "champion"})
print("gate:", "; ".join(promoted["evaluation"]["verdict"]["reasons"]))

# 4. Serve, and 5. send traffic (the second half has tenure in months: an upstream unit bug).
call("POST", "/api/v1/endpoints", {"name": NAME, "model": {"name": NAME, "alias": "champion"}})
traffic = json.loads((files / "traffic.json").read_text())
answer = call("POST", f"/v1/endpoints/{NAME}/predict", traffic)
print(f"served {len(answer['prediction_ids'])} predictions")

# 6. Late labels, joined by prediction id.
outcomes = json.loads((files / "traffic-labels.json").read_text())
labels = [{"prediction_id": p, "label": y} for p, y in zip(answer["prediction_ids"], outcomes)]
written = call("POST", f"/v1/endpoints/{NAME}/labels", {"labels": labels})
print(f"labels: {written['stored']} stored, {written['matched']} matched, {written['unmatched']} waiting")
time.sleep(2)  # the prediction log flushes about once a second; labels that came first join then

# 7. A drift monitor against the reference profile the promotion's evaluation stored, run now.
call("POST", "/api/v1/monitors", {
    "name": NAME,
    "endpoint": NAME,
    "reference": {"model": NAME, "version": version},
    "checks": {"drift": {}},
    "window": {"kind": "rolling", "durationMs": 3_600_000},
})
call("POST", f"/api/v1/monitors/{NAME}/rules", {"name": "drift", "severity": "critical", "match": {"check": "drift"}})
result = call("POST", f"/api/v1/monitors/{NAME}/run")["run"]
for stat in result["statistics"]:
    if stat["flagged"]:
        print(f"flagged {stat['check']} {stat.get('column', '(dataset)')} {stat['name']} = {stat['value']:.4f}")
for alert in call("GET", f"/api/v1/alerts?monitor={NAME}&state=firing")["alerts"]:
    print("alert firing:", alert["severity"], sorted({s.get("column", "(dataset)") for s in alert["evidence"]}))
