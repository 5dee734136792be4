"""The real definitions rendered manifests are checked against, read from
their sources rather than written down here:

- Kubernetes built-in kinds: the JSON schemas shipped in the
  kubernetes-validate package (strict: unknown fields are errors);
- Dapr's CRDs (Component, Configuration, Resiliency) from the Dapr module's
  Helm chart, made strict the same way;
- the metadata each Dapr component type accepts, from components-contrib's
  metadata.yaml files;
- the sidecar annotations the Dapr injector understands, from its source.

SpinApp has no schema here (the spin-operator module is not served by the
Go proxy this machine reaches): its fields are listed from
api/v1alpha1/spinapp_types.go of spinframework/spin-operator.
"""

import copy
import pathlib
import re

import jsonschema
import kubernetes_validate
import yaml

# SpinAppSpec's JSON field names (spin-operator, api/v1alpha1/spinapp_types.go).
SPINAPP_SPEC_FIELDS = {
    "executor", "image", "imagePullSecrets", "checks", "replicas",
    "enableAutoscaling", "runtimeConfig", "volumes", "volumeMounts",
    "variables", "serviceAnnotations", "deploymentAnnotations",
    "podAnnotations", "podLabels", "resources", "components",
    "serviceAccountName", "invocationLimits",
}
SPINAPP_PROBE_FIELDS = {
    "httpGet", "initialDelaySeconds", "timeoutSeconds", "periodSeconds",
    "successThreshold", "failureThreshold",
}

# Metadata Dapr's runtime itself reads from any component of a building
# block (not listed in components-contrib's metadata.yaml files).
RUNTIME_METADATA = {
    "state": {"actorStateStore", "keyPrefix", "outboxPublishPubsub", "outboxPublishTopic",
              "outboxPubsub", "outboxDiscardWhenMissingState"},
    "pubsub": {"consumerID"},
    "secretstores": set(),
}

# Component type -> its metadata.yaml in components-contrib, by version.
CONTRIB_METADATA_FILES = {
    ("pubsub.kafka", "v1"): "pubsub/kafka/metadata.yaml",
    ("state.postgresql", "v1"): "state/postgresql/v1/metadata.yaml",
    ("state.postgresql", "v2"): "state/postgresql/v2/metadata.yaml",
    ("state.redis", "v1"): "state/redis/metadata.yaml",
    ("state.sqlite", "v1"): "state/sqlite/metadata.yaml",
    ("secretstores.kubernetes", "v1"): "secretstores/kubernetes/metadata.yaml",
    ("secretstores.local.file", "v1"): "secretstores/local/file/metadata.yaml",
    ("conversation.openai", "v1"): "conversation/openai/metadata.yaml",
    ("conversation.echo", "v1"): "conversation/echo/metadata.yaml",
}


def strict_openapi(schema):
    """An OpenAPI v3 schema from a CRD as a JSON schema that rejects
    unknown fields, as `kubectl apply` with strict field validation does."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if not isinstance(node, dict):
            return
        if node.pop("x-kubernetes-int-or-string", False):
            node.pop("type", None)
            node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        preserve = node.get("x-kubernetes-preserve-unknown-fields", False)
        if "properties" in node and "additionalProperties" not in node and not preserve:
            node["additionalProperties"] = False
        for key in ("properties", "patternProperties"):
            for child in node.get(key, {}).values():
                walk(child)
        for key in ("items", "additionalProperties", "not"):
            walk(node.get(key))
        for key in ("allOf", "anyOf", "oneOf"):
            for child in node.get(key, []):
                walk(child)

    walk(schema)
    return schema


class Sources:
    """Everything read from the Dapr and components-contrib sources."""

    def __init__(self, dapr_src, contrib_src, kube_version):
        self.kube_version = kube_version
        self.contrib_src = pathlib.Path(contrib_src)
        dapr_src = pathlib.Path(dapr_src)
        self.crd_schemas = {}
        for crd_file in sorted((dapr_src / "charts/dapr/crds").glob("*.yaml")):
            for crd in yaml.safe_load_all(crd_file.read_text()):
                if not crd or crd.get("kind") != "CustomResourceDefinition":
                    continue
                group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
                for version in crd["spec"]["versions"]:
                    schema = version["schema"]["openAPIV3Schema"]
                    self.crd_schemas[(f"{group}/{version['name']}", kind)] = strict_openapi(schema)
        source = (dapr_src / "pkg/injector/annotations/annotations.go").read_text()
        self.dapr_annotations = set(re.findall(r'=\s*"(dapr\.io/[a-z0-9-]+)"', source))
        if len(self.dapr_annotations) < 20:
            raise RuntimeError("could not read the Dapr injector's annotations from " + str(dapr_src))
        self._contrib = {}

    def validate_builtin(self, doc):
        """Errors of a built-in kind against Kubernetes' own schema."""
        try:
            kubernetes_validate.validate(doc, self.kube_version, strict=True)
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            return [f"{path}: {e.message}"]
        except kubernetes_validate.SchemaNotFoundError as e:
            return [e.message]
        return []

    def validate_crd(self, doc):
        """Errors of a Dapr resource against its CRD; None when no CRD is known."""
        schema = self.crd_schemas.get((doc.get("apiVersion"), doc.get("kind")))
        if schema is None:
            return None
        validator = jsonschema.Draft7Validator(schema)
        return [
            f"{'.'.join(str(p) for p in e.path)}: {e.message}"
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        ]

    def component_metadata(self, component_type, version):
        """{name: allowed values or None} a component type accepts, or None
        when its metadata.yaml is unknown."""
        key = (component_type, version)
        if key not in self._contrib:
            relative = CONTRIB_METADATA_FILES.get(key)
            if relative is None:
                return None
            spec = yaml.safe_load((self.contrib_src / relative).read_text())
            fields = {}
            profiles = list(spec.get("builtinAuthenticationProfiles") or [])
            groups = [spec.get("metadata") or []] + [p.get("metadata") or [] for p in profiles]
            groups += [p.get("metadata") or [] for p in spec.get("authenticationProfiles") or []]
            for group in groups:
                for item in group:
                    allowed = item.get("allowedValues")
                    known = fields.get(item["name"], set())
                    if allowed is None or known is None:
                        fields[item["name"]] = None
                    else:
                        fields[item["name"]] = known | {str(v) for v in allowed}
            building_block = component_type.split(".")[0]
            for name in RUNTIME_METADATA.get(building_block, set()):
                fields.setdefault(name, None)
            self._contrib[key] = fields
        return self._contrib[key]
