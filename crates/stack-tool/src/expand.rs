//! `$NAME` and `${NAME}` filled in from a lookup, as Python's
//! `os.path.expandvars` does: a name the lookup does not know, and a `$`
//! not followed by a name, stay as they are (Dapr's templates keep theirs).

/// `text` with every known variable replaced by its value.
pub fn expand(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, consumed) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        match (name.is_empty(), lookup(name)) {
            (false, Some(value)) => out.push_str(&value),
            _ => out.push_str(&rest[at..at + 1 + consumed]),
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::expand;

    fn env(name: &str) -> Option<String> {
        match name {
            "KAFKA_BROKERS" => Some("127.0.0.1:12092".into()),
            "STACK_DATA" => Some("/tmp/data".into()),
            _ => None,
        }
    }

    #[test]
    fn known_names_are_filled_in_both_forms() {
        assert_eq!(
            expand("brokers: $KAFKA_BROKERS\npath: ${STACK_DATA}/audit.db", env),
            "brokers: 127.0.0.1:12092\npath: /tmp/data/audit.db"
        );
    }

    #[test]
    fn unknown_names_and_lone_dollars_stay() {
        let text = "a $UNSET b ${ALSO_UNSET} c $ d ${ e $1x {{.ID}}";
        assert_eq!(expand(text, env), text);
    }

    #[test]
    fn a_name_ends_at_the_first_character_that_cannot_be_in_one() {
        assert_eq!(expand("$STACK_DATA-x", env), "/tmp/data-x");
    }
}
