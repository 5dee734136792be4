use serde::Serialize;

/// A Dapr job (`POST /v1.0/jobs/{name}`). Exactly one of `due_time`
/// (one-shot) or `schedule` (repeating) should be set. Dapr ignores unknown
/// fields silently, so the names here are pinned by a test.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// When a one-shot job fires: RFC 3339 time or a duration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_time: Option<String>,
    /// A repeating schedule: 6-field cron or `@every 10s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Delivered as the body of `POST /job/{name}`.
    pub data: serde_json::Value,
    /// Replace an existing job of the same name instead of failing.
    pub overwrite: bool,
    /// What Dapr does when the app does not answer 2xx.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_policy: Option<FailurePolicy>,
}

/// Retry behaviour of a job whose trigger fails.
#[derive(Clone, Debug, Serialize)]
pub enum FailurePolicy {
    /// Retry every `interval` (Go duration) up to `maxRetries` times.
    #[serde(rename = "constant")]
    Constant {
        /// Go duration between attempts, e.g. `1s`.
        interval: String,
        /// Attempts after the first.
        #[serde(rename = "maxRetries")]
        max_retries: u32,
    },
}

impl Job {
    /// A job that fires once at `due_time` (RFC 3339), replacing any job of
    /// the same name, retried every second for up to a minute.
    pub fn once_at(due_time: String, data: serde_json::Value) -> Self {
        Self {
            due_time: Some(due_time),
            data,
            overwrite: true,
            failure_policy: Some(FailurePolicy::Constant {
                interval: "1s".into(),
                max_retries: 60,
            }),
            ..Self::default()
        }
    }

    /// A job that fires on `schedule` forever, replacing any job of the same name.
    pub fn repeating(schedule: impl Into<String>, data: serde_json::Value) -> Self {
        Self {
            schedule: Some(schedule.into()),
            data,
            overwrite: true,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_shot_job_uses_dapr_field_names() {
        let job = Job::once_at("2026-01-01T00:00:00Z".into(), serde_json::json!({"t": 1}));
        assert_eq!(
            serde_json::to_value(&job).unwrap(),
            serde_json::json!({
                "dueTime": "2026-01-01T00:00:00Z",
                "data": {"t": 1},
                "overwrite": true,
                "failurePolicy": {"constant": {"interval": "1s", "maxRetries": 60}}
            })
        );
    }
}
