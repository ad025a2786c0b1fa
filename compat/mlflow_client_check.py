#!/usr/bin/env python3
"""Compatibility check: drive a tracking server with the real MLflow 2.12.2 Python client.

Usage (see compat/README.md for the environment):
    $PY compat/mlflow_client_check.py --url http://127.0.0.1:PORT [--registry] [--only SUBSTR] [--trace FILE]

Every check prints `PASS name` or `FAIL name: reason`; the script keeps going after a failure,
prints a summary and exits 1 if any check failed (2 if the client could not even be imported).

The expectations were calibrated against the real `mlflow server` 2.12.2 (sqlite backend, default
--serve-artifacts). Where the real server does something surprising the check expects exactly
that, with a comment starting with "REAL:".

Every check creates its own experiments/runs with a per-invocation uuid suffix, so the script can
be run repeatedly against the same server (leftover state does not matter).
"""

import argparse
import filecmp
import json
import math
import os
import shutil
import sys
import tempfile
import time
import traceback
import uuid


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True, help="tracking server base URL, e.g. http://127.0.0.1:5055")
    p.add_argument("--registry", action="store_true", help="also run registry_checks() (registered models / model versions)")
    p.add_argument("--only", action="append", default=[], help="run only checks whose name contains this substring (repeatable)")
    p.add_argument("--trace", metavar="FILE", help="append every HTTP request/response the client makes to FILE (JSON lines)")
    p.add_argument("--retries", type=int, default=0,
                   help="MLFLOW_HTTP_REQUEST_MAX_RETRIES for the client (default 0: a 5xx fails at once instead of "
                        "after minutes of backoff; the client's own default is 5)")
    p.add_argument("--timeout", type=int, default=60, help="MLFLOW_HTTP_REQUEST_TIMEOUT seconds (default 60)")
    p.add_argument("--history-steps", type=int, default=30000,
                   help="steps for the large metric-history check (> 25000 exercises next_page_token paging in "
                        "the client; 0 skips the check)")
    p.add_argument("-v", "--verbose", action="store_true", help="print a traceback for each failure")
    return p.parse_args()


ARGS = parse_args()
# Must be set before the client reads them (they are read per request, but set them early anyway).
os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(ARGS.retries))
os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(ARGS.timeout))

try:
    import mlflow
    import mlflow.artifacts
    import mlflow.data
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunStatus, RunTag, ViewType
    from mlflow.exceptions import MlflowException
except Exception as exc:  # pragma: no cover
    print(f"FAIL import_mlflow: {exc!r} (did you source env.sh? see compat/README.md)")
    sys.exit(2)


# ----------------------------------------------------------------------------------------------
# tiny test harness
# ----------------------------------------------------------------------------------------------

RESULTS = []  # (name, ok, reason)


def run_check(name, fn, *a):
    if ARGS.only and not any(s in name for s in ARGS.only):
        return
    t0 = time.time()
    try:
        fn(*a)
    except Exception as exc:  # noqa: BLE001 - any failure is a FAIL, keep going
        reason = f"{type(exc).__name__}: {exc}".replace("\n", " ")
        if len(reason) > 600:
            reason = reason[:600] + "..."
        RESULTS.append((name, False, reason))
        print(f"FAIL {name}: {reason}", flush=True)
        if ARGS.verbose:
            traceback.print_exc()
    else:
        RESULTS.append((name, True, ""))
        print(f"PASS {name}  ({time.time() - t0:.2f}s)", flush=True)
    finally:
        # never leave a fluent run active across checks
        while mlflow.active_run() is not None:
            try:
                mlflow.end_run()
            except Exception:  # noqa: BLE001
                break


class CheckError(AssertionError):
    pass


def eq(actual, expected, what):
    if actual != expected:
        raise CheckError(f"{what}: got {actual!r}, expected {expected!r}")


def ok(cond, what):
    if not cond:
        raise CheckError(what)


def is_type(value, typ, what):
    if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
        raise CheckError(f"{what}: got {type(value).__name__} {value!r}, expected {typ.__name__}")


def expect_error(fn, code, what):
    """Call fn, expect an MlflowException with the given error_code (or one of a tuple of codes)."""
    codes = code if isinstance(code, tuple) else (code,)
    try:
        fn()
    except MlflowException as exc:
        if exc.error_code not in codes:
            raise CheckError(f"{what}: error_code {exc.error_code!r}, expected {code!r} ({exc.message!r})")
        return exc
    raise CheckError(f"{what}: expected MlflowException {code}, but the call succeeded")


def now_ms():
    return int(time.time() * 1000)


class Ctx:
    def __init__(self, url):
        self.url = url.rstrip("/")
        self.uid = uuid.uuid4().hex[:10]
        self.client = MlflowClient(tracking_uri=self.url)
        self.tmp = tempfile.mkdtemp(prefix="slipway-compat-")
        self._fixtures = {}

    def name(self, prefix):
        return f"{prefix}-{self.uid}-{uuid.uuid4().hex[:6]}"

    def new_experiment(self, prefix="exp", tags=None):
        return self.client.create_experiment(self.name(prefix), tags=tags)

    def new_dir(self, prefix):
        return tempfile.mkdtemp(prefix=prefix + "-", dir=self.tmp)

    def fixture(self, key, build):
        """Build a shared fixture once; if building failed, every user fails with that reason."""
        if key not in self._fixtures:
            try:
                self._fixtures[key] = (True, build())
            except Exception as exc:  # noqa: BLE001
                self._fixtures[key] = (False, exc)
        good, val = self._fixtures[key]
        if not good:
            raise CheckError(f"fixture {key} failed: {type(val).__name__}: {val}")
        return val


def install_trace(path):
    import requests

    orig = requests.Session.request

    def traced(self, method, url, *a, **kw):
        resp = orig(self, method, url, *a, **kw)
        rec = {"method": method, "url": url, "params": kw.get("params"), "json": kw.get("json"),
               "status": resp.status_code, "content_type": resp.headers.get("Content-Type")}
        if "json" in (resp.headers.get("Content-Type") or ""):
            rec["response"] = resp.text[:4000]
        with open(path, "a") as f:
            f.write(json.dumps(rec, default=str) + "\n")
        return resp

    requests.Session.request = traced


# ----------------------------------------------------------------------------------------------
# experiments
# ----------------------------------------------------------------------------------------------

def check_default_experiment(c):
    exp = c.client.get_experiment("0")
    eq(exp.experiment_id, "0", "experiment_id")
    eq(exp.name, "Default", "name")
    eq(exp.lifecycle_stage, "active", "lifecycle_stage")


def check_set_experiment_new(c):
    name = c.name("setexp")
    ok(c.client.get_experiment_by_name(name) is None, "get_experiment_by_name(unknown) should be None")
    exp = mlflow.set_experiment(name)
    is_type(exp.experiment_id, str, "experiment_id")
    eq(exp.name, name, "name")
    eq(exp.lifecycle_stage, "active", "lifecycle_stage")
    is_type(exp.artifact_location, str, "artifact_location")
    is_type(exp.creation_time, int, "creation_time")
    is_type(exp.last_update_time, int, "last_update_time")
    ok(abs(exp.creation_time - now_ms()) < 10 * 60 * 1000, f"creation_time {exp.creation_time} not near now")
    # second set_experiment with the same name goes through get-by-name (200) and returns the same id
    again = mlflow.set_experiment(name)
    eq(again.experiment_id, exp.experiment_id, "set_experiment(existing).experiment_id")
    by_name = c.client.get_experiment_by_name(name)
    eq(by_name.experiment_id, exp.experiment_id, "get_experiment_by_name.experiment_id")
    by_id = mlflow.set_experiment(experiment_id=exp.experiment_id)
    eq(by_id.name, name, "set_experiment(experiment_id=).name")


def check_create_experiment_tags_and_duplicate(c):
    name = c.name("create")
    eid = c.client.create_experiment(name, tags={"team": "slipway", "n": "3"})
    is_type(eid, str, "create_experiment() return")
    exp = c.client.get_experiment(eid)
    eq(exp.name, name, "name")
    eq(exp.tags.get("team"), "slipway", "tag team")
    eq(exp.tags.get("n"), "3", "tag n")
    expect_error(lambda: c.client.create_experiment(name), "RESOURCE_ALREADY_EXISTS", "create_experiment(duplicate)")


def check_get_experiment_missing(c):
    expect_error(lambda: c.client.get_experiment("987654321"), "RESOURCE_DOES_NOT_EXIST", "get_experiment(missing)")


