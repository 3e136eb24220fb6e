"""Regenerate the vendored schemas of this folder from pinned PyPI packages.

``python tests/deploy/schemas/vendor.py`` (needs PyPI; writes this folder):

- ``compose-spec.json`` and ``LICENSE.compose-spec``: the Compose Specification's
  JSON schema (Apache-2.0), as vendored by ``check-jsonschema`` (its
  ``vendor.compose-spec`` builtin schema).
- ``kubernetes-strict.json``: the strict JSON schemas of the Kubernetes API
  (Apache-2.0, generated from Kubernetes' OpenAPI document), as shipped by
  ``kubernetes-validate``, cut down to the kinds below and the definitions they
  reach, without descriptions. ``x-kinds`` maps ``apiVersion/kind`` to the
  definition that validates it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CHECK_JSONSCHEMA = "check-jsonschema==0.39.0"
KUBERNETES_VALIDATE = "kubernetes-validate==1.37.0"
KUBERNETES_VERSION = "v1.37.0"
KINDS = (
    "v1/Namespace",
    "v1/ConfigMap",
    "v1/Secret",
    "v1/Service",
    "v1/ServiceAccount",
    "v1/PersistentVolumeClaim",
    "apps/v1/Deployment",
    "apps/v1/StatefulSet",
    "batch/v1/Job",
    "batch/v1/CronJob",
    "autoscaling/v2/HorizontalPodAutoscaler",
    "policy/v1/PodDisruptionBudget",
    "rbac.authorization.k8s.io/v1/ClusterRole",
    "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
    "rbac.authorization.k8s.io/v1/Role",
    "rbac.authorization.k8s.io/v1/RoleBinding",
    "networking.k8s.io/v1/Ingress",
    "networking.k8s.io/v1/NetworkPolicy",
)


def download(requirement: str, dest: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), requirement],
        check=True,
    )
    name = requirement.split("==")[0].replace("-", "_")
    return next(dest.glob(f"{name}-*.whl"))


def strip_descriptions(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: strip_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [strip_descriptions(v) for v in node]
    return node


def kubernetes_bundle(wheel: Path) -> dict[str, Any]:
    prefix = f"kubernetes_validate/kubernetes-json-schema/{KUBERNETES_VERSION}-local-strict/"
    with zipfile.ZipFile(wheel) as zf:
        defs: dict[str, Any] = json.loads(zf.read(prefix + "_definitions.json"))["$defs"]
    by_kind: dict[str, str] = {}
    for name, schema in defs.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            group = gvk.get("group") or ""
            api_version = f"{group}/{gvk['version']}" if group else gvk["version"]
            by_kind.setdefault(f"{api_version}/{gvk['kind']}", name)
    wanted = {kind: by_kind[kind] for kind in KINDS}
    keep: set[str] = set()
    todo = list(wanted.values())
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        for ref in re.findall(r'"\$ref": "#/\$defs/([^"]+)"', json.dumps(defs[name])):
            todo.append(ref)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": f"Kubernetes {KUBERNETES_VERSION} strict schemas from {KUBERNETES_VALIDATE}, "
        "cut down by tests/deploy/schemas/vendor.py",
        "x-kinds": wanted,
        "$defs": {name: strip_descriptions(defs[name]) for name in sorted(keep)},
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        wheel = download(CHECK_JSONSCHEMA, Path(tmp))
        with zipfile.ZipFile(wheel) as zf:
            base = "check_jsonschema/builtin_schemas/vendor/"
            (HERE / "compose-spec.json").write_bytes(zf.read(base + "compose-spec.json"))
            (HERE / "LICENSE.compose-spec").write_bytes(
                zf.read(base + "licenses/LICENSE.compose-spec")
            )
        wheel = download(KUBERNETES_VALIDATE, Path(tmp))
        bundle = kubernetes_bundle(wheel)
        (HERE / "kubernetes-strict.json").write_text(
            json.dumps(bundle, indent=1, sort_keys=True) + "\n"
        )
    print(f"vendored into {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
