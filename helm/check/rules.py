"""What this project needs from a rendered chart, beyond valid schemas: the
names the services look up, the sidecar wiring of every pod, and the same
Dapr semantics as the local stack's dapr/ files."""

import base64
import re

from schemas import SPINAPP_PROBE_FIELDS, SPINAPP_SPEC_FIELDS

SPIN_APPS = ("todo-api", "recurring", "notifier", "audit")
SPIN_EXECUTOR = "containerd-shim-spin"
SPIN_APP_PORT = "80"
JWT_SECRET = "jwt-secret"
# The chat's model (chart value chat.model): optional, so absent from dapr/;
# scripts/stack renders it for its model replica only.
CHAT_MODEL = "chat-model"
OPTIONAL_COMPONENTS = {CHAT_MODEL}
# Locally SQLite and a secrets file; on Kubernetes a server and the cluster's Secrets.
PLATFORM_TYPES = {
    "state.sqlite": {"state.postgresql", "state.redis"},
    "secretstores.local.file": {"secretstores.kubernetes"},
}
# How a pub/sub component reaches its brokers differs per platform; what it
# consumes and how (consumer group, offsets, sizes) must not.
CONNECTION_METADATA = {
    "brokers", "version", "authType", "saslUsername", "saslPassword", "saslMechanism",
    "disableTls", "skipVerify", "caCert", "clientCert", "clientKey", "clientID",
}
# Dapr's default consumer group for a pub/sub component is the app-id.
DEFAULT_METADATA = {"consumerGroup": "{appID}"}
PUBLIC_ROUTES = {"/api": ("todo-api", 80), "/ws": ("realtime", "ws")}
# The web app, served by todo-api: its page at exactly "/" (a "/" Prefix
# would route /internal, /job and /dapr too), its assets, its settings and
# the paths it routes itself.
WEB_ROUTES = ("/", "/assets", "/app", "/tasks", "/calendar", "/chat", "/notifications", "/activity", "/sign-in")
PUBLIC_ROUTES |= {path: ("todo-api", 80) for path in WEB_ROUTES}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _where(doc):
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def _metadata_map(component):
    return {m.get("name"): m for m in component.get("spec", {}).get("metadata") or []}


def check_structure(docs, sources):
    """Every document: identified, named, and valid against its schema."""
    errors = []
    for doc in docs:
        if not isinstance(doc, dict) or not doc.get("apiVersion") or not doc.get("kind"):
            errors.append(f"a document without apiVersion/kind: {str(doc)[:80]}")
            continue
        where = _where(doc)
        meta = doc.get("metadata") or {}
        if not DNS_LABEL.match(str(meta.get("name", ""))):
            errors.append(f"{where}: metadata.name must be a DNS label")
        for field in ("labels", "annotations"):
            for key, value in (meta.get(field) or {}).items():
                if not isinstance(value, str):
                    errors.append(f"{where}: metadata.{field}.{key} must be a string")
        api_group = doc["apiVersion"].split("/")[0] if "/" in doc["apiVersion"] else ""
        if api_group == "dapr.io":
            found = sources.validate_crd(doc)
            errors += [f"{where}: {e}" for e in (found if found is not None else ["no Dapr CRD for it"])]
        elif api_group == "core.spinkube.dev":
            errors += [f"{where}: {e}" for e in _spinapp_schema(doc)]
        elif api_group in ("monitoring.coreos.com", "cloud.google.com"):
            errors += [f"{where}: {e}" for e in _third_party_shape(doc)]
        else:
            errors += [f"{where}: {e}" for e in sources.validate_builtin(doc)]
    return errors


def _spinapp_schema(doc):
    errors = []
    if doc["apiVersion"] != "core.spinkube.dev/v1alpha1" or doc["kind"] != "SpinApp":
        return [f"unknown SpinKube resource {doc['apiVersion']} {doc['kind']}"]
    spec = doc.get("spec") or {}
    errors += [f"spec.{k}: not a SpinApp field" for k in sorted(set(spec) - SPINAPP_SPEC_FIELDS)]
    if not isinstance(spec.get("image"), str) or not spec.get("image"):
        errors.append("spec.image is required")
    if not isinstance(spec.get("replicas", 1), int) or spec.get("replicas", 1) < 1:
        errors.append("spec.replicas must be a positive integer")
    for probe_name, probe in (spec.get("checks") or {}).items():
        if probe_name not in ("readiness", "liveness"):
            errors.append(f"spec.checks.{probe_name}: not a SpinApp check")
            continue
        errors += [f"spec.checks.{probe_name}.{k}: not a probe field"
                   for k in sorted(set(probe) - SPINAPP_PROBE_FIELDS)]
        if not str((probe.get("httpGet") or {}).get("path", "")).startswith("/"):
            errors.append(f"spec.checks.{probe_name}.httpGet.path must be a path")
    for field in ("podAnnotations", "podLabels", "serviceAnnotations", "deploymentAnnotations"):
        for key, value in (spec.get(field) or {}).items():
            if not isinstance(value, str):
                errors.append(f"spec.{field}.{key} must be a string")
    return errors


