"""Read a run back with MLflow's own client and compare it with what was logged.

usage: $MLFLOW_PYTHON mlflow_check.py TRACKING_URI EXPECT.json

EXPECT.json:
  experiment   experiment name (required)
  run_name     the run's name (required); exactly one run of that name must exist
  run_id       optional: the run must have this id
  status       FINISHED | FAILED | KILLED | RUNNING
  params       {key: value}: exactly the run's params (params_subset: true to allow more)
  tags         {key: value}: these tags, among others
  metrics      {key: [[step, value], ...]}: the full history of each key, in logged order
               (values compared exactly; NaN equals NaN); metrics_exact: true = no other keys
  artifacts    {artifact_path: local_file}: downloaded bytes equal the local file
Exits 1 with the differences on stderr, 0 after printing "ok RUN_ID".
"""
import json
import math
import os
import sys
import tempfile

from mlflow import MlflowClient
import mlflow


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def main():
    uri, expect_path = sys.argv[1], sys.argv[2]
    want = json.load(open(expect_path))
    errors = []
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name(want["experiment"])
    if exp is None:
        print(f"no experiment {want['experiment']!r} at {uri}", file=sys.stderr)
        return 1
    # the pandas view of the fluent API, as users call it
    mlflow.set_tracking_uri(uri)
    df = mlflow.search_runs(experiment_names=[want["experiment"]])
    name_filter = "tags.`mlflow.runName` = '%s'" % want["run_name"]
    runs = client.search_runs([exp.experiment_id], filter_string=name_filter)
    if len(runs) != 1:
        print(f"{len(runs)} runs named {want['run_name']!r}, want 1", file=sys.stderr)
        return 1
    run = runs[0]
    info, data = run.info, run.data
    if want["run_name"] != info.run_name:
        errors.append(f"run_name {info.run_name!r}")
    if info.run_id not in list(df["run_id"]):
        errors.append("search_runs (pandas) does not list the run")
    if "run_id" in want and want["run_id"] != info.run_id:
        errors.append(f"run_id {info.run_id}, want {want['run_id']}")
    if "status" in want and info.status != want["status"]:
        errors.append(f"status {info.status}, want {want['status']}")
    if info.status != "RUNNING" and not info.end_time:
        errors.append("no end_time on a finished run")
    if "params" in want:
        got = dict(data.params)
        for k, v in want["params"].items():
            if got.get(k) != v:
                errors.append(f"param {k}: {got.get(k)!r}, want {v!r}")
        if not want.get("params_subset"):
            extra = sorted(set(got) - set(want["params"]))
            if extra:
                errors.append(f"unexpected params {extra}")
    for k, v in want.get("tags", {}).items():
        if data.tags.get(k) != v:
            errors.append(f"tag {k}: {data.tags.get(k)!r}, want {v!r}")
    for key, hist in want.get("metrics", {}).items():
        got = client.get_metric_history(info.run_id, key)
        got = [(m.step, m.value) for m in got]
        if len(got) != len(hist):
            errors.append(f"metric {key}: {len(got)} values, want {len(hist)}")
            continue
        for i, ((gs, gv), (ws, wv)) in enumerate(zip(got, hist)):
            if gs != ws or not same(gv, float(wv)):
                errors.append(f"metric {key}[{i}]: step {gs} value {gv!r}, want step {ws} value {wv!r}")
                break
    if want.get("metrics_exact"):
        extra = sorted(set(data.metrics) - set(want.get("metrics", {})))
        if extra:
            errors.append(f"unexpected metrics {extra}")
    if want.get("artifacts"):
        with tempfile.TemporaryDirectory() as tmp:
            for path, local in want["artifacts"].items():
                try:
                    got = client.download_artifacts(info.run_id, path, tmp)
                except Exception as e:  # noqa: BLE001 - report any failure as a difference
                    errors.append(f"artifact {path}: {e}")
                    continue
                if open(got, "rb").read() != open(local, "rb").read():
                    errors.append(f"artifact {path}: bytes differ from {local}")
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    print("ok", info.run_id)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    sys.exit(main())
