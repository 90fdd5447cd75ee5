"""The Kubernetes manifests of deploy/k8s/ (generated from the registry; stale copies fail
tests/opsgraph/test_schema_artefacts.py): each overlay builds with `kubectl kustomize`, every
resource it yields validates offline against the Kubernetes API schemas (kubernetes-validate,
strict: no unknown fields), and the deployment says what the operations design asks."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from opsgraph.cli import _parser
from opsgraph.domains import REGISTRY
from opsgraph.k8s_manifests import METRICS_PORT
from tests.deploy.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"
KUBERNETES_VERSION = "1.33.0"


def build(overlay: str) -> list[dict[str, Any]]:
    kubectl = require_tool("kubectl", "apt-get install kubectl; it builds kustomizations")
    built = subprocess.run(
        [kubectl, "kustomize", str(OVERLAYS / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


@pytest.fixture(scope="module")
def combined() -> list[dict[str, Any]]:
    return build("combined")


@pytest.fixture(scope="module")
def split() -> list[dict[str, Any]]:
    return build("split")


def of_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


@pytest.mark.parametrize("overlay", ["combined", "split"])
def test_every_resource_validates_against_the_api_schemas(overlay: str) -> None:
    resources = build(overlay)
    for resource in resources:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    kinds = {r["kind"] for r in resources}
    assert kinds == {
        "ConfigMap",
        "Job",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }


def test_the_validator_refuses_a_wrong_manifest(combined: list[dict[str, Any]]) -> None:
    (deployment,) = of_kind(combined, "Deployment").values()
    wrong = {**deployment, "spec": {**deployment["spec"], "replica": 3}}  # a misspelt field
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(wrong, KUBERNETES_VERSION, strict=True)


def test_the_split_overlay_runs_every_registered_subgraph_and_the_router(
    split: list[dict[str, Any]],
) -> None:
    deployments = of_kind(split, "Deployment")
    assert set(deployments) == {f"opsgraph-{name}" for name in REGISTRY.names} | {"opsgraph-router"}
    for name in REGISTRY.names:
        (container,) = deployments[f"opsgraph-{name}"]["spec"]["template"]["spec"]["containers"]
        assert container["command"][:3] == ["opsgraph", "subgraph", name]
        assert ("--peers" in container["command"]) == REGISTRY.domain(name).peers_needed
    (config,) = (c for c in of_kind(split, "ConfigMap").values() if "subgraphs.toml" in c["data"])
    for name in REGISTRY.names:
        assert f"[subgraphs.{name}]" in config["data"]["subgraphs.toml"]


@pytest.mark.parametrize("overlay", ["combined", "split"])
def test_every_pod_is_sized_probed_and_locked_down(overlay: str) -> None:
    resources = build(overlay)
    pods = [d["spec"]["template"]["spec"] for d in of_kind(resources, "Deployment").values()]
    pods += [j["spec"]["template"]["spec"] for j in of_kind(resources, "Job").values()]
    for pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["containers"]
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        assert container["resources"] == {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        }
        assert {m["mountPath"] for m in container["volumeMounts"]} >= {"/data", "/tmp"}
        assert {
            e.get("configMapRef", e.get("secretRef"))["name"] for e in container["envFrom"]
        } == {
            "opsgraph-config",
            "opsgraph-secrets",
        }
    for deployment in of_kind(resources, "Deployment").values():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert container["startupProbe"]["httpGet"]["path"] == "/health"


@pytest.mark.parametrize("overlay", ["combined", "split"])
def test_each_deployment_scales_3_to_10_and_keeps_all_but_one(overlay: str) -> None:
    resources = build(overlay)
    deployments = of_kind(resources, "Deployment")
    autoscalers = of_kind(resources, "HorizontalPodAutoscaler")
    budgets = of_kind(resources, "PodDisruptionBudget")
    assert set(autoscalers) == set(budgets) == set(deployments)
    for name, autoscaler in autoscalers.items():
        spec = autoscaler["spec"]
        assert spec["scaleTargetRef"]["name"] == name
        assert (spec["minReplicas"], spec["maxReplicas"]) == (3, 10)
        targets = {
            m["resource"]["name"]: m["resource"]["target"]["averageUtilization"]
            for m in spec["metrics"]
        }
        assert targets == {"cpu": 70, "memory": 80}
        assert budgets[name]["spec"]["maxUnavailable"] == 1


def test_only_the_router_and_checking_peers_reach_a_subgraph(split: list[dict[str, Any]]) -> None:
    policies = of_kind(split, "NetworkPolicy")
    peers = {f"opsgraph-{n}" for n in REGISTRY.names if REGISTRY.domain(n).peers_needed}
    for name in REGISTRY.names:
        rule, metrics = policies[f"opsgraph-{name}"]["spec"]["ingress"]
        sources = {s["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for s in rule["from"]}
        assert sources == {"opsgraph-router"} | (peers - {f"opsgraph-{name}"})
        # Only the metrics port is open to anyone (the scraper).
        assert metrics == {"ports": [{"protocol": "TCP", "port": METRICS_PORT}]}
    assert "from" not in policies["opsgraph-router"]["spec"]["ingress"][0]  # the public API


def test_each_serving_pod_exposes_metrics_on_a_port_of_its_own(
    split: list[dict[str, Any]],
) -> None:
    """Production serves no /metrics on the API's port: the manifests set the metrics port
    and announce it to Prometheus' Kubernetes discovery."""
    (config,) = (c for c in of_kind(split, "ConfigMap").values() if "OPSGRAPH_ENV" in c["data"])
    assert config["data"]["OPSGRAPH_METRICS_PORT"] == str(METRICS_PORT)
    for deployment in of_kind(split, "Deployment").values():
        template = deployment["spec"]["template"]
        (container,) = template["spec"]["containers"]
        assert {"name": "metrics", "containerPort": METRICS_PORT} in container["ports"]
        assert template["metadata"]["annotations"]["prometheus.io/port"] == str(METRICS_PORT)


