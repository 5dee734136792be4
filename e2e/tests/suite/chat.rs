//! The chat endpoint on the real stack: every reply is checked against the
//! tasks the REST API shows, and the conversation's memory (kept in Dapr
//! state, since every request runs in a fresh component instance) carries
//! "the second one" and "it" across requests.

use anyhow::{Context, Result};
use e2e::Stack;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Sends one message and returns the answer; fails unless 200.
async fn say(stack: &Stack, user: &str, conversation: &str, message: &str) -> Result<Value> {
    stack
        .request(Method::POST, user, "/chat")
        .json(&json!({
            "message": message,
            "conversation_id": conversation,
            "timezone": "Europe/London"
        }))
        .send()
        .await?
        .expect(StatusCode::OK)
        .with_context(|| format!("saying '{message}'"))
}

async fn task_titled(stack: &Stack, user: &str, title: &str) -> Result<Value> {
    let page = stack.get_json(user, "/tasks?status=all").await?;
    page["items"]
        .as_array()
        .and_then(|items| items.iter().find(|t| t["title"] == title).cloned())
        .ok_or_else(|| anyhow::anyhow!("no task titled '{title}' in {page}"))
}

#[tokio::test]
async fn a_conversation_adds_lists_and_changes_tasks() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chat");
    let chat = "kitchen-1";

    let added = say(
        &stack,
        &user,
        chat,
        "add buy milk tomorrow at 5pm #shopping urgent",
    )
    .await?;
    assert_eq!(added["intent"], "add");
    assert!(
        added["reply"].as_str().unwrap_or("").starts_with("Added #"),
        "{added}"
    );
    let milk = task_titled(&stack, &user, "buy milk").await?;
    assert_eq!(milk["priority"], "urgent");
    assert_eq!(milk["tags"], json!(["shopping"]));
    assert_eq!(milk["timezone"], "Europe/London");
    assert!(
        milk["due_date"]
            .as_str()
            .unwrap_or("")
            .contains("T17:00:00"),
        "{milk}"
    );

    say(&stack, &user, chat, "add call the bank").await?;
    let listed = say(&stack, &user, chat, "show my tasks").await?;
    assert_eq!(listed["intent"], "list");
    let shown: Vec<&str> = listed["tasks"]
        .as_array()
        .map(|ts| ts.iter().filter_map(|t| t["title"].as_str()).collect())
        .unwrap_or_default();
    // Sorted by due date, undated last.
    assert_eq!(shown, ["buy milk", "call the bank"]);

    // "the second one" is resolved from the list kept in Dapr state.
    let done = say(&stack, &user, chat, "complete the second one").await?;
    assert_eq!(done["tasks"][0]["title"], "call the bank", "{done}");
    assert_eq!(
        task_titled(&stack, &user, "call the bank").await?["completed"],
        true
    );

    // "it" is the task touched last.
    say(&stack, &user, chat, "reopen it").await?;
    assert_eq!(
        task_titled(&stack, &user, "call the bank").await?["completed"],
        false
    );

    let moved = say(&stack, &user, chat, "move buy milk to friday at 9am").await?;
    assert_eq!(moved["intent"], "update");
    let milk = task_titled(&stack, &user, "buy milk").await?;
    assert!(
        milk["due_date"]
            .as_str()
            .unwrap_or("")
            .contains("T09:00:00"),
        "{milk}"
    );

    let deleted = say(&stack, &user, chat, "delete buy milk").await?;
    assert!(
        deleted["reply"]
            .as_str()
            .unwrap_or("")
            .starts_with("Deleted"),
        "{deleted}"
    );
    assert!(task_titled(&stack, &user, "buy milk").await.is_err());
    Ok(())
}

#[tokio::test]
async fn another_conversation_has_its_own_memory() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chat");
    say(&stack, &user, "first", "add water plants").await?;
    say(&stack, &user, "first", "list tasks").await?;
    let elsewhere = say(&stack, &user, "second", "complete the first one").await?;
    assert!(
        elsewhere["reply"]
            .as_str()
            .unwrap_or("")
            .starts_with("I couldn't find"),
        "{elsewhere}"
    );
    assert_eq!(
        task_titled(&stack, &user, "water plants").await?["completed"],
        false
    );
    Ok(())
}

