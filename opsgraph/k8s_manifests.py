"""The Kubernetes manifests under `deploy/k8s/`, generated from the domain registry (`opsgraph
schema export` writes them, `opsgraph schema check` fails when they are stale, so a newly
registered subgraph cannot be missing from the split deployment).

- `base/`: the settings every process shares (ConfigMap `opsgraph-config`; the Secret
  `opsgraph-secrets` is the operator's, only referenced) and the migration Job.
- `overlays/combined/`: one Deployment running `opsgraph serve` (router and every subgraph
  in-process).
- `overlays/split/`: a Deployment per subgraph (`opsgraph subgraph NAME`) and the router
  (`opsgraph router`), with a NetworkPolicy per subgraph admitting only the router and the
  subgraphs that check ids with it (`--peers`).

Every workload gets the same pod: non-root, read-only root filesystem (emptyDirs for the data
directory and /tmp), the resources of the sizing (requests 250m/256Mi, limits 500m/512Mi),
startup, liveness (`/health`) and readiness (`/ready`) probes, a HorizontalPodAutoscaler
(3-10 replicas at 70 % CPU, 80 % memory) and a PodDisruptionBudget. The termination grace
period covers the drain and the shutdown grace (opsgraph/serving.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from opsgraph import deployment
from opsgraph.domains import Registry

ROOT = Path("deploy") / "k8s"
IMAGE = "opsgraph"  # the overlays' `images:` name the registry and tag
PUBLIC_PORT = 4000
CONFIG = "opsgraph-config"
SECRETS = "opsgraph-secrets"
SUBGRAPHS_FILE = "/etc/opsgraph/subgraphs.toml"
DATA_DIR = "/data"  # the image's OPSGRAPH_DATA_DIR
USER_ID = 10001  # the image's `opsgraph` user
DRAIN_SECONDS = 10  # readiness probe period × failures, plus time for endpoints to update
GRACE_SECONDS = 25
METRICS_PORT = 9464  # /metrics on a port of its own: production serves none on the API's
# On the serving pods, for Prometheus' Kubernetes service discovery (the common convention).
SCRAPED = {
    "prometheus.io/scrape": "true",
    "prometheus.io/port": str(METRICS_PORT),
    "prometheus.io/path": "/metrics",
}
HEADER = [
    "# Generated from the domain registry by `opsgraph schema export`",
    "# (opsgraph/k8s_manifests.py); do not edit: patch it from an overlay of your own.",
]

SETTINGS = {
    "OPSGRAPH_ENV": "production",
    "OPSGRAPH_HOST": "0.0.0.0",
    "OPSGRAPH_PORT": str(PUBLIC_PORT),
    "OPSGRAPH_DATA_DIR": DATA_DIR,
    "OPSGRAPH_LOG_LEVEL": "info",
    "OPSGRAPH_SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS),
    "OPSGRAPH_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
    "OPSGRAPH_METRICS_PORT": str(METRICS_PORT),
    # Your OIDC issuer: in production tokens must come from it (each pod's development
    # issuer would hold a key of its own).
    "OPSGRAPH_OIDC_ISSUER": "https://login.example.com/realms/opsgraph",
}


def _labels(name: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component}


def _container(args: list[str], port: int) -> dict[str, Any]:
    """The opsgraph container running `opsgraph ARGS` (the image's CMD replaced)."""
    probe = {"httpGet": {"path": "/health", "port": "http"}, "timeoutSeconds": 3}
    return {
        "name": "opsgraph",
        "image": IMAGE,
        "command": ["opsgraph", *args],
        "ports": [
            {"name": "http", "containerPort": port},
            {"name": "metrics", "containerPort": METRICS_PORT},
        ],
        "envFrom": [{"configMapRef": {"name": CONFIG}}, {"secretRef": {"name": SECRETS}}],
        "resources": {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        },
        # Up to 5 minutes to migrate and start before liveness counts.
        "startupProbe": {**probe, "periodSeconds": 5, "failureThreshold": 60},
        "livenessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 3},
        "readinessProbe": {
            "httpGet": {"path": "/ready", "port": "http"},
            "timeoutSeconds": 3,
            "periodSeconds": 5,
            "failureThreshold": 1,
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "data", "mountPath": DATA_DIR},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def _pod(labels: dict[str, str], container: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The pod every workload runs: non-root, nothing writable but its emptyDirs."""
    volumes: list[dict[str, Any]] = [
        {"name": "data", "emptyDir": {"sizeLimit": "64Mi"}},
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
    ]
    if extra.pop("subgraphs_file", False):
        container["volumeMounts"].append(
            {"name": "subgraphs", "mountPath": str(Path(SUBGRAPHS_FILE).parent), "readOnly": True}
        )
        volumes.append({"name": "subgraphs", "configMap": {"name": "opsgraph-subgraphs"}})
    return {
        "metadata": {"labels": labels},
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": USER_ID,
                "runAsGroup": USER_ID,
                "fsGroup": USER_ID,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [container],
            "volumes": volumes,
            **extra,
        },
    }


def _workload(
    name: str, component: str, args: list[str], port: int, *, subgraphs_file: bool = False
) -> list[dict[str, Any]]:
    """Deployment, Service, HorizontalPodAutoscaler and PodDisruptionBudget of one process."""
    labels = _labels(name, component)
    selector = {"matchLabels": labels}
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    pod = _pod(
        labels,
        _container(args, port),
        terminationGracePeriodSeconds=DRAIN_SECONDS + GRACE_SECONDS + 5,
        subgraphs_file=subgraphs_file,
    )
    pod["metadata"]["annotations"] = SCRAPED

    def utilisation(resource: str, percent: int) -> dict[str, Any]:
        target = {"type": "Utilization", "averageUtilization": percent}
        return {"type": "Resource", "resource": {"name": resource, "target": target}}

    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "replicas": 3,
                "selector": selector,
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
                },
                "template": pod,
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "selector": labels,
                "ports": [{"name": "http", "port": port, "targetPort": "http"}],
            },
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "scaleTargetRef": target,
                "minReplicas": 3,
                "maxReplicas": 10,
                "metrics": [utilisation("cpu", 70), utilisation("memory", 80)],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": name, "labels": labels},
            "spec": {"maxUnavailable": 1, "selector": selector},
        },
    ]


def _network_policy(
    name: str, component: str, port: int, sources: list[dict[str, Any]]
) -> dict[str, Any]:
    """Ingress to the workload's port from `sources` only (none listed: from anywhere), and
    to its metrics port from anywhere (the scraping Prometheus)."""
    rule: dict[str, Any] = {"ports": [{"protocol": "TCP", "port": port}]}
    if sources:
        rule["from"] = sources
    metrics = {"ports": [{"protocol": "TCP", "port": METRICS_PORT}]}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "labels": _labels(name, component)},
        "spec": {
            "podSelector": {"matchLabels": _labels(name, component)},
            "policyTypes": ["Ingress"],
            "ingress": [rule, metrics],
        },
    }


def _migration_job() -> dict[str, Any]:
    labels = _labels("opsgraph-migrate", "migration")
    container = _container(["migrate"], PUBLIC_PORT)
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        del container[probe]
    del container["ports"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "opsgraph-migrate",
            "labels": labels,
            # Argo CD runs it before syncing the rest; with kubectl, see the README.
            "annotations": {"argocd.argoproj.io/hook": "PreSync"},
        },
        "spec": {
            "backoffLimit": 3,
            "activeDeadlineSeconds": 900,
            "ttlSecondsAfterFinished": 3600,  # gone before the next rollout re-creates it
            "template": _pod(labels, container, restartPolicy="Never"),
        },
    }


class _PlainDumper(yaml.SafeDumper):
    """YAML as people write it: repeated values written out, not as anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _document(*resources: dict[str, Any]) -> str:
    body = "---\n".join(
        yaml.dump(r, Dumper=_PlainDumper, sort_keys=False, width=100) for r in resources
    )
    return "\n".join(HEADER) + "\n" + body


def _kustomization(resources: list[str], *, images: bool) -> str:
    kustomization: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    }
    if images:
        # Your registry and tag.
        kustomization["images"] = [
            {"name": IMAGE, "newName": "registry.example.com/opsgraph", "newTag": "0.1.0"}
        ]
    else:
        kustomization["labels"] = [
            {"pairs": {"app.kubernetes.io/part-of": "opsgraph"}, "includeSelectors": False}
        ]
    return _document(kustomization)


def _subgraphs_config(registry: Registry) -> dict[str, Any]:
    lines = []
    for name in registry.names:
        url = f"http://opsgraph-{name}:{deployment.port(registry, name)}/graphql"
        lines += [
            f"[subgraphs.{name}]",
            f'url = "{url}"',
            f"timeout_s = {deployment.TIMEOUT_S}",
            "",
        ]
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "opsgraph-subgraphs",
            "labels": {"app.kubernetes.io/component": "config"},
        },
        "data": {"subgraphs.toml": "\n".join(lines)},
    }


