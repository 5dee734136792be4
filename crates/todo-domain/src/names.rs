//! The names the services, the realtime shim and the tests agree on: the
//! topics (each with its dead-letter topic), the Dapr pub/sub components and
//! the state and secret stores. They must match the Dapr component files
//! (`dapr/components/*.yaml`, the Helm chart) and `docs/asyncapi.yaml`; this
//! module is the one place code reads them from.

use std::fmt;

/// A topic of the event bus. Dapr sends a message a consumer gives up on
/// (`DROP`, or retries exhausted) to the topic's [`Topic::dead_letter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Every committed change of a task ([`crate::TaskEvent`]).
    TaskEvents,
    /// What a user's devices are told ([`crate::DeviceUpdate`]).
    TaskUpdates,
    /// Reminders that came due ([`crate::ReminderDue`]).
    Reminders,
}

impl Topic {
    /// Every topic, in the order the documents list them.
    pub const ALL: [Topic; 3] = [Topic::TaskEvents, Topic::TaskUpdates, Topic::Reminders];

    /// The topic's name on the broker.
    pub const fn name(self) -> &'static str {
        match self {
            Topic::TaskEvents => "task-events",
            Topic::TaskUpdates => "task-updates",
            Topic::Reminders => "reminders",
        }
    }

    /// The topic Dapr moves this topic's undeliverable messages to.
    pub const fn dead_letter(self) -> &'static str {
        match self {
            Topic::TaskEvents => "task-events-dlq",
            Topic::TaskUpdates => "task-updates-dlq",
            Topic::Reminders => "reminders-dlq",
        }
    }

    /// The topic named `name` (not a dead-letter topic's name).
    pub fn from_name(name: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.name() == name)
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The pub/sub component the services publish and consume through.
pub const PUBSUB: &str = "pubsub";

/// The pub/sub component the realtime shim consumes `task-updates` through:
/// the same brokers, its own consumer settings (`dapr/components/realtime-pubsub.yaml`).
pub const REALTIME_PUBSUB: &str = "realtime-pubsub";

/// The secret store holding the JWT secret and the sidecar's app token.
pub const SECRET_STORE: &str = "secretstore";

/// Key of the JWT signing secret in [`SECRET_STORE`].
pub const JWT_SECRET_KEY: &str = "jwt-secret";

/// Each service's own state store: no service reads another's.
pub mod store {
    /// todo-api's tasks, outbox and indexes.
    pub const TODO_API: &str = "todo-state";
    /// notifier's scheduled jobs and notifications.
    pub const NOTIFIER: &str = "notifier-state";
    /// audit's activity log.
    pub const AUDIT: &str = "audit-state";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_is_found_by_its_name_and_only_by_it() {
        for topic in Topic::ALL {
            assert_eq!(Topic::from_name(topic.name()), Some(topic));
            assert_eq!(Topic::from_name(topic.dead_letter()), None);
            assert_eq!(topic.to_string(), topic.name());
        }
        assert_eq!(Topic::from_name("task-event"), None);
    }

    /// The names here are the ones the configuration declares: the AsyncAPI
    /// document's channels and the local Dapr component files.
    #[test]
    fn the_names_match_the_configuration() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let read = |path: &str| {
            std::fs::read_to_string(format!("{root}/{path}"))
                .unwrap_or_else(|e| panic!("{path}: {e}"))
        };
        let asyncapi = read("docs/asyncapi.yaml");
        for topic in Topic::ALL {
            for name in [topic.name(), topic.dead_letter()] {
                assert!(
                    asyncapi.contains(&format!("address: {name}\n")),
                    "docs/asyncapi.yaml has no channel {name}"
                );
            }
        }
        let components: String = std::fs::read_dir(format!("{root}/dapr/components"))
            .expect("dapr/components")
            .map(|entry| std::fs::read_to_string(entry.expect("an entry").path()).expect("a file"))
            .collect();
        for name in [
            PUBSUB,
            REALTIME_PUBSUB,
            SECRET_STORE,
            store::TODO_API,
            store::NOTIFIER,
            store::AUDIT,
        ] {
            assert!(
                components.contains(&format!("  name: {name}\n")),
                "no Dapr component named {name} in dapr/components"
            );
        }
    }

    #[test]
    fn every_dead_letter_topic_is_the_topic_with_dlq() {
        for topic in Topic::ALL {
            assert_eq!(topic.dead_letter(), format!("{}-dlq", topic.name()));
        }
    }
}