def check_set_experiment_tag(c):
    eid = c.new_experiment("exptag")
    c.client.set_experiment_tag(eid, "k1", "v1")
    mlflow.set_experiment(experiment_id=eid)
    mlflow.set_experiment_tag("k2", "v2")
    mlflow.set_experiment_tags({"k3": "v3", "k4": 4})
    c.client.set_experiment_tag(eid, "k1", "v1-overwritten")
    tags = c.client.get_experiment(eid).tags
    for k, v in {"k1": "v1-overwritten", "k2": "v2", "k3": "v3", "k4": "4"}.items():
        eq(tags.get(k), v, f"experiment tag {k}")


def check_rename_experiment(c):
    old = c.name("rename-old")
    new = c.name("rename-new")
    eid = c.client.create_experiment(old)
    c.client.rename_experiment(eid, new)
    eq(c.client.get_experiment(eid).name, new, "name after rename")
    ok(c.client.get_experiment_by_name(old) is None, "old name should no longer resolve")
    eq(c.client.get_experiment_by_name(new).experiment_id, eid, "get_experiment_by_name(new)")
    other = c.client.create_experiment(c.name("rename-other"))
    # REAL: renaming onto a taken name is HTTP 400 with error_code BAD_REQUEST (the sqlite IntegrityError text
    # leaks into "message"); RESOURCE_ALREADY_EXISTS would be the tidier answer, so both are accepted.
    expect_error(lambda: c.client.rename_experiment(other, new), ("BAD_REQUEST", "RESOURCE_ALREADY_EXISTS"),
                 "rename to a taken name")
    ok(c.client.get_experiment(other).name != new, "failed rename must not change the name")


def check_delete_restore_experiment(c):
    name = c.name("delexp")
    eid = c.client.create_experiment(name)
    run = c.client.create_run(eid)
    c.client.delete_experiment(eid)
    exp = c.client.get_experiment(eid)
    eq(exp.lifecycle_stage, "deleted", "lifecycle_stage after delete")
    eq(c.client.get_experiment_by_name(name).lifecycle_stage, "deleted", "get_experiment_by_name(deleted)")
    # deleting an experiment also marks its runs deleted
    eq(c.client.get_run(run.info.run_id).info.lifecycle_stage, "deleted", "run lifecycle_stage in deleted experiment")
    flt = f"name = '{name}'"
    eq([e.experiment_id for e in c.client.search_experiments(filter_string=flt)], [], "ACTIVE_ONLY search")
    eq([e.experiment_id for e in c.client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string=flt)],
       [eid], "DELETED_ONLY search")
    eq([e.experiment_id for e in c.client.search_experiments(view_type=ViewType.ALL, filter_string=flt)],
       [eid], "ALL search")
    # the name of a deleted experiment is still taken
    expect_error(lambda: c.client.create_experiment(name), "RESOURCE_ALREADY_EXISTS", "create_experiment(deleted name)")
    # fluent set_experiment refuses a deleted experiment (client-side, based on lifecycle_stage from get-by-name)
    expect_error(lambda: mlflow.set_experiment(name), "INVALID_PARAMETER_VALUE", "set_experiment(deleted)")
    # REAL: creating a run in a deleted experiment is refused with INVALID_PARAMETER_VALUE
    expect_error(lambda: c.client.create_run(eid), "INVALID_PARAMETER_VALUE", "create_run(deleted experiment)")
    c.client.restore_experiment(eid)
    eq(c.client.get_experiment(eid).lifecycle_stage, "active", "lifecycle_stage after restore")
    eq(c.client.get_run(run.info.run_id).info.lifecycle_stage, "active", "run lifecycle_stage after restore")
    eq([e.experiment_id for e in c.client.search_experiments(filter_string=flt)], [eid], "ACTIVE_ONLY after restore")
    expect_error(lambda: c.client.delete_experiment("987654321"), "RESOURCE_DOES_NOT_EXIST", "delete_experiment(missing)")


def check_search_experiments(c):
    base = f"x{c.uid}"
    ids = {}
    for suffix in ["a", "b", "c"]:
        ids[suffix] = c.client.create_experiment(f"{base}-{suffix}")
        time.sleep(0.002)
    upper = c.client.create_experiment(f"X{c.uid}-upper")
    other = c.client.create_experiment(f"y{c.uid}-other")

    # filter from the brief; other x-experiments from earlier runs may match too
    res = c.client.search_experiments(filter_string="name LIKE 'x%'")
    names = [e.name for e in res]
    for s in "abc":
        ok(f"{base}-{s}" in names, f"{base}-{s} missing from name LIKE 'x%' (got {len(names)} names)")
    ok(f"y{c.uid}-other" not in names, "y-experiment matched name LIKE 'x%'")
    # REAL: LIKE is case-sensitive (sqlite backend too), so 'X...' does not match 'x%'
    ok(f"X{c.uid}-upper" not in names, "LIKE should be case-sensitive ('X...' matched 'x%')")
    ok(all(n.startswith("x") for n in names), "every match of name LIKE 'x%' should start with x")

    exact = c.client.search_experiments(filter_string=f"name LIKE '{base}%'", order_by=["name ASC"])
    eq([e.experiment_id for e in exact], [ids["a"], ids["b"], ids["c"]], "name LIKE base% order_by name ASC")
    desc = c.client.search_experiments(filter_string=f"name LIKE '{base}%'", order_by=["name DESC"])
    eq([e.experiment_id for e in desc], [ids["c"], ids["b"], ids["a"]], "order_by name DESC")
    ilike = c.client.search_experiments(filter_string=f"name ILIKE 'x{c.uid}%'")
    eq(sorted(e.experiment_id for e in ilike), sorted([ids["a"], ids["b"], ids["c"], upper]), "ILIKE")
    eq([e.experiment_id for e in c.client.search_experiments(filter_string=f"name = 'y{c.uid}-other'")],
       [other], "name = ")

    # default order is last_update_time DESC (then experiment_id)
    dflt = c.client.search_experiments(filter_string=f"name LIKE '{base}%'")
    eq([e.experiment_id for e in dflt], [ids["c"], ids["b"], ids["a"]], "default order (newest first)")

    # pagination: 3 matches, 2 per page
    p1 = c.client.search_experiments(filter_string=f"name LIKE '{base}%'", order_by=["name ASC"], max_results=2)
    eq([e.experiment_id for e in p1], [ids["a"], ids["b"]], "page 1")
    ok(p1.token, "page 1 should carry a token")
    p2 = c.client.search_experiments(filter_string=f"name LIKE '{base}%'", order_by=["name ASC"], max_results=2,
                                     page_token=p1.token)
    eq([e.experiment_id for e in p2], [ids["c"]], "page 2")
    ok(not p2.token, f"last (partial) page should have no token, got {p2.token!r}")

    # tag filter
    c.client.set_experiment_tag(ids["b"], "flavour", "blue")
    tagged = c.client.search_experiments(filter_string=f"name LIKE '{base}%' AND tags.flavour = 'blue'")
    eq([e.experiment_id for e in tagged], [ids["b"]], "tags.flavour filter")
    # fluent variant
    eq(len(mlflow.search_experiments(filter_string=f"name LIKE '{base}%'")), 3, "mlflow.search_experiments count")
    expect_error(lambda: c.client.search_experiments(filter_string="name LIKEE 'x'"), "INVALID_PARAMETER_VALUE",
                 "search_experiments(bad filter)")


# ----------------------------------------------------------------------------------------------
# runs: create / log / get
# ----------------------------------------------------------------------------------------------