#[tokio::test]
async fn unclear_or_ambiguous_messages_are_answered_not_guessed() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chat");
    let chat = "c";
    say(&stack, &user, chat, "add buy milk").await?;
    say(&stack, &user, chat, "add buy bread").await?;
    let which = say(&stack, &user, chat, "complete buy").await?;
    assert!(
        which["reply"]
            .as_str()
            .unwrap_or("")
            .starts_with("Which one"),
        "{which}"
    );
    // The choice offered becomes the list "the first one" refers to.
    say(&stack, &user, chat, "complete the first one").await?;
    assert_eq!(
        task_titled(&stack, &user, "buy milk").await?["completed"],
        true
    );

    // A bare phrase with nothing else in it: asked, not added.
    let bare = say(&stack, &user, chat, "the weather is nice").await?;
    assert_eq!(bare["intent"], "ask", "{bare}");
    assert_eq!(bare["question"], "confirm_add", "{bare}");
    assert!(
        task_titled(&stack, &user, "the weather is nice")
            .await
            .is_err()
    );
    let no = say(&stack, &user, chat, "no").await?;
    assert_eq!(no["intent"], "no");
    assert!(
        task_titled(&stack, &user, "the weather is nice")
            .await
            .is_err()
    );

    let empty_title = say(&stack, &user, chat, "add tomorrow").await?;
    assert_eq!(empty_title["question"], "title", "{empty_title}");
    assert!(
        empty_title["reply"]
            .as_str()
            .unwrap_or("")
            .contains("called"),
        "{empty_title}"
    );
    // The answer completes the message the question was about.
    let named = say(&stack, &user, chat, "water the plants").await?;
    assert_eq!(named["intent"], "add", "{named}");
    let plants = task_titled(&stack, &user, "water the plants").await?;
    assert!(plants["due_date"].is_string(), "{plants}");

    let hour = say(&stack, &user, chat, "add call bob at 7").await?;
    assert_eq!(hour["question"], "am_pm", "{hour}");
    assert!(task_titled(&stack, &user, "call bob").await.is_err());
    say(&stack, &user, chat, "pm").await?;
    let bob = task_titled(&stack, &user, "call bob").await?;
    assert!(
        bob["due_date"].as_str().unwrap_or("").contains("T19:00:00"),
        "{bob}"
    );

    let offer = say(&stack, &user, chat, "buy stamps").await?;
    assert_eq!(offer["question"], "confirm_add", "{offer}");
    say(&stack, &user, chat, "yes").await?;
    task_titled(&stack, &user, "buy stamps").await?;
    Ok(())
}

#[tokio::test]
async fn everyday_forms_repeats_reminders_and_subtasks() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chat");
    let chat = "forms";

    let call = say(&stack, &user, chat, "remind me to call mom in 2 hours").await?;
    assert_eq!(call["intent"], "add", "{call}");
    assert_eq!(call["understood_by"], "grammar");
    let mom = task_titled(&stack, &user, "call mom").await?;
    assert!(mom["due_date"].is_string(), "{mom}");
    assert_eq!(mom["reminders"][0]["before_due"], "PT0S", "{mom}");

    say(
        &stack,
        &user,
        chat,
        "pay rent every month on the 1st at 9am remind me 1 day before",
    )
    .await?;
    let rent = task_titled(&stack, &user, "pay rent").await?;
    assert_eq!(rent["recurrence"]["frequency"], "monthly", "{rent}");
    assert_eq!(rent["recurrence"]["by_month_day"], json!([1]), "{rent}");
    assert_eq!(rent["reminders"][0]["before_due"], "P1D", "{rent}");
    let due = rent["due_date"].as_str().unwrap_or("");
    assert!(due.contains("-01T09:00:00"), "{rent}");

    say(
        &stack,
        &user,
        chat,
        "add gym every monday wednesday and friday at 7am",
    )
    .await?;
    let gym = task_titled(&stack, &user, "gym").await?;
    assert_eq!(
        gym["recurrence"]["by_day"],
        json!(["MO", "WE", "FR"]),
        "{gym}"
    );

    let party = say(
        &stack,
        &user,
        chat,
        "add plan party with subtasks buy cake, send invites and book venue",
    )
    .await?;
    assert_eq!(party["tasks"].as_array().map(Vec::len), Some(4), "{party}");
    let parent = task_titled(&stack, &user, "plan party").await?;
    for title in ["buy cake", "send invites", "book venue"] {
        let child = task_titled(&stack, &user, title).await?;
        assert_eq!(child["parent_task_id"], parent["id"], "{child}");
    }
    say(
        &stack,
        &user,
        chat,
        "add the subtask book a dj to plan party",
    )
    .await?;
    let dj = task_titled(&stack, &user, "book a dj").await?;
    assert_eq!(dj["parent_task_id"], parent["id"], "{dj}");
    Ok(())
}