def manifests(registry: Registry) -> dict[Path, str]:
    """Every file under deploy/k8s/ (paths relative to the repository root)."""
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": CONFIG, "labels": {"app.kubernetes.io/component": "config"}},
    }
    files = {
        ROOT / "base" / "kustomization.yaml": _kustomization(
            ["config.yaml", "migrate-job.yaml"], images=False
        ),
        ROOT / "base" / "config.yaml": _document({**config, "data": SETTINGS}),
        ROOT / "base" / "migrate-job.yaml": _document(_migration_job()),
    }

    combined = ROOT / "overlays" / "combined"
    files[combined / "kustomization.yaml"] = _kustomization(
        ["../../base", "server.yaml"], images=True
    )
    files[combined / "server.yaml"] = _document(
        *_workload("opsgraph", "server", ["serve"], PUBLIC_PORT),
        _network_policy("opsgraph", "server", PUBLIC_PORT, []),
    )

    split = ROOT / "overlays" / "split"
    router = _labels("opsgraph-router", "router")
    peers = [name for name in registry.names if registry.domain(name).peers_needed]
    for name in registry.names:
        port = deployment.port(registry, name)
        args = ["subgraph", name, "--host", "0.0.0.0", "--port", str(port)]
        if name in peers:
            args += ["--peers", SUBGRAPHS_FILE]
        sources = [{"podSelector": {"matchLabels": router}}] + [
            {"podSelector": {"matchLabels": _labels(f"opsgraph-{peer}", "subgraph")}}
            for peer in peers
            if peer != name
        ]
        files[split / f"{name}.yaml"] = _document(
            *_workload(f"opsgraph-{name}", "subgraph", args, port, subgraphs_file=name in peers),
            _network_policy(f"opsgraph-{name}", "subgraph", port, sources),
        )
    files[split / "router.yaml"] = _document(
        _subgraphs_config(registry),
        *_workload(
            "opsgraph-router",
            "router",
            ["router", "--config", SUBGRAPHS_FILE],
            PUBLIC_PORT,
            subgraphs_file=True,
        ),
        _network_policy("opsgraph-router", "router", PUBLIC_PORT, []),
    )
    files[split / "kustomization.yaml"] = _kustomization(
        ["../../base", "router.yaml", *(f"{name}.yaml" for name in registry.names)], images=True
    )
    return files