def _third_party_shape(doc):
    spec = doc.get("spec") or {}
    kind = doc["kind"]
    if kind == "PodMonitor":
        ok = spec.get("selector") and all(e.get("port") for e in spec.get("podMetricsEndpoints") or [{}])
    elif kind == "ServiceMonitor":
        ok = spec.get("selector") and all(e.get("port") for e in spec.get("endpoints") or [{}])
    elif kind == "BackendConfig":
        ok = isinstance(spec.get("healthCheck", {}).get("requestPath"), str)
    else:
        return [f"unknown kind {doc['apiVersion']} {kind}"]
    return [] if ok else [f"{kind} lacks its selector/endpoints/health check"]


def _dapr_annotations(where, annotations, app_id, app_port, config_name, sources):
    errors = []
    expected = {
        "dapr.io/enabled": "true",
        "dapr.io/app-id": app_id,
        "dapr.io/app-port": app_port,
        "dapr.io/config": config_name,
    }
    for key, value in expected.items():
        if annotations.get(key) != value:
            errors.append(f"{where}: pod annotation {key} must be {value!r}, is {annotations.get(key)!r}")
    for key in annotations:
        if key.startswith("dapr.io/") and key not in sources.dapr_annotations:
            errors.append(f"{where}: {key} is not an annotation the Dapr injector knows")
    return errors


def check_workloads(docs, sources):
    """The four wasm services (SpinApps, or wasmtime Deployments) and the
    realtime Deployment, each with its sidecar."""
    errors = []
    configs = [d for d in docs if d.get("kind") == "Configuration"]
    config_name = configs[0]["metadata"]["name"] if len(configs) == 1 else None
    if config_name is None:
        errors.append("exactly one Dapr Configuration is expected")
    spin_apps = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "SpinApp"}
    wasmtime = {
        d["metadata"]["name"]: d for d in docs
        if d.get("kind") == "Deployment" and d["metadata"]["name"] in SPIN_APPS
    }
    accounts = set()
    # runtime: spin renders SpinApps; runtime: wasmtime plain Deployments.
    if wasmtime and not spin_apps:
        errors += _check_wasmtime(docs, wasmtime, config_name, sources, accounts)
    elif sorted(spin_apps) != sorted(SPIN_APPS) or wasmtime:
        errors.append(f"SpinApps must be {sorted(SPIN_APPS)} (or wasmtime Deployments of them, not both), "
                      f"are {sorted(spin_apps)} and {sorted(wasmtime)}")
    for name, app in spin_apps.items():
        spec = app.get("spec") or {}
        where = f"SpinApp/{name}"
        if spec.get("executor") != SPIN_EXECUTOR:
            errors.append(f"{where}: executor must be {SPIN_EXECUTOR}")
        if spec.get("components") != [name]:
            errors.append(f"{where}: must run only its own component ([{name}])")
        if (spec.get("checks", {}).get("readiness", {}).get("httpGet", {}).get("path")) != "/healthz":
            errors.append(f"{where}: readiness must be GET /healthz")
        errors += _dapr_annotations(where, spec.get("podAnnotations") or {}, name, SPIN_APP_PORT,
                                    config_name, sources)
        accounts.add(spec.get("serviceAccountName", "default"))
    errors += _check_realtime(docs, config_name, sources, accounts)
    errors += _check_secret_access(docs, accounts)
    errors += _check_app_token(docs)
    return errors