def check_fluent_run_lifecycle(c):
    exp = mlflow.set_experiment(c.name("fluent"))
    t_before = now_ms()
    with mlflow.start_run(run_name="fluent-run") as active:
        rid = active.info.run_id
        eq(active.info.status, "RUNNING", "status while active")
        eq(active.info.run_name, "fluent-run", "run_name from start_run")
        mlflow.log_param("lr", 0.01)
        mlflow.log_param("layers", 3)
        mlflow.log_metric("acc", 0.5, step=0)
        mlflow.log_metric("acc", 0.75, step=1)
        mlflow.set_tag("phase", "train")
        mlflow.log_metrics({"loss": 1.5, "f1": 0.25}, step=2)
        mlflow.log_params({"opt": "adam", "bs": 32})
        mlflow.set_tags({"t1": "a", "t2": 2})
    run = c.client.get_run(rid)
    info = run.info
    eq(info.run_id, rid, "run_id")
    eq(info.run_uuid, rid, "run_uuid == run_id")
    eq(info.experiment_id, exp.experiment_id, "experiment_id")
    eq(info.status, "FINISHED", "status after end_run")
    eq(info.lifecycle_stage, "active", "lifecycle_stage")
    eq(info.run_name, "fluent-run", "run_name")
    is_type(info.start_time, int, "start_time")
    is_type(info.end_time, int, "end_time")
    ok(t_before - 5000 <= info.start_time <= info.end_time, f"start {info.start_time} <= end {info.end_time}")
    is_type(info.artifact_uri, str, "artifact_uri")
    # REAL: with `mlflow server` defaults (--serve-artifacts) the URI is mlflow-artifacts:/<exp>/<run>/artifacts
    eq(info.artifact_uri, f"mlflow-artifacts:/{exp.experiment_id}/{rid}/artifacts", "artifact_uri")
    eq(run.data.params, {"lr": "0.01", "layers": "3", "opt": "adam", "bs": "32"}, "params (all strings)")
    eq(run.data.metrics, {"acc": 0.75, "loss": 1.5, "f1": 0.25}, "latest metrics")
    for k, v in run.data.metrics.items():
        is_type(v, float, f"metric {k}")
    tags = run.data.tags
    eq(tags.get("phase"), "train", "tag phase")
    eq(tags.get("t1"), "a", "tag t1")
    eq(tags.get("t2"), "2", "tag t2")
    eq(tags.get("mlflow.runName"), "fluent-run", "tag mlflow.runName")
    for k in ("mlflow.user", "mlflow.source.name", "mlflow.source.type"):
        ok(k in tags, f"system tag {k} missing (tags: {sorted(tags)})")
    eq(mlflow.get_run(rid).info.run_id, rid, "mlflow.get_run")
    eq(mlflow.last_active_run().info.run_id, rid, "mlflow.last_active_run")


def check_client_create_run(c):
    eid = c.new_experiment("clientrun")
    st = now_ms() - 1000
    run = c.client.create_run(eid, start_time=st, tags={"k": "v"}, run_name="client-run")
    info = run.info
    is_type(info.run_id, str, "run_id")
    eq(len(info.run_id), 32, "run_id length (32 hex chars)")
    eq(info.experiment_id, eid, "experiment_id")
    eq(info.status, "RUNNING", "status")
    eq(info.start_time, st, "start_time (client supplied)")
    eq(info.end_time, None, "end_time of a running run")
    eq(info.run_name, "client-run", "run_name")
    # REAL: MlflowClient.create_run sends user_id "unknown"
    eq(info.user_id, "unknown", "user_id")
    eq(run.data.tags.get("k"), "v", "tag k in create_run response")
    # REAL: the server adds the mlflow.runName tag itself
    eq(run.data.tags.get("mlflow.runName"), "client-run", "mlflow.runName added by server")
    eq(run.data.metrics, {}, "no metrics")
    eq(run.data.params, {}, "no params")
    got = c.client.get_run(info.run_id)
    eq(got.data.tags.get("k"), "v", "tag k via get_run")
    eq(got.info.run_name, "client-run", "run_name via get_run")
    # a run without a name gets a generated one
    anon = c.client.create_run(eid)
    ok(anon.info.run_name, "server/client should generate a run name when none is given")
    eq(c.client.get_run(anon.info.run_id).data.tags.get("mlflow.runName"), anon.info.run_name, "generated mlflow.runName")
    # set_terminated
    c.client.set_terminated(info.run_id, status="KILLED", end_time=st + 500)
    got = c.client.get_run(info.run_id)
    eq(got.info.status, "KILLED", "status after set_terminated(KILLED)")
    eq(got.info.end_time, st + 500, "end_time after set_terminated")
    c.client.set_terminated(anon.info.run_id)
    eq(c.client.get_run(anon.info.run_id).info.status, "FINISHED", "set_terminated default status")
    expect_error(lambda: c.client.create_run("987654321"), "RESOURCE_DOES_NOT_EXIST", "create_run(missing experiment)")


def check_get_run_missing(c):
    exc = expect_error(lambda: c.client.get_run("0" * 32), "RESOURCE_DOES_NOT_EXIST", "get_run(missing)")
    eq(exc.get_http_status_code(), 404, "http status for RESOURCE_DOES_NOT_EXIST")
    expect_error(lambda: c.client.get_run("nonexistent-run-id"), "RESOURCE_DOES_NOT_EXIST", "get_run(garbage id)")


def check_params(c):
    eid = c.new_experiment("params")
    rid = c.client.create_run(eid).info.run_id
    c.client.log_param(rid, "p", "1")
    c.client.log_param(rid, "p", "1")  # same value again is fine
    long_value = "v" * 6000
    c.client.log_param(rid, "long", long_value)
    c.client.log_param(rid, "unicode", "ünï ✓")
    c.client.log_param(rid, "empty", "")
    # REAL: changing a logged param is refused with INVALID_PARAMETER_VALUE
    expect_error(lambda: c.client.log_param(rid, "p", "2"), "INVALID_PARAMETER_VALUE", "log_param(changed value)")
    params = c.client.get_run(rid).data.params
    eq(params.get("p"), "1", "param p")
    eq(params.get("long"), long_value, "6000-char param")
    eq(params.get("unicode"), "ünï ✓", "unicode param")
    eq(params.get("empty"), "", "empty param")


def check_metric_history(c):
    eid = c.new_experiment("hist")
    rid = c.client.create_run(eid).info.run_id
    t0 = now_ms()
    values = [0.1 * i for i in range(10)]
    for i, v in enumerate(values):
        c.client.log_metric(rid, "m", v, timestamp=t0 + i, step=i)
    hist = c.client.get_metric_history(rid, "m")
    eq([m.step for m in hist], list(range(10)), "steps in order")
    eq([m.value for m in hist], values, "values")
    eq([m.timestamp for m in hist], [t0 + i for i in range(10)], "timestamps")
    for m in hist:
        eq(m.key, "m", "key")
        is_type(m.value, float, "value")
        is_type(m.step, int, "step")
        is_type(m.timestamp, int, "timestamp")
    eq(c.client.get_metric_history(rid, "nope"), [], "history of an unknown key")
    # int value comes back as float
    c.client.log_metric(rid, "intval", 3)
    h = c.client.get_metric_history(rid, "intval")
    eq(len(h), 1, "intval history length")
    is_type(h[0].value, float, "int metric value type")
    eq(h[0].step, 0, "default step")
    # the same step logged twice keeps both points
    c.client.log_metric(rid, "dup", 1.0, timestamp=t0, step=5)
    c.client.log_metric(rid, "dup", 2.0, timestamp=t0 + 1, step=5)
    eq(sorted(m.value for m in c.client.get_metric_history(rid, "dup")), [1.0, 2.0], "duplicate-step points")
    # negative steps and timestamp 0 are accepted
    c.client.log_metric(rid, "neg", -1.0, timestamp=0, step=-3)
    h = c.client.get_metric_history(rid, "neg")
    eq([(m.value, m.timestamp, m.step) for m in h], [(-1.0, 0, -3)], "negative step / zero timestamp")
    # out-of-order steps: all points come back. REAL: the sqlite store has no ORDER BY here, so only the
    # set of points is checked, not their order.
    for s, v in [(7, 0.7), (3, 0.3), (5, 0.5)]:
        c.client.log_metric(rid, "ooo", v, timestamp=t0 + 100 - s, step=s)
    eq(sorted((m.step, m.value) for m in c.client.get_metric_history(rid, "ooo")), [(3, 0.3), (5, 0.5), (7, 0.7)],
       "out-of-order points")
    # REAL: history for a run id that does not exist is NOT an error: 200 `{}` -> empty list
    eq(c.client.get_metric_history("0" * 32, "m"), [], "get_metric_history(missing run)")


def check_latest_metric_value(c):
    eid = c.new_experiment("latest")
    rid = c.client.create_run(eid).info.run_id
    t0 = now_ms()
    # latest = max step, then max timestamp, then max value -- not "last logged"
    c.client.log_metric(rid, "a", 0.5, timestamp=t0, step=5)
    c.client.log_metric(rid, "a", 0.9, timestamp=t0 + 10, step=2)
    c.client.log_metric(rid, "b", 1.0, timestamp=t0 + 10, step=1)
    c.client.log_metric(rid, "b", 2.0, timestamp=t0, step=1)
    m = c.client.get_run(rid).data.metrics
    eq(m.get("a"), 0.5, "latest a is the highest step")
    eq(m.get("b"), 1.0, "latest b is the newest timestamp at the highest step")
    runs = c.client.search_runs([eid], filter_string="metrics.a = 0.5")
    eq([r.info.run_id for r in runs], [rid], "search on latest value")
    eq(c.client.search_runs([eid], filter_string="metrics.a = 0.9"), [], "search should not match older values")


