//! Who did something: a user (or the user behind an API token), or Quire
//! itself.

/// Who is writing, for `created_by`/`updated_by` and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user's id (for an API token, the id of the user who made it).
    pub id: Option<String>,
    /// A human label: the user's email, `token:<name>`, or `system`.
    pub label: String,
    pub ip: Option<String>,
}

impl Actor {
    /// Quire itself, applying `content-types/` at start.
    pub fn system(label: &str) -> Actor {
        Actor {
            id: None,
            label: label.to_string(),
            ip: None,
        }
    }
}
