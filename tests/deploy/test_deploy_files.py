"""The deployment files (deploy/) describe a deployment that would start.

No container engine or cluster exists where these tests run, so they check what
a deployer would otherwise find out on the day: a file that does not parse or
that Compose / Kubernetes would refuse, a service without a container, an
environment variable that no setting reads (a typo: the process silently runs
on its default), a production secret with a default, Prometheus scraping ports
nothing listens on, a command naming a module that does not exist.

Schemas are vendored in ``schemas/`` (see ``schemas/vendor.py``). The kustomization is
built here with ``kustomize build`` (or ``kubectl kustomize``) where one is installed;
the other real tools (``docker compose config``, ``promtool check config``) are run by
``make deploy-check`` on a machine that has them.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from services.common.catalog import SERVICES
from services.common.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
PROMETHEUS_FILE = DEPLOY / "prometheus" / "prometheus.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
K8S = DEPLOY / "k8s"
SCHEMAS = Path(__file__).resolve().parent / "schemas"

SETTINGS_VARS = {name.upper() for name in Settings.model_fields}
# Secrets that must be given in production: no default anywhere in the files.
PRODUCTION_SECRETS = {
    "PLATFORM_ADMIN_PASSWORD",
    "PG_ADMIN_PASSWORD",
    "PG_APP_PASSWORD",
    "RABBITMQ_PASSWORD",
    "REDIS_PASSWORD",
    "MINIO_ROOT_USER",
    "MINIO_ROOT_PASSWORD",
    "MINIO_ACCESS_KEY",
    "MINIO_SECRET_KEY",
    # notify's channels: the mail relay's password, Aliyun SMS's AccessKey pair
    "SMTP_PASSWORD",
    "ALIYUN_ACCESS_KEY_ID",
    "ALIYUN_ACCESS_KEY_SECRET",
    # Grafana's admin (deploy/grafana)
    "GRAFANA_ADMIN_PASSWORD",
}
# Not secrets but the deployer's own, which no default can stand for: Compose cannot be
# resolved without them; Kubernetes leaves them empty in notify's ConfigMap, and notify
# refuses to start in production until they are set.
DEPLOYER_VALUES = {"ALIYUN_SMS_SIGN_NAME", "ALIYUN_SMS_TEMPLATE_CODE"}
#: the settings of notify's channels and of when it uses them (any NOTIFY_* to come too)
NOTIFY_SETTINGS = {
    name
    for name in SETTINGS_VARS
    if name.startswith(("SMTP_", "SMS_", "ALIYUN_", "NOTIFY_", "EMAIL_RATE_"))
}
#: the generic HTTP SMS gateway's: production sends through Aliyun SMS (deploy/README.md)
OTHER_SMS_PROVIDER = {"SMS_HTTP_URL", "SMS_HTTP_TOKEN"}


# -- loading -----------------------------------------------------------------------------------


def load_all(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]


@cache
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return data


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable interpolation (``${X}``, ``${X:-d}``, ``${X:?msg}``, ``$$``)."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op"), match.group("arg") or ""
        if op in (":?", "?") and not env.get(name):
            raise KeyError(f"{name}: {arg}")
        if op in (":-", "-") and not env.get(name):
            return arg
        return env.get(name, "")

    return re.sub(r"\$\$|\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}", sub, value)


def dummy_secrets() -> dict[str, str]:
    env = dict.fromkeys(PRODUCTION_SECRETS | DEPLOYER_VALUES, "s3cret-value")
    env.update(RABBITMQ_USER="gongwen", GONGWEN_IMAGE="registry.example/gongwen:1.0.0")
    return env


def gongwen_services() -> dict[str, dict[str, Any]]:
    """Compose services that run the Gongwen image (the others are infrastructure)."""
    return {
        name: svc
        for name, svc in compose()["services"].items()
        if "GONGWEN_IMAGE" in str(svc.get("image", ""))
    }


def compose_env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def command_of(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    return shlex.split(command) if isinstance(command, str) else list(command or [])


@cache
def k8s_docs() -> dict[str, list[dict[str, Any]]]:
    return {p.name: load_all(p) for p in sorted(K8S.glob("*.yaml"))}


def k8s_resources() -> list[dict[str, Any]]:
    return [
        doc for name, docs in k8s_docs().items() if name != "kustomization.yaml" for doc in docs
    ]


def pod_spec(doc: dict[str, Any]) -> dict[str, Any] | None:
    if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
        spec: dict[str, Any] = doc["spec"]["template"]["spec"]
        return spec
    return None


def gongwen_containers() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(resource, container) for every container that runs the Gongwen image."""
    out = []
    for doc in k8s_resources():
        spec = pod_spec(doc)
        for container in (spec or {}).get("containers", []):
            if container["image"] == "gongwen":
                out.append((doc, container))
    return out


