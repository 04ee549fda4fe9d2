"""The house-price workflow from issue 5, end to end through the real collector:
several RandomForest runs with params, metrics (with a per-step loss), tags and a
feature-importance PNG, then MLflow-style searches."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import spanwise

FEATURES = ["sqft", "bedrooms", "age", "distance_km", "quality"]
GRID = [(2, 5), (3, 8), (4, 8), (6, 12), (8, 16), (12, 16)]  # (max_depth, n_estimators)


def house_prices(seed: int = 7, n: int = 600) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.column_stack([
        rng.uniform(40, 250, n),  # sqft (m²)
        rng.integers(1, 6, n),
        rng.uniform(0, 80, n),
        rng.uniform(0.5, 30, n),
        rng.integers(1, 11, n),
    ])  # fmt: skip
    price = (
        40_000 + 1_800 * x[:, 0] + 12_000 * x[:, 1] - 900 * x[:, 2] - 3_500 * x[:, 3]
        + 18_000 * x[:, 4] + rng.normal(0, 12_000, n)
    )  # fmt: skip
    return x, price


def feature_importance_png(importances: np.ndarray, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.barh(FEATURES, importances)
    ax.set_title("feature importance")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@pytest.fixture(scope="module")
def trained(module_sdk, tmp_path_factory):
    """Train the grid once; returns the experiment and what each run logged."""
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
    from sklearn.model_selection import train_test_split

    x, y = house_prices()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
    experiment = spanwise.set_experiment(f"house-prices-{uuid.uuid4().hex[:8]}")
    logged = {}
    for max_depth, n_estimators in GRID:
        with spanwise.start_run(run_name=f"rf-d{max_depth}-n{n_estimators}") as run:
            spanwise.log_params({"max_depth": max_depth, "n_estimators": n_estimators,
                                 "model": "RandomForestRegressor"})  # fmt: skip
            spanwise.set_tags({"team": "pricing", "data_version": "v2026-03",
                               "git_commit": "3f2a9c1"})  # fmt: skip
            model = RandomForestRegressor(
                max_depth=max_depth, n_estimators=n_estimators, random_state=0, n_jobs=1
            ).fit(x_train, y_train)
            # A per-epoch-like loss: test RMSE of the ensemble of the first k trees.
            per_tree = np.array([t.predict(x_test) for t in model.estimators_])
            losses = []
            for step in range(1, n_estimators + 1):
                pred = per_tree[:step].mean(axis=0)
                loss = float(np.sqrt(mean_squared_error(y_test, pred)))
                losses.append(loss)
                spanwise.log_metric("loss", loss, step=step)
            pred = model.predict(x_test)
            metrics = {
                "rmse": float(np.sqrt(mean_squared_error(y_test, pred))),
                "mae": float(mean_absolute_error(y_test, pred)),
                "r2": float(r2_score(y_test, pred)),
            }
            spanwise.log_metrics(metrics)
            png = tmp_path_factory.mktemp("plots") / "feature_importance.png"
            feature_importance_png(model.feature_importances_, png)
            spanwise.log_artifact(png, artifact_path="plots")
        logged[run.run_id] = {
            "params": {"max_depth": str(max_depth), "n_estimators": str(n_estimators)},
            "metrics": metrics,
            "losses": losses,
            "png": png.read_bytes(),
        }
    assert spanwise.flush(30)
    return experiment, logged


def test_search_returns_best_runs_in_order_with_params(trained, client):
    experiment, logged = trained
    rmses = {rid: v["metrics"]["rmse"] for rid, v in logged.items()}
    expected = sorted((rid for rid, r in rmses.items() if r < 30000), key=rmses.get)[:5]
    assert 1 < len(expected) < len(logged), f"the grid should straddle 30000: {rmses}"

    runs = client.search_runs(
        experiment_ids=[experiment.experiment_id],
        filter_string="metrics.rmse < 30000",
        order_by=["metrics.rmse ASC"],
        max_results=5,
    )
    assert [r.info.run_id for r in runs] == expected
    for run in runs:
        mine = logged[run.info.run_id]
        assert run.info.status == "FINISHED"
        assert run.info.experiment_id == experiment.experiment_id
        assert run.info.end_time >= run.info.start_time
        assert {k: run.data.params[k] for k in mine["params"]} == mine["params"]
        assert run.data.params["model"] == "RandomForestRegressor"
        assert run.data.metrics["rmse"] == pytest.approx(mine["metrics"]["rmse"])
        assert run.data.metrics["r2"] == pytest.approx(mine["metrics"]["r2"])
        # The latest loss is the one with the highest step.
        assert run.data.metrics["loss"] == pytest.approx(mine["losses"][-1])
        assert run.data.tags == {"team": "pricing", "data_version": "v2026-03",
                                 "git_commit": "3f2a9c1"}  # fmt: skip


def test_dataframe_search_has_mlflow_columns(trained):
    experiment, logged = trained
    frame = spanwise.search_runs(
        experiment_names=[experiment.name],
        filter_string="metrics.rmse < 30000 AND params.max_depth >= 4",
        order_by=["metrics.rmse ASC"],
    )
    rmses = {rid: v["metrics"]["rmse"] for rid, v in logged.items()}
    expected = sorted(
        (rid for rid, v in logged.items()
         if v["metrics"]["rmse"] < 30000 and int(v["params"]["max_depth"]) >= 4),
        key=rmses.get,
    )  # fmt: skip
    assert list(frame["run_id"]) == expected
    for column in ("run_id", "experiment_id", "status", "start_time", "end_time",
                   "metrics.rmse", "metrics.mae", "params.max_depth", "tags.team"):  # fmt: skip
        assert column in frame.columns
    assert set(frame["status"]) == {"FINISHED"}
    assert list(frame["params.max_depth"]) == [logged[r]["params"]["max_depth"] for r in expected]


def test_combined_filter_with_or_and_parentheses(trained, client):
    experiment, _ = trained
    runs = client.search_runs(
        [experiment.experiment_id],
        "(params.max_depth = '2' OR params.max_depth = '12') AND tags.team = 'pricing' "
        "AND attributes.status = 'FINISHED'",
        order_by=["params.n_estimators DESC", "attributes.start_time ASC"],
    )
    depths = sorted(r.data.params["max_depth"] for r in runs)
    assert depths == ["12", "2"]


def test_metric_history_has_every_step(trained, client):
    _, logged = trained
    run_id, mine = next(iter(logged.items()))
    history = client.get_metric_history(run_id, "loss")
    assert [m.step for m in history] == list(range(1, len(mine["losses"]) + 1))
    assert [m.value for m in history] == pytest.approx(mine["losses"])
    assert all(m.key == "loss" and m.timestamp > 0 for m in history)


def test_feature_importance_png_round_trips(trained, client, tmp_path):
    _, logged = trained
    run_id, mine = next(iter(logged.items()))
    (plots,) = client.list_artifacts(run_id)
    assert plots.path == "plots" and plots.is_dir
    (png,) = client.list_artifacts(run_id, "plots")
    assert png.path == "plots/feature_importance.png"
    assert png.file_size == len(mine["png"])
    local = client.download_artifacts(run_id, "plots/feature_importance.png", str(tmp_path))
    with open(local, "rb") as f:
        data = f.read()
    assert data == mine["png"] and data.startswith(b"\x89PNG")


def test_tag_search_across_experiments(sdk, client):
    version = f"v-{uuid.uuid4().hex[:8]}"
    made = set()
    for name in (f"exp-a-{version}", f"exp-b-{version}"):
        with spanwise.start_run(experiment_name=name, tags={"data_version": version}) as run:
            spanwise.log_metric("rmse", 1.0)
        made.add((run.run_id, run.info.experiment_id))
    with spanwise.start_run(experiment_name=f"exp-c-{version}", tags={"data_version": "other"}):
        pass
    assert spanwise.flush(30)
    runs = client.search_runs(filter_string=f"tags.data_version = '{version}'")
    assert {(r.info.run_id, r.info.experiment_id) for r in runs} == made
    assert len({e for _, e in made}) == 2
    names = {client.get_experiment(e).name for _, e in made}
    assert names == {f"exp-a-{version}", f"exp-b-{version}"}