def _check_app_token(docs):
    """Every sidecar sends the app API token (dapr.io/app-token-secret names a
    rendered Secret with key `token`), and every app container that runs
    with the pod's environment (wasmtime, realtime) reads the same value as
    APP_API_TOKEN; SpinApps read it through the secret store instead."""
    errors = []
    secrets = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Secret"}
    pods = [(f"SpinApp/{d['metadata']['name']}", d["spec"].get("podAnnotations") or {}, None)
            for d in docs if d.get("kind") == "SpinApp"]
    pods += [(f"Deployment/{d['metadata']['name']}", d["spec"]["template"]["metadata"].get("annotations") or {},
              d["spec"]["template"]["spec"]["containers"])
             for d in docs if d.get("kind") == "Deployment"]
    for where, annotations, containers in pods:
        name = annotations.get("dapr.io/app-token-secret")
        if not name or "token" not in (secrets.get(name, {}).get("data") or {}):
            errors.append(f"{where}: dapr.io/app-token-secret must name a Secret of the chart with key token")
            continue
        for container in containers or []:
            ref = next((e.get("valueFrom", {}).get("secretKeyRef") for e in container.get("env") or []
                        if e.get("name") == "APP_API_TOKEN"), None)
            if ref != {"name": name, "key": "token"}:
                errors.append(f"{where}: container {container['name']} must read APP_API_TOKEN from "
                              f"Secret {name} key token (what its daprd sends)")
    return errors


def _check_wasmtime(docs, deployments, config_name, sources, accounts):
    """runtime: wasmtime: per service a Deployment serving its own component,
    with the same sidecar and probes as its SpinApp, and a Service on 80."""
    errors = []
    if sorted(deployments) != sorted(SPIN_APPS):
        errors.append(f"wasmtime Deployments must be {sorted(SPIN_APPS)}, are {sorted(deployments)}")
    for name, deployment in deployments.items():
        where = f"Deployment/{name}"
        pod = deployment["spec"]["template"]
        containers = pod["spec"]["containers"]
        if len(containers) != 1:
            errors.append(f"{where}: one container (wasmtime) is expected; daprd is injected")
            continue
        container = containers[0]
        args = container.get("args") or []
        if not args or args[0] != "serve" or args[-1] != f"/app/{name}.cwasm":
            errors.append(f"{where}: must run `wasmtime serve` of its own component (/app/{name}.cwasm)")
        addr = args[args.index("--addr") + 1] if "--addr" in args[:-1] else ""
        port = addr.rpartition(":")[2]
        ports = {str(p.get("containerPort")): p.get("name") for p in container.get("ports") or []}
        if port not in ports:
            errors.append(f"{where}: wasmtime must listen on a declared container port")
        jwt = next((e.get("valueFrom", {}).get("secretKeyRef") for e in container.get("env") or []
                    if e.get("name") == "JWT_SECRET"), None)
        if jwt != {"name": JWT_SECRET, "key": JWT_SECRET} or "JWT_SECRET" not in args:
            errors.append(f"{where}: wasmtime must pass JWT_SECRET on (--env JWT_SECRET), read from Secret "
                          f"{JWT_SECRET} key {JWT_SECRET}, or every request reads the secret store")
        probe = container.get("readinessProbe", {}).get("httpGet", {})
        if probe.get("path") != "/healthz" or probe.get("port") not in (ports.get(port), int(port or 0)):
            errors.append(f"{where}: readiness must be GET /healthz on the served port")
        security = pod["spec"].get("securityContext") or {}
        if security.get("runAsNonRoot") is not True:
            errors.append(f"{where}: the pod must run as non-root")
        errors += _dapr_annotations(where, pod["metadata"].get("annotations") or {}, name, port,
                                    config_name, sources)
        accounts.add(pod["spec"].get("serviceAccountName", "default"))
        labels = pod["metadata"].get("labels") or {}
        services = [d for d in docs if d.get("kind") == "Service" and d["metadata"]["name"] == name]
        if len(services) != 1 or not services[0]["spec"].get("selector") or any(
            labels.get(k) != v for k, v in services[0]["spec"]["selector"].items()
        ) or not any(p.get("port") == 80 for p in services[0]["spec"].get("ports") or []):
            errors.append(f"Service/{name} must select the {name} pods on port 80 (as SpinKube's operator does)")
    return errors