def k8s_deployment(name: str) -> dict[str, Any]:
    for doc in k8s_resources():
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no Deployment {name} in deploy/k8s")


def config_maps() -> dict[str, dict[str, str]]:
    """The ConfigMaps of config.yaml by name: their data."""
    return {
        d["metadata"]["name"]: d["data"]
        for d in k8s_docs()["config.yaml"]
        if d["kind"] == "ConfigMap"
    }


def config_data(name: str = "gongwen-config") -> dict[str, str]:
    return config_maps()[name]


def secret_keys() -> dict[str, set[str]]:
    return {
        d["metadata"]["name"]: set(d.get("stringData") or {}) | set(d.get("data") or {})
        for d in k8s_docs()["secrets.example.yaml"]
    }


def container_env(
    container: dict[str, Any], secret_value: str = "s3cret", deployer_value: str | None = "filled"
) -> dict[str, str]:
    """What the process would see: the ConfigMaps, then ``env`` with secrets filled
    in and ``$(VAR)`` expanded as the kubelet does. The deployer's values left empty in a
    ConfigMap (:data:`DEPLOYER_VALUES`) are filled in with ``deployer_value`` (None: as
    the file has them)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert "configMapRef" in source, f"{container['name']}: unexpected envFrom {source}"
        data = config_data(source["configMapRef"]["name"])
        env.update(data)
        if deployer_value is not None:
            env.update({k: deployer_value for k in DEPLOYER_VALUES if k in data and not data[k]})
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = re.sub(
                r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), item["value"]
            )
        else:
            env[item["name"]] = secret_value
    return env


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in list(os.environ):
        if key.upper() in SETTINGS_VARS:
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings()


def gateway_paths() -> set[str]:
    from gateway.app import app

    return set(app.openapi()["paths"])


def assert_module_command(command: list[str], where: str) -> None:
    """A ``python -m module …`` or ``uvicorn module:attr …`` command names code that exists."""
    if command[:2] == ["python", "-m"]:
        module = command[2]
        assert importlib.util.find_spec(module) is not None, f"{where}: no module {module}"
        if module == "services.common.runner":
            assert command[3:] and command[3] in SERVICES, f"{where}: runner of {command[3:]}"
        return
    if command[:1] == ["uvicorn"]:
        module, _, attr = command[1].partition(":")
        assert hasattr(importlib.import_module(module), attr), f"{where}: no {command[1]}"
        return
    raise AssertionError(f"{where}: unexpected command {command}")


# -- every file ------------------------------------------------------------------------------------


def test_every_deploy_yaml_file_parses() -> None:
    files = sorted(DEPLOY.rglob("*.yml")) + sorted(DEPLOY.rglob("*.yaml"))
    assert len(files) >= 10
    for path in files:
        docs = load_all(path)
        assert docs, f"{path} is empty"
        assert all(isinstance(d, dict) for d in docs), f"{path} has a non-mapping document"


# -- Dockerfile --------------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_builds_on_python_311_slim_like_the_project() -> None:
    froms = [rest for word, rest in dockerfile_instructions() if word == "FROM"]
    assert froms == ["python:3.11-slim"]
    assert 'requires-python = ">=3.11,<3.12"' in (ROOT / "pyproject.toml").read_text()


def test_dockerfile_installs_the_lock_then_the_project_without_its_dependencies() -> None:
    runs = [rest for word, rest in dockerfile_instructions() if word == "RUN"]
    lock = next(i for i, r in enumerate(runs) if "-r requirements.lock" in r)
    project = next(i for i, r in enumerate(runs) if re.search(r"pip install --no-deps \.", r))
    assert lock < project


def test_dockerfile_copies_only_what_exists_and_what_the_dockerignore_lets_through() -> None:
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {line[1:].removesuffix("/**") for line in ignore if line.startswith("!")}
    for word, rest in dockerfile_instructions():
        if word == "COPY" and "--from" not in rest:
            *sources, _dest = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                assert source in allowed, f"COPY {source}: excluded by Dockerfile.dockerignore"


def test_dockerfile_default_command_runs_the_gateway() -> None:
    (cmd,) = [rest for word, rest in dockerfile_instructions() if word == "CMD"]
    command = json.loads(cmd)
    assert_module_command(command, "Dockerfile CMD")
    assert command[command.index("--host") + 1] == "0.0.0.0"


# -- docker-compose.yml ---------------------------------------------------------------------------


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text())
    validator = Draft202012Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose())]
    assert not errors, "\n".join(errors)


def test_compose_production_secrets_have_no_default() -> None:
    text = COMPOSE_FILE.read_text()
    used: dict[str, set[str]] = {}
    for match in re.finditer(r"\$\{(\w+)(:?[-?][^}]*)?\}", text):
        used.setdefault(match.group(1), set()).add(match.group(2) or "")
    required = PRODUCTION_SECRETS | DEPLOYER_VALUES
    assert set(used) >= required, f"not taken from the environment: {required - set(used)}"
    for name in required:
        assert all(op.startswith(":?") for op in used[name]), (
            f"${{{name}}} has a default or may be empty"
        )
    for name, service in compose()["services"].items():
        for key, value in compose_env(service).items():
            if key in PRODUCTION_SECRETS | {"POSTGRES_PASSWORD", "RABBITMQ_DEFAULT_PASS"}:
                assert value.startswith("${"), f"{name}: {key} is written into the file"
    # and the file cannot be resolved with any one of them missing
    for name in required:
        missing = {k: v for k, v in dummy_secrets().items() if k != name}
        with pytest.raises(KeyError, match=name):
            interpolate(compose(), missing)


def test_compose_runs_every_service_the_gateway_and_the_migration() -> None:
    services = gongwen_services()
    for name in SERVICES:
        assert name in services, f"no container for service {name}"
        assert command_of(services[name]) == ["python", "-m", "services.common.runner", name]
    assert command_of(services["migrate"]) == ["python", "-m", "services.common.migrate"]
    assert command_of(services["gateway"])[:2] == ["uvicorn", "gateway.app:app"]
    for name, service in services.items():
        assert_module_command(command_of(service), f"compose {name}")
        assert compose_env(service)["GONGWEN_ENV"] == "production", name
    for infra in ("postgres", "rabbitmq", "redis", "minio", "prometheus"):
        assert infra in compose()["services"], f"no {infra} container"
    assert "moto" not in COMPOSE_FILE.read_text(), "production runs real MinIO, not moto"


def test_compose_services_wait_for_the_migration() -> None:
    services = gongwen_services()
    for name in SERVICES:
        depends = services[name].get("depends_on") or {}
        assert depends.get("migrate", {}).get("condition") == "service_completed_successfully", name


def test_compose_sets_only_variables_that_a_setting_reads() -> None:
    for name, service in gongwen_services().items():
        unknown = set(compose_env(service)) - SETTINGS_VARS
        assert not unknown, f"compose {name}: {sorted(unknown)} are not settings (typo?)"


def test_compose_containers_start_with_production_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    resolved = interpolate(compose(), dummy_secrets())
    for name in gongwen_services():
        settings = settings_from(compose_env(resolved["services"][name]), monkeypatch)
        assert settings.gongwen_env == "production"
        assert settings.platform_admin_password == "s3cret-value"
        assert "@rabbitmq:5672" in settings.amqp_uri and "127.0.0.1" not in settings.amqp_uri
        assert settings.pg_host == "postgres" and settings.redis_url.endswith("@redis:6379/0")
        assert settings.minio_endpoint == "minio:9000", name


def test_compose_gives_notify_its_channels_and_no_other_container(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """notify gets every setting of its channels (but the other SMS provider's); no
    other container gets any — not the providers' secrets, and not the SMS_PROVIDER /
    SMTP_USER that would make it require them."""
    services = gongwen_services()
    given = set(compose_env(services["notify"]))
    assert given >= NOTIFY_SETTINGS - OTHER_SMS_PROVIDER, sorted(
        NOTIFY_SETTINGS - OTHER_SMS_PROVIDER - given
    )
    for name, service in services.items():
        if name != "notify":
            assert not set(compose_env(service)) & NOTIFY_SETTINGS, name
    env = compose_env(interpolate(compose(), dummy_secrets())["services"]["notify"])
    settings = settings_from(env, monkeypatch)
    assert settings.sms_provider == "aliyun" and settings.aliyun_access_key_secret == "s3cret-value"
    assert settings.aliyun_sms_template_code == "s3cret-value"
    assert (settings.smtp_port, settings.smtp_starttls) == (587, True)
    assert settings.smtp_user and settings.smtp_password == "s3cret-value"
    assert settings.smtp_host != "127.0.0.1" and "@" in settings.smtp_from
    assert settings.notify_quiet_hours == "22:00-07:00"


def compose_metrics_ports() -> dict[str, int]:
    services = gongwen_services()
    return {name: int(compose_env(services[name])["METRICS_PORT"]) for name in SERVICES}


def test_compose_services_serve_metrics_on_distinct_reachable_ports() -> None:
    ports = compose_metrics_ports()
    assert len(set(ports.values())) == len(SERVICES)
    for name in SERVICES:
        service = gongwen_services()[name]
        # the default 127.0.0.1 would hide /metrics from Prometheus in another container
        assert compose_env(service)["METRICS_HOST"] == "0.0.0.0", name
        assert f":{ports[name]}/metrics" in " ".join(service["healthcheck"]["test"]), name


def test_compose_notify_scales_on_its_own() -> None:
    notify = gongwen_services()["notify"]
    assert notify["deploy"]["replicas"] >= 2
    # a fixed container name or host port would make a second replica fail to start
    assert "container_name" not in notify and "ports" not in notify


def test_compose_gateway_is_published_and_checks_readiness() -> None:
    gateway = gongwen_services()["gateway"]
    command = command_of(gateway)
    port = command[command.index("--port") + 1]
    assert any(str(p).endswith(f":{port}") for p in gateway["ports"])
    assert f"127.0.0.1:{port}/readyz" in " ".join(gateway["healthcheck"]["test"])
    assert "/readyz" in gateway_paths()


# -- Prometheus ---------------------------------------------------------------------------------------


def scrape_jobs() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load(PROMETHEUS_FILE.read_text())
    return {job["job_name"]: job for job in config["scrape_configs"]}


def job_targets(job: dict[str, Any]) -> set[tuple[str, int]]:
    targets = set()
    for sd in job.get("dns_sd_configs", []):
        targets |= {(name, int(sd["port"])) for name in sd["names"]}
    for static in job.get("static_configs", []):
        for target in static["targets"]:
            host, _, port = target.rpartition(":")
            targets.add((host, int(port)))
    return targets


def test_prometheus_scrapes_every_service_on_its_metrics_port() -> None:
    jobs = scrape_jobs()
    scraped = set().union(*(job_targets(j) for j in jobs.values()))
    for name, port in compose_metrics_ports().items():
        assert (name, port) in scraped, f"Prometheus does not scrape {name}:{port}"
    # each replica of a scaled service is its own target: DNS A records, not one name
    notify_job = next(
        j for j in jobs.values() if ("notify", compose_metrics_ports()["notify"]) in job_targets(j)
    )
    assert notify_job.get("dns_sd_configs"), "notify replicas must be discovered one by one"


def test_prometheus_scrapes_the_gateway_metrics_endpoint() -> None:
    gateway = gongwen_services()["gateway"]
    command = command_of(gateway)
    port = int(command[command.index("--port") + 1])
    jobs = [j for j in scrape_jobs().values() if ("gateway", port) in job_targets(j)]
    assert jobs, f"Prometheus does not scrape gateway:{port}"
    path = jobs[0].get("metrics_path", "/metrics")
    assert path in gateway_paths()


def test_prometheus_is_given_its_config_file() -> None:
    prometheus = compose()["services"]["prometheus"]
    assert "./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prometheus["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]


def test_k8s_manifests_are_what_generate_py_writes() -> None:
    sys.path.insert(0, str(K8S))
    try:
        generate = importlib.import_module("generate")
    finally:
        sys.path.remove(str(K8S))
    expected = {
        name: generate.render(docs, generate.NOTES.get(name, ""))
        for name, docs in generate.files().items()
    }
    actual = {p.name: p.read_text() for p in K8S.glob("*.yaml")}
    assert actual == expected, "deploy/k8s is out of date: run python deploy/k8s/generate.py"


def test_k8s_manifests_follow_the_kubernetes_api_schema() -> None:
    bundle = json.loads((SCHEMAS / "kubernetes-strict.json").read_text())
    keda = json.loads((SCHEMAS / "keda.json").read_text())
    errors = []
    for doc in k8s_resources():
        kind = f"{doc['apiVersion']}/{doc['kind']}"
        if doc["apiVersion"].startswith("keda.sh/"):
            assert kind in keda["x-kinds"], f"{kind}: not in schemas/keda.json"
            schema = {**keda, "$ref": f"#/$defs/{keda['x-kinds'][kind]}"}
            for e in Draft202012Validator(schema).iter_errors(doc):
                errors.append(
                    f"{kind} {doc['metadata']['name']} {list(e.absolute_path)}: {e.message}"
                )
            continue
        assert kind in bundle["x-kinds"], f"{kind}: no schema vendored (see schemas/vendor.py)"
        schema = {**bundle, "$ref": f"#/$defs/{bundle['x-kinds'][kind]}"}
        for e in Draft202012Validator(schema).iter_errors(doc):
            errors.append(f"{kind} {doc['metadata']['name']} {list(e.absolute_path)}: {e.message}")
    assert not errors, "\n".join(errors[:20])


def test_k8s_kustomization_applies_every_manifest_but_the_secret_example() -> None:
    (kustomization,) = k8s_docs()["kustomization.yaml"]
    listed = set(kustomization["resources"])
    on_disk = {name for name in k8s_docs() if name != "kustomization.yaml"}
    # the secret example is filled in by hand; notify-keda.yaml replaces notify-hpa.yaml
    # where KEDA is installed
    assert listed == on_disk - {"secrets.example.yaml", "notify-keda.yaml"}
    assert [i["name"] for i in kustomization["images"]] == ["gongwen"]
    for doc in k8s_resources():
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "gongwen", doc["metadata"]["name"]


def test_k8s_runs_every_service_the_gateway_and_the_migration_job() -> None:
    commands = {}
    for doc, container in gongwen_containers():
        assert_module_command(container["command"], f"k8s {doc['metadata']['name']}")
        commands[doc["metadata"]["name"]] = (doc["kind"], container["command"])
    for name in SERVICES:
        assert commands[f"gongwen-{name}"] == (
            "Deployment",
            ["python", "-m", "services.common.runner", name],
        )
    assert commands["gongwen-migrate"] == ("Job", ["python", "-m", "services.common.migrate"])
    assert commands["gongwen-gateway"][0] == "Deployment"
    assert commands["gongwen-gateway"][1][:2] == ["uvicorn", "gateway.app:app"]


def test_k8s_service_readiness_and_scraping_use_the_metrics_port() -> None:
    seen = set()
    for name in SERVICES:
        deployment = k8s_deployment(f"gongwen-{name}")
        template = deployment["spec"]["template"]
        (container,) = template["spec"]["containers"]
        env = container_env(container)
        port = int(env["METRICS_PORT"])
        seen.add(port)
        assert env["METRICS_HOST"] == "0.0.0.0", name
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == port
        assert container["readinessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}
        annotations = template["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert int(annotations["prometheus.io/port"]) == port
    assert len(seen) == len(SERVICES)


def test_k8s_gateway_readiness_liveness_and_metrics_are_gateway_routes() -> None:
    deployment = k8s_deployment("gongwen-gateway")
    template = deployment["spec"]["template"]
    (container,) = template["spec"]["containers"]
    command = container["command"]
    port = int(command[command.index("--port") + 1])
    assert {p["name"]: p["containerPort"] for p in container["ports"]}["http"] == port
    paths = gateway_paths()
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz" in paths
    assert container["livenessProbe"]["httpGet"]["path"] in paths
    assert int(template["metadata"]["annotations"]["prometheus.io/port"]) == port
    assert template["metadata"]["annotations"]["prometheus.io/path"] in paths


def test_k8s_prometheus_keeps_annotated_pods_and_scrapes_their_port() -> None:
    (config_map,) = [d for d in k8s_docs()["prometheus.yaml"] if d["kind"] == "ConfigMap"]
    config = yaml.safe_load(config_map["data"]["prometheus.yml"])
    (job,) = config["scrape_configs"]
    assert job["kubernetes_sd_configs"][0]["role"] == "pod"
    relabel = {tuple(r["source_labels"]): r for r in job["relabel_configs"]}
    assert relabel[("__meta_kubernetes_pod_annotation_prometheus_io_scrape",)]["action"] == "keep"
    address = relabel[
        ("__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port")
    ]
    assert address["target_label"] == "__address__"


def test_k8s_notify_is_scaled_by_its_own_autoscaler() -> None:
    (hpa,) = k8s_docs()["notify-hpa.yaml"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "gongwen-notify",
    }
    assert (
        hpa["spec"]["minReplicas"] >= 2 and hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    )
    notify = k8s_deployment("gongwen-notify")
    # a replica count in the manifest would undo the autoscaler on every apply
    assert "replicas" not in notify["spec"]
    (container,) = notify["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["requests"]["cpu"], "CPU utilisation needs a CPU request"
    autoscaled = {
        d["spec"]["scaleTargetRef"]["name"]
        for d in k8s_resources()
        if d["kind"] == "HorizontalPodAutoscaler"
    }
    assert autoscaled == {"gongwen-notify"}


def test_k8s_sets_only_variables_that_a_setting_reads() -> None:
    for name, data in config_maps().items():
        assert set(data) <= SETTINGS_VARS, (name, set(data) - SETTINGS_VARS)
    for doc, container in gongwen_containers():
        names = [item["name"] for item in container.get("env", [])]
        values = " ".join(item.get("value", "") for item in container.get("env", []))
        for name in names:
            # a helper only exists to be expanded into a setting, e.g. AMQP_URI's password
            helper = f"$({name})" in values
            assert name in SETTINGS_VARS or helper, (
                f"{doc['metadata']['name']}: {name} is read by nothing"
            )


def test_k8s_config_and_secret_references_resolve() -> None:
    keys = secret_keys()
    for doc in k8s_resources():
        for container in (pod_spec(doc) or {}).get("containers", []):
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in config_maps()
            for item in container.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["key"] in keys.get(ref["name"], set()), (
                        f"{doc['metadata']['name']}: secret {ref['name']}/{ref['key']} is not defined"
                    )
    # the example carries no secret: every value is left for the deployer
    for doc in k8s_docs()["secrets.example.yaml"]:
        assert set(doc["stringData"].values()) == {""}


def test_k8s_containers_start_with_production_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for doc, container in gongwen_containers():
        env = container_env(container)
        assert env["GONGWEN_ENV"] == "production"
        settings = settings_from(env, monkeypatch)
        assert settings.platform_admin_password == "s3cret", doc["metadata"]["name"]
        # every process, the gateway too, gets the object store's keys (no local default)
        assert (settings.minio_access_key, settings.minio_secret_key) == ("s3cret", "s3cret")
        assert settings.pg_app_password == "s3cret"
        assert settings.amqp_uri == "amqp://s3cret:s3cret@rabbitmq:5672/"
        assert settings.redis_url == "redis://:s3cret@redis:6379/0"
    migrate = next(c for d, c in gongwen_containers() if d["kind"] == "Job")
    assert settings_from(container_env(migrate), monkeypatch).pg_admin_password == "s3cret"


def _notify_container() -> dict[str, Any]:
    (container,) = k8s_deployment("gongwen-notify")["spec"]["template"]["spec"]["containers"]
    return container


def test_k8s_gives_notify_its_channels_and_no_other_pod(monkeypatch: pytest.MonkeyPatch) -> None:
    """notify's pods get every setting of its channels (but the other SMS provider's),
    the providers' secrets from the Secret and the rest from a ConfigMap of its own; no
    other pod gets any of them."""
    notify = _notify_container()
    env = container_env(notify)
    assert set(env) >= NOTIFY_SETTINGS - OTHER_SMS_PROVIDER, sorted(
        NOTIFY_SETTINGS - OTHER_SMS_PROVIDER - set(env)
    )
    secrets = {
        item["name"]: item["valueFrom"]["secretKeyRef"]["name"]
        for item in notify["env"]
        if "valueFrom" in item
    }
    for name in PRODUCTION_SECRETS & NOTIFY_SETTINGS:
        assert secrets.get(name) == "gongwen-secrets", f"{name} is not taken from the Secret"
    for name, data in config_maps().items():
        assert not set(data) & PRODUCTION_SECRETS, f"a secret in the ConfigMap {name}"
    for doc, container in gongwen_containers():
        if container is not notify:
            assert not set(container_env(container)) & NOTIFY_SETTINGS, doc["metadata"]["name"]
    settings = settings_from(env, monkeypatch)
    assert settings.sms_provider == "aliyun" and settings.aliyun_access_key_id == "s3cret"
    assert (settings.aliyun_access_key_secret, settings.smtp_password) == ("s3cret", "s3cret")
    assert (settings.smtp_port, settings.smtp_starttls) == (587, True)
    assert settings.smtp_host != "127.0.0.1" and settings.smtp_user
    assert settings.aliyun_sms_template_code == "filled"


def test_k8s_notify_refuses_to_start_until_the_deployer_sets_the_sms_template(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = config_data("gongwen-notify-config")
    assert all(data[name] == "" for name in DEPLOYER_VALUES), "the deployer's values are theirs"
    with pytest.raises(ValueError) as refused:
        settings_from(container_env(_notify_container(), deployer_value=None), monkeypatch)
    for name in DEPLOYER_VALUES:
        assert name in str(refused.value)
    # and the channels' secrets left empty in the Secret are refused as well
    with pytest.raises(ValueError) as refused:
        settings_from(container_env(_notify_container(), secret_value=""), monkeypatch)
    for name in PRODUCTION_SECRETS & NOTIFY_SETTINGS:
        assert name in str(refused.value)


def _kustomize() -> list[str] | None:
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    return None


def test_k8s_kustomize_builds_every_listed_resource_with_the_release_image() -> None:
    command = _kustomize()
    if command is None:
        pytest.skip("neither kustomize nor kubectl is installed")
    built = subprocess.run(
        [*command, str(K8S)], capture_output=True, text=True, timeout=120, check=False
    )
    assert built.returncode == 0, built.stderr
    docs = [d for d in yaml.safe_load_all(built.stdout) if d]
    (kustomization,) = k8s_docs()["kustomization.yaml"]
    expected = {
        (d["kind"], d["metadata"]["name"])
        for name in kustomization["resources"]
        for d in k8s_docs()[name]
    }
    assert {(d["kind"], d["metadata"]["name"]) for d in docs} == expected
    (image,) = kustomization["images"]
    release = f"{image['newName']}:{image['newTag']}"
    gongwen = [
        c["image"]
        for d in docs
        if d["kind"] in ("Deployment", "StatefulSet", "Job")
        for c in d["spec"]["template"]["spec"]["containers"]
        if c["image"].startswith(image["newName"]) or c["image"] == image["name"]
    ]
    assert gongwen and set(gongwen) == {release}
    notify = next(
        d for d in docs if (d["kind"], d["metadata"]["name"]) == ("Deployment", "gongwen-notify")
    )
    refs = [
        s["configMapRef"]["name"]
        for s in notify["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    ]
    assert refs == ["gongwen-config", "gongwen-notify-config"]


def test_k8s_gongwen_pods_run_unprivileged_as_the_image_user() -> None:
    uid = re.search(r"--uid (\d+)", DOCKERFILE.read_text())
    assert uid is not None
    for doc, container in gongwen_containers():
        spec = pod_spec(doc)
        assert spec is not None
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == int(uid.group(1))
        assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_keda_scales_notify_on_every_queue_notify_consumes() -> None:
    """The scaler's triggers are notify's queues as nameko names them
    (evt-<source>-<event type>--notify.<method>), no more, no fewer; KEDA authenticates
    with the broker URI from the secret; the CPU HPA remains for clusters without KEDA."""
    from services.common.consumers import ParkingConsumer
    from services.notify.service import NotifyService

    consumed = {
        f"evt-{entry.source_service}-{entry.event_type}--notify.{name}"
        for name in dir(NotifyService)
        for entry in getattr(getattr(NotifyService, name), "nameko_entrypoints", ())
        if isinstance(entry, ParkingConsumer)
    }
    docs = {d["kind"]: d for d in k8s_docs()["notify-keda.yaml"]}
    scaled, auth = docs["ScaledObject"], docs["TriggerAuthentication"]
    triggers = scaled["spec"]["triggers"]
    assert {t["metadata"]["queueName"] for t in triggers} == consumed and len(consumed) == 8
    assert all(t["type"] == "rabbitmq" and t["metadata"]["mode"] == "QueueLength" for t in triggers)
    assert {t["authenticationRef"]["name"] for t in triggers} == {auth["metadata"]["name"]}
    assert scaled["spec"]["scaleTargetRef"]["name"] == "gongwen-notify"
    [ref] = auth["spec"]["secretTargetRef"]
    secrets = {d["metadata"]["name"]: d for d in k8s_docs()["secrets.example.yaml"]}
    assert ref["key"] in secrets[ref["name"]]["stringData"]
    assert {d["kind"] for d in k8s_docs()["notify-hpa.yaml"]} == {"HorizontalPodAutoscaler"}