def check_nan_inf_metrics(c):
    eid = c.new_experiment("naninf")
    rid = c.client.create_run(eid).info.run_id
    t0 = now_ms()
    c.client.log_metric(rid, "nan", float("nan"), timestamp=t0, step=0)
    c.client.log_metric(rid, "pinf", float("inf"), timestamp=t0, step=0)
    c.client.log_metric(rid, "ninf", float("-inf"), timestamp=t0, step=0)
    c.client.log_batch(rid, metrics=[Metric("bnan", float("nan"), t0, 0), Metric("binf", float("inf"), t0, 1),
                                     Metric("bninf", float("-inf"), t0, 2), Metric("bnan", 1.0, t0, 1)])
    m = c.client.get_run(rid).data.metrics
    # The client sends NaN/Infinity as the JSON strings "NaN", "Infinity", "-Infinity".
    # REAL: NaN round-trips (the server answers "value": "NaN"), but +-Infinity does NOT: the sqlite store
    # clamps it and the server answers +-1.7976931348623157e+308 (sys.float_info.max). A server that keeps
    # real infinities ("Infinity") is accepted too.
    ok(math.isnan(m["nan"]), f"nan came back as {m.get('nan')!r}")
    ok(is_pos_inf(m["pinf"]), f"+inf came back as {m.get('pinf')!r}")
    ok(is_neg_inf(m["ninf"]), f"-inf came back as {m.get('ninf')!r}")
    ok(is_pos_inf(m["binf"]), f"batch +inf came back as {m.get('binf')!r}")
    ok(is_neg_inf(m["bninf"]), f"batch -inf came back as {m.get('bninf')!r}")
    eq(m["bnan"], 1.0, "latest of bnan (step 1)")
    h = c.client.get_metric_history(rid, "nan")
    ok(len(h) == 1 and math.isnan(h[0].value), f"nan history {[x.value for x in h]}")
    h = c.client.get_metric_history(rid, "ninf")
    ok(len(h) == 1 and is_neg_inf(h[0].value), f"-inf history {[x.value for x in h]}")
    h = sorted(c.client.get_metric_history(rid, "bnan"), key=lambda x: x.step)
    ok(len(h) == 2 and math.isnan(h[0].value) and h[1].value == 1.0, f"bnan history {[x.value for x in h]}")
    # the NaN/Inf runs also come back through search (JSON "NaN"/"Infinity" in a search page)
    runs = c.client.search_runs([eid])
    eq(len(runs), 1, "search count")
    ok(math.isnan(runs[0].data.metrics["nan"]), "nan via search_runs")
    ok(is_pos_inf(runs[0].data.metrics["pinf"]), "inf via search_runs")
    # search on the NaN / inf values
    eq([r.info.run_id for r in c.client.search_runs([eid], filter_string="metrics.pinf > 1e300")], [rid],
       "metrics.pinf > 1e300")


def is_pos_inf(v):
    return v == float("inf") or v == sys.float_info.max


def is_neg_inf(v):
    return v == float("-inf") or v == -sys.float_info.max