def _check_realtime(docs, config_name, sources, accounts):
    deployments = [d for d in docs if d.get("kind") == "Deployment" and d["metadata"]["name"] == "realtime"]
    if len(deployments) != 1:
        return ["exactly one realtime Deployment is expected"]
    where = "Deployment/realtime"
    pod = deployments[0]["spec"]["template"]
    annotations = pod["metadata"].get("annotations") or {}
    containers = {c["name"]: c for c in pod["spec"]["containers"]}
    container = containers.get("realtime")
    if container is None:
        return [f"{where}: no container named realtime"]
    env = {e["name"]: e for e in container.get("env") or []}
    app_port = env.get("APP_PORT", {}).get("value", "7081")
    errors = _dapr_annotations(where, annotations, "realtime", app_port, config_name, sources)
    field = env.get("POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
    if field != "metadata.name":
        errors.append(f"{where}: POD_NAME must come from the downward API (metadata.name)")
    ws_port = env.get("REALTIME_WS_ADDR", {}).get("value", "").rpartition(":")[2]
    ports = {str(p.get("containerPort")): p.get("name") for p in container.get("ports") or []}
    if not ws_port or ws_port not in ports:
        errors.append(f"{where}: REALTIME_WS_ADDR must listen on a declared container port")
    probe = container.get("readinessProbe", {}).get("httpGet", {})
    if probe.get("path") != "/healthz" or probe.get("port") not in (ports.get(ws_port), int(ws_port or 0)):
        errors.append(f"{where}: readiness must be GET /healthz on the public port")
    if annotations.get("prometheus.io/scrape") == "true" and annotations.get("prometheus.io/port") != ws_port:
        errors.append(f"{where}: prometheus.io/port must be the public port serving /metrics")
    accounts.add(pod["spec"].get("serviceAccountName", "default"))
    services = [d for d in docs if d.get("kind") == "Service" and d["metadata"]["name"] == "realtime"]
    labels = pod["metadata"].get("labels") or {}
    if len(services) != 1 or not services[0]["spec"].get("selector") or any(
        labels.get(k) != v for k, v in services[0]["spec"]["selector"].items()
    ):
        errors.append("Service/realtime must select the realtime pods")
    return errors


def _check_secret_access(docs, accounts):
    errors = []
    secrets = [d for d in docs if d.get("kind") == "Secret" and d["metadata"]["name"] == JWT_SECRET]
    try:
        value = base64.b64decode(secrets[0]["data"][JWT_SECRET], validate=True)
        if len(value) < 32:
            errors.append(f"Secret/{JWT_SECRET}: the signing secret must be at least 32 bytes")
    except (IndexError, KeyError, TypeError, ValueError):
        errors.append(f"a Secret {JWT_SECRET} with base64 key {JWT_SECRET} is expected")
    roles = {
        d["metadata"]["name"]: d for d in docs
        if d.get("kind") == "Role" and any(
            "secrets" in r.get("resources", []) and "get" in r.get("verbs", [])
            and JWT_SECRET in r.get("resourceNames", [JWT_SECRET])
            for r in d.get("rules") or [])
    }
    bound = {
        s.get("name") for d in docs
        if d.get("kind") == "RoleBinding" and d.get("roleRef", {}).get("name") in roles
        for s in d.get("subjects") or [] if s.get("kind") == "ServiceAccount"
    }
    for account in sorted(accounts - bound):
        errors.append(f"ServiceAccount {account} cannot read Secret {JWT_SECRET} (daprd's secret store needs it)")
    return errors


def check_dapr_semantics(docs, local_docs, sources):
    """Components, Resiliency and Configuration mean what dapr/ means locally."""
    errors = []
    rendered = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "Component"}
    local = {d["metadata"]["name"]: d for d in local_docs if d.get("kind") == "Component"}
    for name in sorted(set(local) - set(rendered)):
        errors.append(f"Component/{name} exists in dapr/ but not in the chart")
    for name in sorted(set(rendered) - set(local) - OPTIONAL_COMPONENTS):
        errors.append(f"Component/{name} is in the chart but not in dapr/ (the local stack lacks it)")
    errors += _check_chat_model(rendered.get(CHAT_MODEL))
    for name in sorted(set(local) & set(rendered)):
        errors += _compare_component(rendered[name], local[name])
    for component in rendered.values():
        errors += _component_metadata(component, sources)
    errors += _compare_spec(docs, local_docs, "Resiliency", lambda spec: spec)
    errors += _compare_spec(docs, local_docs, "Configuration", _platform_neutral)
    return errors


def _check_chat_model(component):
    """The chat model, when rendered: a conversation component todo-api's
    sidecar loads (todo-api asks the component named chat-model)."""
    if component is None:
        return []
    where = f"Component/{CHAT_MODEL}"
    errors = []
    if not component["spec"]["type"].startswith("conversation."):
        errors.append(f"{where}: must be a conversation.* component, is {component['spec']['type']}")
    if component.get("scopes") != ["todo-api"]:
        errors.append(f"{where}: must be scoped to todo-api alone, is {component.get('scopes')}")
    return errors