def test_shutdown_fits_in_the_termination_grace_period(split: list[dict[str, Any]]) -> None:
    (config,) = (c for c in of_kind(split, "ConfigMap").values() if "OPSGRAPH_ENV" in c["data"])
    settings = config["data"]
    shutdown = int(settings["OPSGRAPH_SHUTDOWN_DRAIN_SECONDS"]) + int(
        settings["OPSGRAPH_SHUTDOWN_GRACE_SECONDS"]
    )
    for deployment in of_kind(split, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] > shutdown
        (container,) = pod["containers"]
        readiness = container["readinessProbe"]
        # /ready turns 503 for the drain: the probe must see it before the listener closes.
        assert readiness["periodSeconds"] * readiness["failureThreshold"] < int(
            settings["OPSGRAPH_SHUTDOWN_DRAIN_SECONDS"]
        )


def test_the_migration_job_runs_opsgraph_migrate(combined: list[dict[str, Any]]) -> None:
    job = of_kind(combined, "Job")["opsgraph-migrate"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["opsgraph", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_every_command_the_deployments_run_is_one_the_cli_takes() -> None:
    """The manifests' and docker-compose.yml's commands parse with `opsgraph`'s own parser."""
    commands: list[list[str]] = []
    for overlay in ("combined", "split"):
        for resource in build(overlay):
            if resource["kind"] in ("Deployment", "Job"):
                commands += [
                    c["command"] for c in resource["spec"]["template"]["spec"]["containers"]
                ]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    commands += [s["command"] for s in compose["services"].values() if "command" in s]
    commands.append(json.loads(DockerfileParser(str(ROOT / "Dockerfile")).cmd))
    assert len(commands) > 2 * len(REGISTRY.names)
    for command in commands:
        assert command[0] == "opsgraph", command
        _parser().parse_args(command[1:])  # exits (SystemExit) on anything it refuses