def check_log_batch(c):
    eid = c.new_experiment("batch")
    rid = c.client.create_run(eid).info.run_id
    t0 = now_ms()
    metrics = [Metric(f"m{i % 8}", float(i), t0 + i, i // 8) for i in range(800)]
    params = [Param(f"p{i}", f"v{i}") for i in range(100)]
    tags = [RunTag(f"t{i}", f"tv{i}") for i in range(100)]
    ret = c.client.log_batch(rid, metrics=metrics, params=params, tags=tags)
    ok(ret is None, f"log_batch (synchronous) returned {ret!r}")
    run = c.client.get_run(rid)
    eq(len(run.data.metrics), 8, "distinct metric keys")
    eq(run.data.metrics["m0"], 792.0, "latest m0")
    eq(run.data.metrics["m7"], 799.0, "latest m7")
    eq(len(run.data.params), 100, "param count")
    eq(run.data.params["p42"], "v42", "param p42")
    user_tags = {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")}
    eq(len(user_tags), 100, "tag count")
    eq(user_tags["t99"], "tv99", "tag t99")
    hist = c.client.get_metric_history(rid, "m3")
    eq(len(hist), 100, "m3 history length")
    eq([m.step for m in hist], list(range(100)), "m3 steps")
    eq([m.value for m in hist], [float(8 * s + 3) for s in range(100)], "m3 values")
    # empty batch is a no-op
    c.client.log_batch(rid)
    # a batch that changes an existing param value is refused
    expect_error(lambda: c.client.log_batch(rid, params=[Param("p1", "changed")]), "INVALID_PARAMETER_VALUE",
                 "log_batch(changed param)")
    eq(c.client.get_run(rid).data.params["p1"], "v1", "p1 unchanged")
    # fluent log_metrics/log_params/set_tags also go through log-batch
    mlflow.set_experiment(experiment_id=eid)
    with mlflow.start_run() as r:
        mlflow.log_metrics({"x": 1.0, "y": 2.0})
        mlflow.log_params({"a": "1", "b": "2"})
        mlflow.set_tags({"ta": "1"})
    d = c.client.get_run(r.info.run_id).data
    eq(d.metrics, {"x": 1.0, "y": 2.0}, "fluent log_metrics")
    eq(d.params, {"a": "1", "b": "2"}, "fluent log_params")
    eq(d.tags.get("ta"), "1", "fluent set_tags")


def check_metric_history_large(c):
    n = ARGS.history_steps
    eid = c.new_experiment("bighist")
    rid = c.client.create_run(eid).info.run_id
    t0 = now_ms()
    for start in range(0, n, 1000):
        c.client.log_batch(rid, metrics=[Metric("big", float(s) / 2, t0 + s, s) for s in range(start, min(n, start + 1000))])
    hist = c.client.get_metric_history(rid, "big")
    eq(len(hist), n, "history length")
    ok([m.step for m in hist] == list(range(n)), "steps are not 0..n-1 in order")
    ok(all(m.value == m.step / 2 for m in hist), "values do not match steps")


def check_tags_set_delete(c):
    eid = c.new_experiment("tags")
    rid = c.client.create_run(eid).info.run_id
    c.client.set_tag(rid, "a", "1")
    c.client.set_tag(rid, "b", "2")
    c.client.set_tag(rid, "a", "1b")  # overwrite is allowed for tags
    c.client.set_tag(rid, "long", "x" * 5000)
    tags = c.client.get_run(rid).data.tags
    eq(tags.get("a"), "1b", "overwritten tag a")
    eq(tags.get("b"), "2", "tag b")
    eq(len(tags.get("long", "")), 5000, "5000-char tag")
    c.client.delete_tag(rid, "b")
    tags = c.client.get_run(rid).data.tags
    ok("b" not in tags, "tag b still present after delete_tag")
    eq(tags.get("a"), "1b", "tag a survives delete of b")
    # REAL: deleting a tag that does not exist is RESOURCE_DOES_NOT_EXIST
    expect_error(lambda: c.client.delete_tag(rid, "b"), "RESOURCE_DOES_NOT_EXIST", "delete_tag(missing key)")
    mlflow.set_experiment(experiment_id=eid)
    with mlflow.start_run(run_id=rid):
        mlflow.delete_tag("a")
    ok("a" not in c.client.get_run(rid).data.tags, "fluent delete_tag")


def check_update_run(c):
    eid = c.new_experiment("update")
    rid = c.client.create_run(eid, run_name="before").info.run_id
    c.client.update_run(rid, name="after")
    run = c.client.get_run(rid)
    eq(run.info.run_name, "after", "run_name after update_run(name=)")
    # REAL: the server keeps the mlflow.runName tag in sync with the new name
    eq(run.data.tags.get("mlflow.runName"), "after", "mlflow.runName tag after rename")
    eq(run.info.status, "RUNNING", "status unchanged by rename")
    eq(run.info.end_time, None, "end_time unchanged by rename")
    c.client.update_run(rid, status="FAILED")
    run = c.client.get_run(rid)
    eq(run.info.status, "FAILED", "status after update_run(status=FAILED)")
    eq(run.info.run_name, "after", "run_name unchanged by status update")
    # REAL: update_run(status=...) sends no end_time and the server does not set one (unlike set_terminated)
    eq(run.info.end_time, None, "end_time after update_run(status=FAILED)")
    c.client.update_run(rid, status="RUNNING")
    eq(c.client.get_run(rid).info.status, "RUNNING", "status back to RUNNING")
    # setting the mlflow.runName tag also renames the run
    c.client.set_tag(rid, "mlflow.runName", "via-tag")
    eq(c.client.get_run(rid).info.run_name, "via-tag", "run_name after set_tag(mlflow.runName)")


def check_delete_restore_run(c):
    eid = c.new_experiment("delrun")
    keep = c.client.create_run(eid).info.run_id
    rid = c.client.create_run(eid).info.run_id
    c.client.delete_run(rid)
    run = c.client.get_run(rid)  # a deleted run is still readable
    eq(run.info.lifecycle_stage, "deleted", "lifecycle_stage after delete_run")
    eq({r.info.run_id for r in c.client.search_runs([eid])}, {keep}, "ACTIVE_ONLY excludes deleted run")
    eq({r.info.run_id for r in c.client.search_runs([eid], run_view_type=ViewType.DELETED_ONLY)}, {rid}, "DELETED_ONLY")
    eq({r.info.run_id for r in c.client.search_runs([eid], run_view_type=ViewType.ALL)}, {keep, rid}, "ALL")
    # REAL: logging to a deleted run is refused with INVALID_PARAMETER_VALUE
    expect_error(lambda: c.client.log_metric(rid, "m", 1.0), "INVALID_PARAMETER_VALUE", "log_metric(deleted run)")
    expect_error(lambda: c.client.log_param(rid, "p", "1"), "INVALID_PARAMETER_VALUE", "log_param(deleted run)")
    expect_error(lambda: c.client.set_tag(rid, "t", "1"), "INVALID_PARAMETER_VALUE", "set_tag(deleted run)")
    c.client.restore_run(rid)
    eq(c.client.get_run(rid).info.lifecycle_stage, "active", "lifecycle_stage after restore_run")
    eq({r.info.run_id for r in c.client.search_runs([eid])}, {keep, rid}, "ACTIVE_ONLY after restore")
    c.client.log_metric(rid, "m", 1.0)
    eq(c.client.get_run(rid).data.metrics.get("m"), 1.0, "logging works after restore")
    expect_error(lambda: c.client.delete_run("0" * 32), "RESOURCE_DOES_NOT_EXIST", "delete_run(missing)")


# ----------------------------------------------------------------------------------------------
# search_runs
# ----------------------------------------------------------------------------------------------

# name: (lr, acc or None, tag t, final status or None=left RUNNING)
SEARCH_RUNS = {
    "r0": ("0.01", 0.9, "alpha", "FINISHED"),
    "r1": ("0.01", 0.7, "beta", "FINISHED"),
    "r2": ("0.1", 0.95, "gamma", "FINISHED"),
    "r3": ("0.01", 0.3, "delta", "FAILED"),
    "r4": ("0.01", 0.6, "omicron", None),
    "r5": ("0.001", None, "zeta", "FINISHED"),
    "r6": ("0.01", 0.55, "xyz", "KILLED"),
}


def build_search_fixture(c):
    eid = c.new_experiment("search")
    ids = {}
    t0 = now_ms()
    for i, (name, (lr, acc, t, status)) in enumerate(SEARCH_RUNS.items()):
        run = c.client.create_run(eid, start_time=t0 + i * 10, run_name=f"{name}-{c.uid}", tags={"t": t})
        rid = run.info.run_id
        ids[name] = rid
        metrics = [Metric("acc", acc, t0, 0)] if acc is not None else []
        metrics.append(Metric("idx", float(i), t0, 0))
        c.client.log_batch(rid, metrics=metrics, params=[Param("lr", lr), Param("i", str(i))])
        if status:
            c.client.set_terminated(rid, status=status)
    return eid, ids


def search_ids(c, eid, **kw):
    return [r.info.run_id for r in c.client.search_runs([eid], **kw)]


def names_to_ids(ids, names):
    return [ids[n] for n in names]


def check_search_runs_filter_order(c):
    eid, ids = c.fixture("search", lambda: build_search_fixture(c))
    got = search_ids(c, eid, filter_string="metrics.acc > 0.5 and params.lr = '0.01'", order_by=["metrics.acc DESC"])
    eq(got, names_to_ids(ids, ["r0", "r1", "r4", "r6"]), "metrics.acc > 0.5 and params.lr = '0.01' DESC")
    runs = c.client.search_runs([eid], filter_string="metrics.acc > 0.5 and params.lr = '0.01'",
                                order_by=["metrics.acc DESC"])
    eq(runs[0].data.metrics.get("acc"), 0.9, "search result carries metrics")
    eq(runs[0].data.params.get("lr"), "0.01", "search result carries params")
    eq(runs[0].data.tags.get("t"), "alpha", "search result carries tags")
    eq(runs[0].info.run_name, f"r0-{c.uid}", "search result run_name")


def check_search_runs_tag_like(c):
    eid, ids = c.fixture("search", lambda: build_search_fixture(c))
    got = search_ids(c, eid, filter_string="tags.t LIKE '%a%'")
    eq(set(got), set(names_to_ids(ids, ["r0", "r1", "r2", "r3", "r5"])), "tags.t LIKE '%a%'")
    eq(set(search_ids(c, eid, filter_string="tags.t ILIKE '%ALPHA%'")), {ids["r0"]}, "tags.t ILIKE")
    eq(search_ids(c, eid, filter_string="tags.t LIKE '%ALPHA%'"), [], "LIKE is case-sensitive")
    eq(search_ids(c, eid, filter_string="tags.t = 'xyz'"), [ids["r6"]], "tags.t = 'xyz'")
    eq(set(search_ids(c, eid, filter_string="tags.t != 'xyz'")), set(ids.values()) - {ids["r6"]}, "tags.t != 'xyz'")


def check_search_runs_attributes(c):
    eid, ids = c.fixture("search", lambda: build_search_fixture(c))
    eq(set(search_ids(c, eid, filter_string="attributes.status = 'FINISHED'")),
       set(names_to_ids(ids, ["r0", "r1", "r2", "r5"])), "attributes.status = 'FINISHED'")
    eq(search_ids(c, eid, filter_string="attributes.status = 'RUNNING'"), [ids["r4"]], "status RUNNING")
    eq(set(search_ids(c, eid, filter_string="attributes.status != 'FINISHED'")),
       set(names_to_ids(ids, ["r3", "r4", "r6"])), "status != FINISHED")
    eq(search_ids(c, eid, filter_string=f"attributes.run_name = 'r2-{c.uid}'"), [ids["r2"]], "attributes.run_name")
    eq(search_ids(c, eid, filter_string=f"attributes.run_id = '{ids['r3']}'"), [ids["r3"]], "attributes.run_id")
    eq(set(search_ids(c, eid, filter_string=f"attributes.run_id IN ('{ids['r3']}', '{ids['r5']}')")),
       {ids["r3"], ids["r5"]}, "attributes.run_id IN (...)")
    eq(search_ids(c, eid, filter_string=f"tags.mlflow.runName = 'r1-{c.uid}'"), [ids["r1"]], "tags.mlflow.runName")


def check_search_runs_more_filters(c):
    eid, ids = c.fixture("search", lambda: build_search_fixture(c))
    eq(set(search_ids(c, eid, filter_string="metrics.acc >= 0.9")), {ids["r0"], ids["r2"]}, "metrics.acc >= 0.9")
    eq(set(search_ids(c, eid, filter_string="metrics.acc < 0.55")), {ids["r3"]}, "metrics.acc < 0.55")
    eq(set(search_ids(c, eid, filter_string="metrics.acc <= 0.55")), {ids["r3"], ids["r6"]}, "metrics.acc <= 0.55")
    eq(set(search_ids(c, eid, filter_string="metrics.acc != 0.3")),
       set(names_to_ids(ids, ["r0", "r1", "r2", "r4", "r6"])), "metrics.acc != 0.3 (r5 has no acc)")
    eq(set(search_ids(c, eid, filter_string="params.lr != '0.01'")), {ids["r2"], ids["r5"]}, "params.lr != '0.01'")
    eq(set(search_ids(c, eid, filter_string="params.lr LIKE '0.0%'")),
       set(ids.values()) - {ids["r2"]}, "params.lr LIKE '0.0%'")
    eq(search_ids(c, eid, filter_string="params.nope = 'x'"), [], "unknown param")
    # backtick-quoted keys
    eq(set(search_ids(c, eid, filter_string="metrics.`acc` > 0.92")), {ids["r2"]}, "backtick key")
    expect_error(lambda: c.client.search_runs([eid], filter_string="metrics.acc >> 1"), "INVALID_PARAMETER_VALUE",
                 "search_runs(bad filter)")
    # multiple experiments in one search
    other = c.new_experiment("search-other")
    orid = c.client.create_run(other).info.run_id
    got = {r.info.run_id for r in c.client.search_runs([eid, other])}
    eq(got, set(ids.values()) | {orid}, "search over two experiments")


def check_search_runs_order_by(c):
    eid, ids = c.fixture("search", lambda: build_search_fixture(c))
    # REAL: runs without the metric sort last for both DESC and ASC
    eq(search_ids(c, eid, order_by=["metrics.acc DESC"]),
       names_to_ids(ids, ["r2", "r0", "r1", "r4", "r6", "r3", "r5"]), "order_by metrics.acc DESC")
    eq(search_ids(c, eid, order_by=["metrics.acc ASC"]),
       names_to_ids(ids, ["r3", "r6", "r4", "r1", "r0", "r2", "r5"]), "order_by metrics.acc ASC")
    eq(search_ids(c, eid, order_by=["metrics.acc"]),
       names_to_ids(ids, ["r3", "r6", "r4", "r1", "r0", "r2", "r5"]), "order_by metrics.acc (default ASC)")
    eq(search_ids(c, eid, order_by=["params.lr ASC", "metrics.acc DESC"]),
       names_to_ids(ids, ["r5", "r0", "r1", "r4", "r6", "r3", "r2"]), "order_by params.lr ASC, metrics.acc DESC")
    # default order: start_time DESC
    eq(search_ids(c, eid), names_to_ids(ids, ["r6", "r5", "r4", "r3", "r2", "r1", "r0"]), "default order start_time DESC")
    eq(search_ids(c, eid, order_by=["attributes.start_time ASC"]),
       names_to_ids(ids, ["r0", "r1", "r2", "r3", "r4", "r5", "r6"]), "attributes.start_time ASC")
    eq(search_ids(c, eid, order_by=["tags.t DESC"]),
       names_to_ids(ids, ["r5", "r6", "r4", "r2", "r3", "r1", "r0"]), "order_by tags.t DESC")
    eq(search_ids(c, eid, order_by=["attributes.run_name ASC"]),
       names_to_ids(ids, ["r0", "r1", "r2", "r3", "r4", "r5", "r6"]), "order_by run_name ASC")


def check_search_runs_pagination(c):
    eid, ids = c.fixture("search", lambda: build_search_fixture(c))
    expected = names_to_ids(ids, ["r2", "r0", "r1", "r4", "r6", "r3", "r5"])
    pages, token = [], None
    for _ in range(10):
        page = c.client.search_runs([eid], order_by=["metrics.acc DESC"], max_results=2, page_token=token)
        pages.append([r.info.run_id for r in page])
        token = page.token
        if not token:
            break
    eq(pages, [expected[0:2], expected[2:4], expected[4:6], expected[6:7]], "pages of 2 over 7 runs")
    # a result set that fills its last page exactly
    flt = "metrics.acc > 0.5 and params.lr = '0.01'"
    p1 = c.client.search_runs([eid], filter_string=flt, order_by=["metrics.acc DESC"], max_results=2)
    eq([r.info.run_id for r in p1], names_to_ids(ids, ["r0", "r1"]), "filtered page 1")
    ok(p1.token, "filtered page 1 token")
    p2 = c.client.search_runs([eid], filter_string=flt, order_by=["metrics.acc DESC"], max_results=2,
                              page_token=p1.token)
    eq([r.info.run_id for r in p2], names_to_ids(ids, ["r4", "r6"]), "filtered page 2")
    # REAL: a full page always carries a token, even when nothing follows; the next page is then empty
    ok(p2.token, "a full last page should still carry a next_page_token")
    p3 = c.client.search_runs([eid], filter_string=flt, order_by=["metrics.acc DESC"], max_results=2,
                              page_token=p2.token)
    eq(list(p3), [], "page after the last full page")
    ok(not p3.token, f"empty page should have no token, got {p3.token!r}")
    # max_results larger than the result set: one page, no token
    one = c.client.search_runs([eid], max_results=100)
    eq(len(one), 7, "max_results=100 count")
    ok(not one.token, "no token when the page is not full")
    eq(c.client.search_runs([eid], filter_string="params.lr = 'nope'"), [], "empty result")
    # bad page token
    expect_error(lambda: c.client.search_runs([eid], max_results=2, page_token="not-a-token"),
                 "INVALID_PARAMETER_VALUE", "search_runs(bad page_token)")


def check_search_runs_pandas(c):
    eid, ids = c.fixture("search", lambda: build_search_fixture(c))
    df = mlflow.search_runs(experiment_ids=[eid], filter_string="params.lr = '0.01'")
    eq(len(df), 5, "row count")
    for col in ("run_id", "experiment_id", "status", "start_time", "metrics.acc", "params.lr", "tags.t"):
        ok(col in df.columns, f"column {col} missing (have {list(df.columns)[:20]})")
    eq(set(df["run_id"]), set(names_to_ids(ids, ["r0", "r1", "r3", "r4", "r6"])), "run ids")
    row = df[df["run_id"] == ids["r0"]].iloc[0]
    eq(float(row["metrics.acc"]), 0.9, "metrics.acc of r0")
    eq(row["tags.t"], "alpha", "tags.t of r0")
    runs = mlflow.search_runs(experiment_ids=[eid], output_format="list", order_by=["metrics.idx ASC"])
    eq([r.info.run_id for r in runs], list(ids.values()), "output_format=list ordered by metrics.idx")


# ----------------------------------------------------------------------------------------------
# artifacts
# ----------------------------------------------------------------------------------------------

def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def same_tree(a, b):
    """Return a list of differences between two directory trees (names and bytes)."""
    diffs = []
    cmp = filecmp.dircmp(a, b)
    diffs += [f"only in uploaded: {x}" for x in cmp.left_only]
    diffs += [f"only in downloaded: {x}" for x in cmp.right_only]
    for f in cmp.common_files:
        if read(os.path.join(a, f)) != read(os.path.join(b, f)):
            diffs.append(f"bytes differ: {f}")
    for d in cmp.common_dirs:
        diffs += [f"{d}/{x}" for x in same_tree(os.path.join(a, d), os.path.join(b, d))]
    return diffs


BLOB = bytes(range(256)) * 40  # 10240 bytes, every byte value
TEXT = "hello wörld ✓\nsecond line\r\nno trailing newline"
DICT = {"a": 1, "b": [1, 2.5, "x"], "nested": {"ü": True, "none": None}}


def build_artifact_fixture(c):
    src = c.new_dir("art-src")
    write(os.path.join(src, "hello.txt"), b"hello world\n")
    write(os.path.join(src, "blob.bin"), BLOB)
    model = os.path.join(src, "model")
    write(os.path.join(model, "MLmodel"), b"flavors:\n  python_function: {}\n")
    write(os.path.join(model, "weights.txt"), b"0.1 0.2 0.3\n" * 100)
    write(os.path.join(model, "deep", "er", "leaf.bin"), os.urandom(70000))
    write(os.path.join(model, "name with space.txt"), b"spaces\n")
    eid = c.new_experiment("artifacts")
    rid = c.client.create_run(eid).info.run_id
    c.client.log_artifact(rid, os.path.join(src, "hello.txt"))
    c.client.log_artifact(rid, os.path.join(src, "blob.bin"), artifact_path="sub/dir")
    c.client.log_artifacts(rid, model, artifact_path="model")
    c.client.log_text(rid, TEXT, "notes/hello.txt")
    c.client.log_dict(rid, DICT, "cfg.json")
    c.client.log_dict(rid, DICT, "cfg.yaml")
    return eid, rid, src


def check_artifacts_list(c):
    eid, rid, src = c.fixture("artifacts", lambda: build_artifact_fixture(c))
    root = c.client.list_artifacts(rid)
    got = [(f.path, f.is_dir, f.file_size) for f in root]
    # REAL: directories carry no file_size (None); entries are sorted by path
    expected = [("cfg.json", False, None), ("cfg.yaml", False, None), ("hello.txt", False, 12),
                ("model", True, None), ("notes", True, None), ("sub", True, None)]
    eq([(p, d) for p, d, _ in got], [(p, d) for p, d, _ in expected], "root listing (path, is_dir)")
    sizes = {p: s for p, _, s in got}
    eq(sizes["hello.txt"], 12, "hello.txt size")
    is_type(sizes["cfg.json"], int, "cfg.json file_size")
    eq(sizes["model"], None, "directory file_size")
    sub = c.client.list_artifacts(rid, "sub")
    eq([(f.path, f.is_dir) for f in sub], [("sub/dir", True)], "list_artifacts('sub')")
    sub2 = c.client.list_artifacts(rid, "sub/dir")
    eq([(f.path, f.is_dir, f.file_size) for f in sub2], [("sub/dir/blob.bin", False, len(BLOB))], "list sub/dir")
    model = c.client.list_artifacts(rid, "model")
    eq([(f.path, f.is_dir) for f in model],
       [("model/MLmodel", False), ("model/deep", True), ("model/name with space.txt", False),
        ("model/weights.txt", False)], "list model")
    eq(c.client.list_artifacts(rid, "does/not/exist"), [], "list of a missing path")
    # REAL: listing a file path returns an empty list
    eq(c.client.list_artifacts(rid, "hello.txt"), [], "list of a file path")
    empty_run = c.client.create_run(eid).info.run_id
    eq(c.client.list_artifacts(empty_run), [], "list of a run without artifacts")
    # fluent / module-level listing
    eq([f.path for f in mlflow.artifacts.list_artifacts(run_id=rid, artifact_path="notes")], ["notes/hello.txt"],
       "mlflow.artifacts.list_artifacts")


def check_artifacts_download(c):
    eid, rid, src = c.fixture("artifacts", lambda: build_artifact_fixture(c))
    dst = c.new_dir("dl-file")
    p = c.client.download_artifacts(rid, "sub/dir/blob.bin", dst)
    eq(read(p), BLOB, "blob.bin bytes")
    p = c.client.download_artifacts(rid, "hello.txt", dst)
    eq(read(p), b"hello world\n", "hello.txt bytes")
    dst = c.new_dir("dl-dir")
    p = c.client.download_artifacts(rid, "model", dst)
    eq(same_tree(os.path.join(src, "model"), p), [], "model/ tree round trip")
    dst = c.new_dir("dl-all")
    p = mlflow.artifacts.download_artifacts(run_id=rid, dst_path=dst)
    got_files = sorted(os.path.relpath(os.path.join(d, f), p) for d, _, fs in os.walk(p) for f in fs)
    eq(got_files, sorted(["hello.txt", "sub/dir/blob.bin", "model/MLmodel", "model/weights.txt",
                          "model/deep/er/leaf.bin", "model/name with space.txt", "notes/hello.txt",
                          "cfg.json", "cfg.yaml"]), "whole-run download file list")
    eq(read(os.path.join(p, "model/deep/er/leaf.bin")), read(os.path.join(src, "model/deep/er/leaf.bin")),
       "leaf.bin bytes")
    eq(read(os.path.join(p, "notes/hello.txt")), TEXT.encode("utf-8"), "log_text bytes on disk")
    eq(json.loads(read(os.path.join(p, "cfg.json"))), DICT, "cfg.json content on disk")
    # download via the run's artifact URI (mlflow-artifacts:/...) and via runs:/ URI
    art_uri = c.client.get_run(rid).info.artifact_uri
    dst = c.new_dir("dl-uri")
    p = mlflow.artifacts.download_artifacts(artifact_uri=f"{art_uri}/sub/dir/blob.bin", dst_path=dst)
    eq(read(p), BLOB, "download via artifact_uri")
    dst = c.new_dir("dl-runs")
    p = mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{rid}/model/weights.txt", dst_path=dst)
    eq(read(p), read(os.path.join(src, "model/weights.txt")), "download via runs:/ URI")
    # missing artifact: the client raises (REAL: the server answers 404 on the file GET; the client
    # surfaces it as an MlflowException or an OSError depending on the path taken)
    try:
        c.client.download_artifacts(rid, "nope.txt", c.new_dir("dl-missing"))
    except (MlflowException, OSError):
        pass
    else:
        raise CheckError("download of a missing artifact should raise")


def check_artifacts_load(c):
    eid, rid, src = c.fixture("artifacts", lambda: build_artifact_fixture(c))
    # load_text reads in text mode (universal newlines), so "\r\n" comes back as "\n"; that is the client,
    # not the server (artifacts_download checks the raw bytes are identical).
    eq(mlflow.artifacts.load_text(f"runs:/{rid}/notes/hello.txt"), TEXT.replace("\r\n", "\n"), "load_text round trip")
    eq(mlflow.artifacts.load_dict(f"runs:/{rid}/cfg.json"), DICT, "load_dict(json) round trip")
    # load_dict only parses JSON (client side), so the YAML written by log_dict is checked via download
    import yaml
    p = c.client.download_artifacts(rid, "cfg.yaml", c.new_dir("dl-yaml"))
    eq(yaml.safe_load(read(p)), DICT, "log_dict(yaml) round trip")
    art_uri = c.client.get_run(rid).info.artifact_uri
    eq(mlflow.artifacts.load_text(f"{art_uri}/hello.txt"), "hello world\n", "load_text via artifact_uri")


def check_artifacts_fluent(c):
    exp = mlflow.set_experiment(c.name("fluent-art"))
    d = c.new_dir("fluent-art")
    write(os.path.join(d, "a.txt"), b"A")
    write(os.path.join(d, "dir", "b.txt"), b"B")
    write(os.path.join(d, "empty.txt"), b"")
    with mlflow.start_run() as r:
        mlflow.log_artifact(os.path.join(d, "a.txt"))
        mlflow.log_artifacts(os.path.join(d, "dir"), artifact_path="stuff")
        mlflow.log_artifact(os.path.join(d, "empty.txt"), artifact_path="e")
        mlflow.log_text("t", "x/t.txt")
        mlflow.log_dict({"k": [1, 2]}, "x/d.json")
        ok(mlflow.get_artifact_uri().startswith("mlflow-artifacts:/"), "get_artifact_uri scheme")
    rid = r.info.run_id
    eq([f.path for f in c.client.list_artifacts(rid)], ["a.txt", "e", "stuff", "x"], "fluent root listing")
    e = c.client.list_artifacts(rid, "e")
    # REAL: an empty file is listed WITHOUT file_size (`{"path": "empty.txt", "is_dir": false}`: zero is a
    # default and is omitted), so the client sees None. A server sending "file_size": 0 gives 0; both accepted.
    eq([(f.path, f.is_dir) for f in e], [("e/empty.txt", False)], "empty file listing")
    ok(e[0].file_size in (None, 0), f"empty file file_size {e[0].file_size!r}")
    eq(read(c.client.download_artifacts(rid, "e/empty.txt", c.new_dir("dl-empty"))), b"", "empty file bytes")
    eq(read(c.client.download_artifacts(rid, "stuff/b.txt", c.new_dir("dl-b"))), b"B", "stuff/b.txt")
    eq(mlflow.artifacts.load_text(f"runs:/{rid}/x/t.txt"), "t", "fluent log_text")
    eq(mlflow.artifacts.load_dict(f"runs:/{rid}/x/d.json"), {"k": [1, 2]}, "fluent log_dict")
    eq(exp.experiment_id, r.info.experiment_id, "experiment of the fluent run")


# ----------------------------------------------------------------------------------------------
# dataset inputs
# ----------------------------------------------------------------------------------------------

def check_log_input_dataset(c):
    import pandas as pd

    mlflow.set_experiment(c.name("inputs"))
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [0, 1, 0]})
    ds_name = c.name("ds")
    ds = mlflow.data.from_pandas(df, name=ds_name, targets="y")
    with mlflow.start_run() as r:
        mlflow.log_input(ds, context="training", tags={"extra": "1"})
        mlflow.log_input(ds, context="training")  # same dataset+context again
    rid = r.info.run_id
    run = c.client.get_run(rid)
    inputs = run.inputs.dataset_inputs
    # REAL: logging the same dataset twice in a run is de-duplicated by (name, digest) and the
    # second call's tags are dropped: exactly one input, with the first call's tags.
    eq(len(inputs), 1, "number of dataset inputs")
    d = inputs[0].dataset
    eq(d.name, ds_name, "dataset.name")
    eq(d.digest, ds.digest, "dataset.digest")
    eq(d.source_type, ds.source._get_source_type(), "dataset.source_type")
    eq(json.loads(d.source), json.loads(ds.source.to_json()), "dataset.source")
    eq(json.loads(d.schema), json.loads(ds.to_dict()["schema"]), "dataset.schema")
    eq(json.loads(d.profile), json.loads(ds.to_dict()["profile"]), "dataset.profile")
    tags = {t.key: t.value for t in inputs[0].tags}
    eq(tags.get("mlflow.data.context"), "training", "input tag mlflow.data.context")
    eq(tags.get("extra"), "1", "input tag extra")
    # a second dataset with another context is a second input
    ds2 = mlflow.data.from_pandas(df.head(2), name=ds_name + "-eval")
    c.client.log_inputs(rid, [mlflow.entities.DatasetInput(ds2._to_mlflow_entity(),
                                                           [mlflow.entities.InputTag("mlflow.data.context", "eval")])])
    inputs = c.client.get_run(rid).inputs.dataset_inputs
    eq(sorted(i.dataset.name for i in inputs), sorted([ds_name, ds_name + "-eval"]), "two dataset inputs")
    # inputs also come back in search results
    found = c.client.search_runs([r.info.experiment_id])
    eq(len(found), 1, "search count")
    eq(sorted(i.dataset.name for i in found[0].inputs.dataset_inputs), sorted([ds_name, ds_name + "-eval"]),
       "dataset inputs via search_runs")


def check_log_model_sklearn(c):
    # The flavor path most Python users take: log_model uploads the model directory through the
    # artifact proxy and records it with runs/log-model; pyfunc then loads it back from runs:/.
    import numpy as np
    import mlflow.pyfunc
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    mlflow.set_experiment(c.name("log-model"))
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0, 0, 1, 1])
    model = LogisticRegression().fit(X, y)
    with mlflow.start_run() as r:
        mlflow.sklearn.log_model(model, "model")
    rid = r.info.run_id
    history = json.loads(c.client.get_run(rid).data.tags["mlflow.log-model.history"])
    eq(len(history), 1, "log-model history entries")
    eq(history[0]["artifact_path"], "model", "history artifact_path")
    ok("sklearn" in history[0]["flavors"], "history has the sklearn flavor")
    names = sorted(f.path for f in c.client.list_artifacts(rid, "model"))
    ok("model/MLmodel" in names, f"MLmodel uploaded ({names})")
    loaded = mlflow.pyfunc.load_model(f"runs:/{rid}/model")
    eq(list(loaded.predict(X)), list(model.predict(X)), "predictions of the reloaded model")