def _compare_component(chart, local):
    where = f"Component/{chart['metadata']['name']}"
    errors = []
    chart_type, local_type = chart["spec"]["type"], local["spec"]["type"]
    if chart_type != local_type and chart_type not in PLATFORM_TYPES.get(local_type, set()):
        errors.append(f"{where}: type {chart_type} does not stand for the local {local_type}")
    if sorted(chart.get("scopes") or []) != sorted(local.get("scopes") or []):
        errors.append(f"{where}: scopes {chart.get('scopes')} differ from dapr/'s {local.get('scopes')}")
    if chart_type == local_type:
        chart_meta, local_meta = _metadata_map(chart), _metadata_map(local)
        for key in sorted((set(chart_meta) | set(local_meta)) - CONNECTION_METADATA):
            mine = chart_meta.get(key, {}).get("value", DEFAULT_METADATA.get(key))
            theirs = local_meta.get(key, {}).get("value", DEFAULT_METADATA.get(key))
            if str(mine) != str(theirs):
                errors.append(f"{where}: metadata {key} is {mine!r}, dapr/ has {theirs!r}")
    if chart_type.startswith("state."):
        if _metadata_map(chart).get("actorStateStore", {}).get("value") != "false":
            errors.append(f"{where}: a state store must set actorStateStore \"false\"")
    return errors


def _component_metadata(component, sources):
    where = f"Component/{component['metadata']['name']}"
    spec = component["spec"]
    accepted = sources.component_metadata(spec["type"], spec["version"])
    if accepted is None:
        return [f"{where}: unknown component type {spec['type']} {spec['version']}"]
    errors = []
    for item in spec.get("metadata") or []:
        name = item.get("name")
        if name not in accepted:
            errors.append(f"{where}: {spec['type']} has no metadata {name!r}")
            continue
        if ("value" in item) == ("secretKeyRef" in item):
            errors.append(f"{where}: metadata {name} needs exactly one of value or secretKeyRef")
        allowed = accepted[name]
        if allowed is not None and "value" in item and str(item["value"]) not in allowed:
            errors.append(f"{where}: metadata {name}={item['value']!r} is not one of {sorted(allowed)}")
        if "secretKeyRef" in item and not item["secretKeyRef"].get("key"):
            errors.append(f"{where}: metadata {name} names a Secret but no key in it")
    return errors


def _platform_neutral(spec):
    # Where spans go and how app-ids resolve are platform choices (locally a
    # per-stack resolver template, on Kubernetes its default resolver);
    # sampling, metrics and features are not.
    spec = {k: v for k, v in spec.items() if k != "nameResolution"}
    spec["tracing"] = {k: v for k, v in (spec.get("tracing") or {}).items() if k not in ("otel", "zipkin")}
    return spec


def _compare_spec(docs, local_docs, kind, normalise):
    chart = [d for d in docs if d.get("kind") == kind]
    local = [d for d in local_docs if d.get("kind") == kind]
    if len(chart) != 1 or len(local) != 1:
        return [f"exactly one {kind} is expected in the chart and in dapr/"]
    difference = _first_difference(normalise(chart[0]["spec"]), normalise(local[0]["spec"]), "spec")
    if difference:
        return [f"{kind}: the chart's spec differs from dapr/'s at {difference}"]
    return []


def _first_difference(mine, theirs, path):
    """The path of the first value that differs, or None."""
    if isinstance(mine, dict) and isinstance(theirs, dict):
        for key in sorted(set(mine) | set(theirs), key=str):
            found = _first_difference(mine.get(key), theirs.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if mine != theirs:
        return f"{path} ({mine!r} here, {theirs!r} in dapr/)"
    return None


def check_ingress(docs):
    """Only the public API and the WebSocket are reachable from outside."""
    errors = []
    for ingress in (d for d in docs if d.get("kind") == "Ingress"):
        for rule in ingress["spec"].get("rules") or []:
            for path in rule.get("http", {}).get("paths") or []:
                expected = PUBLIC_ROUTES.get(path.get("path"))
                service = path.get("backend", {}).get("service", {})
                port = service.get("port", {})
                actual = (service.get("name"), port.get("number", port.get("name")))
                if expected != actual:
                    errors.append(f"Ingress/{ingress['metadata']['name']}: {path.get('path')} -> {actual} "
                                  f"is not one of the public routes {PUBLIC_ROUTES}")
                if path.get("path") == "/" and path.get("pathType") != "Exact":
                    errors.append(f"Ingress/{ingress['metadata']['name']}: / must be pathType Exact, "
                                  "or every internal path of todo-api is public")
    return errors


def check_all(docs, local_docs, sources):
    return (check_structure(docs, sources) + check_workloads(docs, sources)
            + check_dapr_semantics(docs, local_docs, sources) + check_ingress(docs))
