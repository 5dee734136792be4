"""The checks catch what they are for: the chart's real rendering passes,
and each kind of breakage, applied to a copy of it, is reported.

Run by scripts/lib/helm.sh (helm_check) with the environment it sets up:
TODO_RENDERED (a rendered chart), TODO_RENDERED_WASMTIME (the same with
runtime: wasmtime), DAPR_SRC, CONTRIB_SRC, LOCAL_DAPR,
KUBE_VERSION.
"""

import copy
import os
import unittest

import rules
import validate
from schemas import Sources


def _env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set; run these tests through scripts/lib/helm.sh (helm_check)")
    return value


class RenderedChart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sources = Sources(_env("DAPR_SRC"), _env("CONTRIB_SRC"), _env("KUBE_VERSION"))
        cls.local = validate.load_local_dapr(_env("LOCAL_DAPR"))
        cls.rendered = validate.load_documents(_env("TODO_RENDERED"))

    def errors_after(self, mutate):
        docs = copy.deepcopy(self.rendered)
        mutate(docs)
        return rules.check_all(docs, self.local, self.sources)

    def assert_reported(self, mutate, fragment):
        errors = self.errors_after(mutate)
        self.assertTrue(any(fragment in e for e in errors), f"expected an error with {fragment!r}, got {errors}")

    def find(self, docs, kind, name):
        return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)

    def set_metadata(self, docs, component, name, value):
        for item in self.find(docs, "Component", component)["spec"]["metadata"]:
            if item["name"] == name:
                item["value"] = value

    def test_the_rendered_chart_passes(self):
        self.assertEqual(self.errors_after(lambda docs: None), [])

    def test_a_spin_app_without_its_app_id_is_reported(self):
        def mutate(docs):
            del self.find(docs, "SpinApp", "notifier")["spec"]["podAnnotations"]["dapr.io/app-id"]
        self.assert_reported(mutate, "SpinApp/notifier: pod annotation dapr.io/app-id")

    def test_a_misspelt_dapr_annotation_is_reported(self):
        def mutate(docs):
            self.find(docs, "SpinApp", "audit")["spec"]["podAnnotations"]["dapr.io/app-health-path"] = "/healthz"
        self.assert_reported(mutate, "dapr.io/app-health-path is not an annotation the Dapr injector knows")

    def test_an_unknown_spin_app_field_is_reported(self):
        def mutate(docs):
            self.find(docs, "SpinApp", "todo-api")["spec"]["replica"] = 2
        self.assert_reported(mutate, "spec.replica: not a SpinApp field")

    def test_a_missing_spin_app_is_reported(self):
        def mutate(docs):
            docs.remove(self.find(docs, "SpinApp", "recurring"))
        self.assert_reported(mutate, "SpinApps must be")

    def test_the_wasmtime_rendering_passes_and_a_swapped_component_is_reported(self):
        docs = validate.load_documents(_env("TODO_RENDERED_WASMTIME"))
        self.assertEqual(rules.check_all(docs, self.local, self.sources), [])
        container = self.find(docs, "Deployment", "notifier")["spec"]["template"]["spec"]["containers"][0]
        container["args"][-1] = "/app/audit.cwasm"
        errors = rules.check_all(docs, self.local, self.sources)
        self.assertTrue(any("Deployment/notifier: must run `wasmtime serve` of its own component" in e
                            for e in errors), errors)

    def test_a_wasmtime_service_without_the_jwt_secret_in_its_environment_is_reported(self):
        docs = validate.load_documents(_env("TODO_RENDERED_WASMTIME"))
        container = self.find(docs, "Deployment", "audit")["spec"]["template"]["spec"]["containers"][0]
        container["env"] = [e for e in container["env"] if e["name"] != "JWT_SECRET"]
        errors = rules.check_all(docs, self.local, self.sources)
        self.assertTrue(any("Deployment/audit: wasmtime must pass JWT_SECRET on" in e for e in errors), errors)

    def test_a_chat_model_that_is_no_conversation_component_is_reported(self):
        def mutate(docs):
            model = copy.deepcopy(self.find(docs, "Component", "pubsub"))
            model["metadata"]["name"] = "chat-model"
            docs.append(model)
        self.assert_reported(mutate, "Component/chat-model: must be a conversation.* component")

    def test_a_pod_whose_app_lacks_the_sidecars_token_is_reported(self):
        def mutate(docs):
            container = self.find(docs, "Deployment", "realtime")["spec"]["template"]["spec"]["containers"][0]
            container["env"] = [e for e in container["env"] if e["name"] != "APP_API_TOKEN"]
        self.assert_reported(mutate, "Deployment/realtime: container realtime must read APP_API_TOKEN")

    def test_realtime_without_pod_name_is_reported(self):
        def mutate(docs):
            container = self.find(docs, "Deployment", "realtime")["spec"]["template"]["spec"]["containers"][0]
            container["env"] = [e for e in container["env"] if e["name"] != "POD_NAME"]
        self.assert_reported(mutate, "POD_NAME must come from the downward API")

    def test_a_deployment_field_kubernetes_does_not_know_is_reported(self):
        def mutate(docs):
            self.find(docs, "Deployment", "realtime")["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
        self.assert_reported(mutate, "Deployment/realtime: spec.template.spec.containers.0")

    def test_a_wrongly_typed_service_port_is_reported(self):
        def mutate(docs):
            self.find(docs, "Service", "realtime")["spec"]["ports"][0]["port"] = "ws"
        self.assert_reported(mutate, "Service/realtime: spec.ports.0.port")

    def test_a_component_field_outside_dapr_crd_is_reported(self):
        def mutate(docs):
            self.find(docs, "Component", "pubsub")["spec"]["metdata"] = []
        self.assert_reported(mutate, "Component/pubsub: spec")

    def test_a_kafka_metadata_name_the_component_lacks_is_reported(self):
        def mutate(docs):
            self.find(docs, "Component", "pubsub")["spec"]["metadata"].append({"name": "consumerGroupId", "value": "x"})
        self.assert_reported(mutate, "pubsub.kafka has no metadata 'consumerGroupId'")

    def test_a_kafka_value_outside_its_allowed_values_is_reported(self):
        self.assert_reported(lambda docs: self.set_metadata(docs, "pubsub", "authType", "sasl"),
                             "metadata authType='sasl' is not one of")

    def test_realtime_sharing_a_consumer_group_is_reported(self):
        self.assert_reported(lambda docs: self.set_metadata(docs, "realtime-pubsub", "consumerGroup", "realtime"),
                             "Component/realtime-pubsub: metadata consumerGroup is 'realtime'")

    def test_a_state_store_scoped_to_every_app_is_reported(self):
        def mutate(docs):
            del self.find(docs, "Component", "todo-state")["scopes"]
        self.assert_reported(mutate, "Component/todo-state: scopes")

    def test_a_component_missing_from_the_chart_is_reported(self):
        def mutate(docs):
            docs.remove(self.find(docs, "Component", "audit-state"))
        self.assert_reported(mutate, "Component/audit-state exists in dapr/ but not in the chart")

    def test_resiliency_drifting_from_the_local_one_is_reported(self):
        def mutate(docs):
            self.find(docs, "Resiliency", "resiliency")["spec"]["policies"]["timeouts"]["publish"] = "30s"
        self.assert_reported(mutate, "Resiliency: the chart's spec differs")

    def test_tracing_sampled_differently_is_reported(self):
        def mutate(docs):
            next(d for d in docs if d["kind"] == "Configuration")["spec"]["tracing"]["samplingRate"] = "0.1"
        self.assert_reported(mutate, "Configuration: the chart's spec differs")

    def test_pods_that_cannot_read_the_jwt_secret_are_reported(self):
        def mutate(docs):
            docs[:] = [d for d in docs if d["kind"] != "RoleBinding"]
        self.assert_reported(mutate, "cannot read Secret jwt-secret")

    def test_an_ingress_exposing_internal_paths_is_reported(self):
        def mutate(docs):
            paths = next(d for d in docs if d["kind"] == "Ingress")["spec"]["rules"][0]["http"]["paths"]
            paths.append(copy.deepcopy(paths[0]) | {"path": "/internal"})
        self.assert_reported(mutate, "/internal -> ('todo-api', 80) is not one of the public routes")

    def test_a_web_app_root_matching_every_path_is_reported(self):
        def mutate(docs):
            paths = next(d for d in docs if d["kind"] == "Ingress")["spec"]["rules"][0]["http"]["paths"]
            next(p for p in paths if p["path"] == "/")["pathType"] = "Prefix"
        self.assert_reported(mutate, "/ must be pathType Exact")


if __name__ == "__main__":
    unittest.main()