# ----------------------------------------------------------------------------------------------
# registry (only with --registry)
# ----------------------------------------------------------------------------------------------

def registry_checks(c):
    state = {}

    def setup():
        if "rid" not in state:
            eid = c.new_experiment("registry")
            rid = c.client.create_run(eid).info.run_id
            d = c.new_dir("reg-model")
            write(os.path.join(d, "MLmodel"), b"flavors: {}\n")
            write(os.path.join(d, "model.bin"), BLOB)
            c.client.log_artifacts(rid, d, artifact_path="model")
            state.update(eid=eid, rid=rid, src=d, name=c.name("model"))
        return state

    def create_registered_model():
        s = setup()
        rm = c.client.create_registered_model(s["name"], tags={"k": "v"}, description="desc")
        eq(rm.name, s["name"], "name")
        eq(rm.description, "desc", "description")
        eq(rm.tags, {"k": "v"}, "tags")
        is_type(rm.creation_timestamp, int, "creation_timestamp")
        expect_error(lambda: c.client.create_registered_model(s["name"]), "RESOURCE_ALREADY_EXISTS", "duplicate")

    def create_model_versions():
        s = setup()
        source = f"runs:/{s['rid']}/model"
        v1 = c.client.create_model_version(s["name"], source, run_id=s["rid"], tags={"vt": "1"}, description="v1")
        eq(v1.version, "1", "first version")
        eq(v1.run_id, s["rid"], "run_id")
        eq(v1.status, "READY", "status")
        eq(v1.tags, {"vt": "1"}, "version tags")
        v2 = c.client.create_model_version(s["name"], source, run_id=s["rid"])
        eq(v2.version, "2", "second version")
        mv = mlflow.register_model(source, s["name"])  # create_registered_model 400 is tolerated by the client
        eq(mv.version, "3", "register_model version")

    def aliases():
        s = setup()
        c.client.set_registered_model_alias(s["name"], "champion", "1")
        eq(c.client.get_model_version_by_alias(s["name"], "champion").version, "1", "alias -> 1")
        c.client.set_registered_model_alias(s["name"], "champion", "2")
        eq(c.client.get_model_version_by_alias(s["name"], "champion").version, "2", "alias reassigned -> 2")
        rm = c.client.get_registered_model(s["name"])
        eq(rm.aliases, {"champion": "2"}, "registered model aliases")
        mv = c.client.get_model_version(s["name"], "2")
        eq(mv.aliases, ["champion"], "model version aliases")
        dst = c.new_dir("reg-dl")
        p = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{s['name']}@champion", dst_path=dst)
        eq(read(os.path.join(p, "model.bin")), BLOB, "download models:/name@alias")
        c.client.delete_registered_model_alias(s["name"], "champion")
        # REAL: a missing alias is 400 INVALID_PARAMETER_VALUE, not 404
        expect_error(lambda: c.client.get_model_version_by_alias(s["name"], "champion"), "INVALID_PARAMETER_VALUE",
                     "get_model_version_by_alias(deleted)")

    def search_versions():
        s = setup()
        vs = c.client.search_model_versions(f"name = '{s['name']}'")
        eq(sorted(int(v.version) for v in vs), [1, 2, 3], "search_model_versions")
        rm = c.client.get_registered_model(s["name"])
        eq([v.version for v in rm.latest_versions], ["3"], "latest_versions")

    run_check("registry_create_registered_model", create_registered_model)
    run_check("registry_create_model_versions", create_model_versions)
    run_check("registry_aliases_and_download", aliases)
    run_check("registry_search_model_versions", search_versions)


