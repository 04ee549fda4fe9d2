"""deploy/: compose, Kubernetes, Dockerfile and Grafana files load, have the required
keys, and agree with each other and with the collector's real CLI flags."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from spanwise_collector.cli.collector_cmd import collector as collector_command
from spanwise_collector.store.ddl import SPANS_TABLE
from spanwise_collector.store.location import parse_store

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COLLECTOR_ENVVARS = {p.envvar for p in collector_command.params if p.envvar}
COLLECTOR_FLAGS = {o for p in collector_command.params for o in p.opts}


def load_all(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def dockerfile() -> str:
    return (DEPLOY / "docker" / "Dockerfile").read_text()


def entrypoint_flags() -> list[str]:
    match = re.search(r"^ENTRYPOINT (\[.*\])$", dockerfile(), re.M)
    assert match
    return json.loads(match.group(1))


def test_dockerfile_is_non_root_with_healthcheck_on_the_collector_ports():
    text = dockerfile()
    assert re.search(r"^USER 10001", text, re.M)
    assert '".[collector]"' in text
    assert re.search(r"^EXPOSE 4317 4318$", text, re.M)
    assert "HEALTHCHECK" in text and "http://127.0.0.1:4318/healthz" in text
    args = entrypoint_flags()
    assert args[:2] == ["spanwise", "collector"]
    flags = [a for a in args if a.startswith("--")]
    assert set(flags) <= COLLECTOR_FLAGS
    assert args[args.index("--grpc-port") + 1] == "4317"
    assert args[args.index("--http-port") + 1] == "4318"
    assert args[args.index("--host") + 1] == "0.0.0.0"


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose" / "docker-compose.yml").read_text())


def test_compose_wires_clickhouse_collectors_loadbalancer_and_grafana():
    services = compose()["services"]
    assert {"clickhouse", "collector-1", "collector-2", "loadbalancer", "grafana"} <= set(services)
    ch = services["clickhouse"]["environment"]
    for name in ("collector-1", "collector-2"):
        svc = services[name]
        assert svc["image"] == "spanwise/collector:0.1.0"
        assert svc["build"]["dockerfile"] == "deploy/docker/Dockerfile"
        assert (DEPLOY / "compose" / svc["build"]["context"] / "pyproject.toml").exists()
        assert set(svc["environment"]) <= COLLECTOR_ENVVARS
        store = parse_store(svc["environment"]["SPANWISE_STORE"])
        assert (store.host, store.port) == ("clickhouse", 8123)
        assert (store.username, store.password, store.database) == (
            ch["CLICKHOUSE_USER"],
            ch["CLICKHOUSE_PASSWORD"],
            ch["CLICKHOUSE_DB"],
        )
        assert svc["depends_on"]["clickhouse"]["condition"] == "service_healthy"
    assert services["loadbalancer"]["ports"] == ["4317:4317", "4318:4318"]
    nginx = (DEPLOY / "compose" / "nginx.conf").read_text()
    for name in ("collector-1", "collector-2"):
        assert f"server {name}:4317;" in nginx and f"server {name}:4318;" in nginx
    assert "grpc_pass grpc://spanwise_grpc;" in nginx and "http2 on;" in nginx
    assert "proxy_pass http://spanwise_http;" in nginx
    grafana = services["grafana"]
    assert "grafana-clickhouse-datasource" in grafana["environment"]["GF_INSTALL_PLUGINS"]
    for mount in grafana["volumes"]:
        assert (DEPLOY / "compose" / mount.split(":")[0]).is_dir()


def has_docker_compose() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.mark.skipif(
    not has_docker_compose(), reason="no `docker compose` client (plugin) on this machine"
)
def test_docker_compose_config_accepts_the_file():
    subprocess.run(
        ["docker", "compose", "-f", str(DEPLOY / "compose" / "docker-compose.yml"), "config", "-q"],
        check=True,
        timeout=60,
    )


def k8s() -> dict[str, dict]:
    docs = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in load_all(path):
            assert {"apiVersion", "kind"} <= set(doc), path
            docs[f"{doc['kind']}/{doc.get('metadata', {}).get('name')}"] = doc
    return docs


def test_kubernetes_collector_manifests_are_consistent():
    docs = k8s()
    kust = docs.pop("Kustomization/None", None) or yaml.safe_load(
        (DEPLOY / "k8s" / "kustomization.yaml").read_text()
    )
    for resource in kust["resources"]:
        assert (DEPLOY / "k8s" / resource).exists()
    deploy = docs["Deployment/spanwise-collector"]
    pod = deploy["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert deploy["spec"]["selector"]["matchLabels"] == labels
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["spec"]["containers"]
    assert container["image"] == compose()["services"]["collector-1"]["image"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"otlp-grpc": 4317, "http": 4318}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert {a for a in container["args"] if a.startswith("--")} <= COLLECTOR_FLAGS
    refs = {r.get("configMapRef", r.get("secretRef"))["name"] for r in container["envFrom"]}
    config = docs["ConfigMap/spanwise-collector"]
    secret = docs["Secret/spanwise-store"]
    assert refs == {"spanwise-collector", "spanwise-store"}
    assert set(config["data"]) | set(secret["stringData"]) <= COLLECTOR_ENVVARS
    for name in ("Service/spanwise-collector", "Service/spanwise-collector-headless"):
        svc = docs[name]["spec"]
        assert svc["selector"] == labels
        assert {p["targetPort"] for p in svc["ports"]} <= set(ports)
    hpa = docs["HorizontalPodAutoscaler/spanwise-collector"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "spanwise-collector",
    }
    assert 2 <= hpa["minReplicas"] < hpa["maxReplicas"]
    pdb = docs["PodDisruptionBudget/spanwise-collector"]["spec"]
    assert pdb["selector"]["matchLabels"] == labels and pdb["minAvailable"] < hpa["minReplicas"]


def test_clickhouse_installation_matches_the_collector_and_the_cluster_ddl():
    docs = k8s()
    chi = docs["ClickHouseInstallation/spanwise"]
    keeper = docs["ClickHouseKeeperInstallation/spanwise-keeper"]
    (cluster,) = chi["spec"]["configuration"]["clusters"]
    assert cluster["layout"] == {"shardsCount": 2, "replicasCount": 2}
    assert keeper["spec"]["configuration"]["clusters"][0]["layout"]["replicasCount"] == 3
    (zk,) = chi["spec"]["configuration"]["zookeeper"]["nodes"]
    assert zk["host"] == f"keeper-{keeper['metadata']['name']}"
    config = docs["ConfigMap/spanwise-collector"]["data"]
    assert config["SPANWISE_CLUSTER"] == cluster["name"]
    ddl = (DEPLOY / "clickhouse" / "schema-cluster.sql").read_text()
    assert f"ON CLUSTER `{cluster['name']}`" in ddl
    store = parse_store(docs["Secret/spanwise-store"]["stringData"]["SPANWISE_STORE"])
    assert store.host.startswith(f"clickhouse-{chi['metadata']['name']}.")
    users = chi["spec"]["configuration"]["users"]
    assert users[f"{store.username}/password"] == store.password
    assert f"`{store.database}`" in ddl


def test_grafana_provisioning_matches_the_spans_table():
    (ds,) = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "clickhouse.yaml").read_text()
    )["datasources"]
    assert ds["type"] == "grafana-clickhouse-datasource"
    store = parse_store(compose()["services"]["collector-1"]["environment"]["SPANWISE_STORE"])
    assert (ds["jsonData"]["host"], ds["jsonData"]["port"]) == (store.host, store.port)
    assert ds["jsonData"]["traces"]["defaultTable"] == SPANS_TABLE.name
    # the columns Grafana's trace view reads (the OTel exporter's names)
    columns = set(SPANS_TABLE.column_names())
    assert {
        "Timestamp", "TraceId", "SpanId", "ParentSpanId", "TraceState", "SpanName", "SpanKind",
        "ServiceName", "ResourceAttributes", "ScopeName", "ScopeVersion", "SpanAttributes",
        "Duration", "StatusCode", "StatusMessage", "Events", "Links",
    } <= columns  # fmt: skip
    provider = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "dashboards" / "spanwise.yaml").read_text()
    )["providers"][0]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    dashboards = list((DEPLOY / "grafana" / "dashboards").glob("*.json"))
    assert dashboards
    for path in dashboards:
        board = json.loads(path.read_text())
        titles = {p["title"] for p in board["panels"]}
        assert {"Cost per model per day (USD)", "Tokens", "Error rate"} <= titles
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == ds["uid"]
            assert "otel_traces" in panel["targets"][0]["rawSql"]