#[tokio::test]
async fn bulk_changes_wait_for_yes_and_undo_takes_back_the_last_change() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chat");
    let chat = "bulk";
    for message in [
        "add buy milk #shopping",
        "add buy bread #shopping",
        "add file taxes",
    ] {
        say(&stack, &user, chat, message).await?;
    }

    let asked = say(&stack, &user, chat, "complete all shopping tasks").await?;
    assert_eq!(asked["intent"], "bulk", "{asked}");
    assert_eq!(asked["question"], "confirm_bulk", "{asked}");
    assert_eq!(asked["tasks"].as_array().map(Vec::len), Some(2), "{asked}");
    assert_eq!(
        task_titled(&stack, &user, "buy milk").await?["completed"],
        false
    );
    say(&stack, &user, chat, "no").await?;
    assert_eq!(
        task_titled(&stack, &user, "buy milk").await?["completed"],
        false
    );
    // "yes" with nothing waiting changes nothing.
    let idle = say(&stack, &user, chat, "yes").await?;
    assert!(
        idle["tasks"].as_array().is_some_and(Vec::is_empty),
        "{idle}"
    );
    assert_eq!(
        task_titled(&stack, &user, "buy milk").await?["completed"],
        false
    );

    say(&stack, &user, chat, "complete all shopping tasks").await?;
    let done = say(&stack, &user, chat, "yes").await?;
    assert_eq!(done["tasks"].as_array().map(Vec::len), Some(2), "{done}");
    for title in ["buy milk", "buy bread"] {
        assert_eq!(task_titled(&stack, &user, title).await?["completed"], true);
    }
    assert_eq!(
        task_titled(&stack, &user, "file taxes").await?["completed"],
        false
    );

    let today = say(&stack, &user, chat, "what did I do today").await?;
    let titles: Vec<&str> = today["tasks"]
        .as_array()
        .map(|ts| ts.iter().filter_map(|t| t["title"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(titles.len(), 2, "{today}");
    assert!(titles.contains(&"buy milk") && titles.contains(&"buy bread"));

    let undone = say(&stack, &user, chat, "undo").await?;
    assert_eq!(undone["intent"], "undo", "{undone}");
    for title in ["buy milk", "buy bread"] {
        assert_eq!(task_titled(&stack, &user, title).await?["completed"], false);
    }
    let again = say(&stack, &user, chat, "undo").await?;
    assert!(
        again["reply"]
            .as_str()
            .unwrap_or("")
            .contains("nothing to undo"),
        "{again}"
    );

    say(&stack, &user, chat, "delete file taxes").await?;
    assert!(task_titled(&stack, &user, "file taxes").await.is_err());
    say(&stack, &user, chat, "undo").await?;
    task_titled(&stack, &user, "file taxes").await?;

    // Several tasks by number: changed at once, and undone at once.
    let milk = task_titled(&stack, &user, "buy milk").await?["id"].clone();
    let bread = task_titled(&stack, &user, "buy bread").await?["id"].clone();
    let both = format!("mark #{milk} and #{bread} as done");
    let marked = say(&stack, &user, chat, &both).await?;
    assert_eq!(
        marked["tasks"].as_array().map(Vec::len),
        Some(2),
        "{marked}"
    );
    for title in ["buy milk", "buy bread"] {
        assert_eq!(task_titled(&stack, &user, title).await?["completed"], true);
    }
    say(&stack, &user, chat, "undo").await?;
    for title in ["buy milk", "buy bread"] {
        assert_eq!(task_titled(&stack, &user, title).await?["completed"], false);
    }

    say(&stack, &user, chat, "make buy milk urgent").await?;
    assert_eq!(
        task_titled(&stack, &user, "buy milk").await?["priority"],
        "urgent"
    );
    say(&stack, &user, chat, "undo that").await?;
    assert_eq!(
        task_titled(&stack, &user, "buy milk").await?["priority"],
        "medium"
    );
    Ok(())
}

#[tokio::test]
async fn bad_chat_requests_are_problems() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chat");
    for body in [
        json!({}),
        json!({"message": ""}),
        json!({"message": "x".repeat(2_001)}),
        json!({"message": "hi", "conversation_id": "no spaces allowed"}),
        json!({"message": "hi", "timezone": "Mars/Base"}),
        json!({"message": "hi", "mood": "happy"}),
    ] {
        let reply = stack
            .request(Method::POST, &user, "/chat")
            .json(&body)
            .send()
            .await?;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            reply.header("content-type"),
            Some("application/problem+json")
        );
    }
    let page = stack.get_json(&user, "/tasks").await?;
    assert_eq!(page["total"], 0);
    Ok(())
}

/// "postpone it by a day" moves the task's own due date (kept at its local
/// time), and a task without one gets a question, not a guess.
#[tokio::test]
async fn a_due_date_moves_by_an_amount_from_where_it_is() -> Result<()> {
    let stack = Stack::from_env()?;
    let user = stack.new_user("chatshift");
    let chat = "shift-1";
    say(
        &stack,
        &user,
        chat,
        "add water the plants on 5 march 2031 at 9am",
    )
    .await?;
    let moved = say(&stack, &user, chat, "postpone it by a day").await?;
    assert_eq!(moved["intent"], "update", "{moved}");
    assert_eq!(moved["understood"]["shift"]["by"], "P1D", "{moved}");
    let plants = task_titled(&stack, &user, "water the plants").await?;
    // London keeps GMT until the end of March: 09:00 local is 09:00Z.
    let due = plants["due_date"].as_str().unwrap_or("");
    assert!(
        ["2031-03-06T09:00:00Z", "2031-03-06T09:00:00+00:00"].contains(&due),
        "{plants}"
    );

    say(&stack, &user, chat, "add sort the post").await?;
    let asked = say(&stack, &user, chat, "push it back 2 weeks").await?;
    assert_eq!(asked["question"], "no_due_to_shift", "{asked}");
    let post = task_titled(&stack, &user, "sort the post").await?;
    assert_eq!(post["due_date"], Value::Null, "{post}");
    Ok(())
}