# ----------------------------------------------------------------------------------------------

TRACKING_CHECKS = [
    ("default_experiment", check_default_experiment),
    ("set_experiment_new", check_set_experiment_new),
    ("create_experiment_tags_and_duplicate", check_create_experiment_tags_and_duplicate),
    ("get_experiment_missing", check_get_experiment_missing),
    ("set_experiment_tag", check_set_experiment_tag),
    ("rename_experiment", check_rename_experiment),
    ("delete_restore_experiment", check_delete_restore_experiment),
    ("search_experiments", check_search_experiments),
    ("fluent_run_lifecycle", check_fluent_run_lifecycle),
    ("client_create_run", check_client_create_run),
    ("get_run_missing", check_get_run_missing),
    ("params", check_params),
    ("metric_history", check_metric_history),
    ("latest_metric_value", check_latest_metric_value),
    ("nan_inf_metrics", check_nan_inf_metrics),
    ("log_batch", check_log_batch),
    ("metric_history_large", check_metric_history_large),
    ("tags_set_delete", check_tags_set_delete),
    ("update_run", check_update_run),
    ("delete_restore_run", check_delete_restore_run),
    ("search_runs_filter_order", check_search_runs_filter_order),
    ("search_runs_tag_like", check_search_runs_tag_like),
    ("search_runs_attributes", check_search_runs_attributes),
    ("search_runs_more_filters", check_search_runs_more_filters),
    ("search_runs_order_by", check_search_runs_order_by),
    ("search_runs_pagination", check_search_runs_pagination),
    ("search_runs_pandas", check_search_runs_pandas),
    ("artifacts_list", check_artifacts_list),
    ("artifacts_download", check_artifacts_download),
    ("artifacts_load", check_artifacts_load),
    ("artifacts_fluent", check_artifacts_fluent),
    ("log_input_dataset", check_log_input_dataset),
    ("log_model_sklearn", check_log_model_sklearn),
]


def main():
    if not ARGS.verbose:
        import logging
        import warnings

        logging.getLogger("mlflow").setLevel(logging.WARNING)
        warnings.filterwarnings("ignore", category=UserWarning)
    if ARGS.trace:
        install_trace(ARGS.trace)
    mlflow.set_tracking_uri(ARGS.url)
    c = Ctx(ARGS.url)
    print(f"mlflow client {mlflow.__version__} -> {c.url}  (uid {c.uid})", flush=True)
    t0 = time.time()
    try:
        for name, fn in TRACKING_CHECKS:
            if name == "metric_history_large" and ARGS.history_steps <= 0:
                continue
            run_check(name, fn, c)
        if ARGS.registry:
            registry_checks(c)
    finally:
        shutil.rmtree(c.tmp, ignore_errors=True)
    failed = [r for r in RESULTS if not r[1]]
    print(f"\nSUMMARY: {len(RESULTS) - len(failed)} passed, {len(failed)} failed, {len(RESULTS)} total "
          f"({time.time() - t0:.1f}s)")
    for name, _, reason in failed:
        print(f"  FAIL {name}: {reason}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
