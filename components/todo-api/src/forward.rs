//! Public paths served by other services, reached by Dapr service
//! invocation so that clients keep one origin. The caller's credentials go
//! along; the callee checks them again.

use service_kit::{Incoming, Problem, Response};

use service_kit::Ctx;

pub async fn to(ctx: &Ctx, app_id: &str, req: &Incoming) -> Result<Response, Problem> {
    let headers: Vec<_> = [http::header::AUTHORIZATION, http::header::CONTENT_TYPE]
        .into_iter()
        .filter_map(|name| req.headers.get(&name).map(|v| (name, v.clone())))
        .collect();
    let response = ctx
        .dapr
        .invoke(
            app_id,
            req.method.clone(),
            &req.path_and_query(),
            &headers,
            req.body.clone(),
        )
        .await
        .map_err(Problem::unavailable)?;
    if response.status().is_server_error()
        && response.status() != http::StatusCode::SERVICE_UNAVAILABLE
    {
        // Dapr answers 500 when the target app cannot be reached.
        return Err(Problem::unavailable(format!(
            "{app_id} answered {}: {}",
            response.status(),
            String::from_utf8_lossy(response.body())
        )));
    }
    Ok(response)
}

/// A notification id as the notifier makes them (`t12-r1-o1-1767225600`:
/// task, reminder, occurrence, time), checked before it is forwarded: any
/// other segment is a 404 here, and never reaches the sidecar, which cannot
/// forward every byte a client may put in a path.
pub fn notification_id(id: &str) -> Result<(), Problem> {
    if is_notification_id(id) {
        Ok(())
    } else {
        Err(Problem::not_found(format!(
            "no notification '{}'; ids look like t12-r1-o1-1767225600 (see GET /notifications)",
            id.escape_debug()
        )))
    }
}

/// `t<1-20 digits>-r<1-10 digits>-o<1-10 digits>-<optional -><1-19 digits>`,
/// the pattern of `notification_id` in the OpenAPI document.
fn is_notification_id(id: &str) -> bool {
    fn digits(s: &str, max: usize) -> bool {
        (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    }
    let Some(rest) = id.strip_prefix('t') else {
        return false;
    };
    let mut parts = rest.splitn(4, '-');
    let (Some(task), Some(reminder), Some(occurrence), Some(at)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    digits(task, 20)
        && reminder.strip_prefix('r').is_some_and(|r| digits(r, 10))
        && occurrence.strip_prefix('o').is_some_and(|o| digits(o, 10))
        && digits(at.strip_prefix('-').unwrap_or(at), 19)
}

#[cfg(test)]
mod tests {
    use super::is_notification_id;

    #[test]
    fn notification_ids_are_recognised_by_their_shape() {
        for good in ["t1-r1-o1-1767225600", "t12-r3-o2--86400", "t1-r0-o1-0"] {
            assert!(is_notification_id(good), "{good}");
        }
        for bad in [
            "",
            "t1-r1-o1",
            "x1-r1-o1-5",
            "t1-r1-o1-5-6",
            "t1-r1-o1-\u{16}",
            "t-r1-o1-5",
            "t1-r1-o1--",
            "t1-r1-o1-+5",
            "\u{c0}\u{ee}",
        ] {
            assert!(!is_notification_id(bad), "{bad:?}");
        }
    }
}
