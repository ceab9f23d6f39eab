//! Scheduled publishing: the rules for setting a schedule, and the runner
//! that publishes and unpublishes translations when their time comes.
//!
//! Every node runs the runner. A due action is carried out by the same
//! transactional publish or unpublish an editor's click makes, which first
//! claims the schedule; so it runs once however many nodes see it due, and
//! a node that was down catches up on its next look.

use std::time::Duration;

use super::Content;
use crate::clock::{self, Micros};
use crate::model::FieldError;
use crate::model::content_type::ContentType;
use crate::model::entry::Entry;
use crate::store::audit::Actor;
use crate::store::entries::{Lookup, Target};
use crate::store::{self, StoreError, StoreResult};

/// Due actions carried out per look.
const BATCH: i64 = 100;

/// A schedule to set: for each action, `None` leaves it, `Some(None)`
/// clears it, `Some(Some(t))` sets it (microseconds).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScheduleChange {
    pub publish_at: Option<Option<Micros>>,
    pub unpublish_at: Option<Option<Micros>>,
}

impl ScheduleChange {
    pub fn is_empty(&self) -> bool {
        self.publish_at.is_none() && self.unpublish_at.is_none()
    }

    /// Refuses times that are not ahead of `now`, and an unpublish set
    /// before a publish given with it.
    pub fn check(&self, now: Micros) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        for (field, at) in [
            ("publish_at", self.publish_at),
            ("unpublish_at", self.unpublish_at),
        ] {
            if let Some(Some(t)) = at
                && t <= now
            {
                errors.push(FieldError::new(
                    field,
                    "future",
                    format!("must be later than now ({})", clock::format(now)),
                ));
            }
        }
        errors.extend(self.crossed());
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl ScheduleChange {
    /// An unpublish set at or before the publish.
    fn crossed(&self) -> Option<FieldError> {
        let (Some(Some(p)), Some(Some(u))) = (self.publish_at, self.unpublish_at) else {
            return None;
        };
        (u <= p).then(|| {
            FieldError::new(
                "unpublish_at",
                "after_publish",
                "must be later than publish_at",
            )
        })
    }
}

impl Content {
    /// Checks a schedule against the clock before anything is written.
    pub fn check_schedule(&self, change: &ScheduleChange) -> StoreResult<()> {
        change.check(self.clock.now()).map_err(StoreError::Invalid)
    }

    /// Sets a translation's schedule.
    pub async fn schedule_entry(
        &self,
        ct: &ContentType,
        id: &str,
        locale: Option<&str>,
        change: ScheduleChange,
        actor: &Actor,
    ) -> StoreResult<Entry> {
        self.check_schedule(&change)?;
        // The two times must not cross once merged with what is set.
        let current = self.entry(ct, id, locale).await?;
        let merged = ScheduleChange {
            publish_at: Some(change.publish_at.unwrap_or(current.schedule.publish_at)),
            unpublish_at: Some(change.unpublish_at.unwrap_or(current.schedule.unpublish_at)),
        };
        if let Some(crossed) = merged.crossed() {
            return Err(StoreError::Invalid(vec![crossed]));
        }
        let target = self.target(id, locale);
        store::entries::schedule(
            &self.db,
            ct,
            target,
            change.publish_at,
            change.unpublish_at,
            actor,
        )
        .await
    }

    /// Carries out every action due now; answers how many ran.
    pub async fn run_due(&self) -> StoreResult<usize> {
        let due = store::entries::due(&self.db, self.clock.now(), BATCH).await?;
        let actor = Actor::system("scheduler");
        let mut ran = 0;
        for d in due {
            let Some(ct) = self.types.get(&d.content_type) else {
                continue;
            };
            let target = Target {
                id: &d.entry_id,
                lookup: Lookup::Exact(&d.locale),
                default_locale: self.locales.default_locale(),
                scheduled: Some(d.at),
            };
            let done = match d.action.as_str() {
                "publish" => store::entries::publish(&self.db, &ct, target, None, &actor).await,
                _ => store::entries::unpublish(&self.db, &ct, target, None, &actor).await,
            };
            match done {
                Ok(entry) => {
                    ran += 1;
                    self.trim_history(&entry).await;
                    self.changed_entry(&d.content_type, &entry.id);
                }
                // Run by another node, or changed meanwhile.
                Err(StoreError::NotFound) => {}
                Err(e) if e.is_unavailable() => return Err(e),
                Err(e) => {
                    let why = match &e {
                        StoreError::Invalid(errors) | StoreError::Unique(errors) => errors
                            .iter()
                            .map(|f| format!("{}: {}", f.field, f.message))
                            .collect::<Vec<_>>()
                            .join("; "),
                        other => other.to_string(),
                    };
                    tracing::warn!(entry = %d.entry_id, locale = %d.locale, action = %d.action, error = %why, "scheduled action failed");
                    store::entries::schedule_failed(
                        &self.db,
                        &d.row,
                        &format!("{} failed: {why}", d.action),
                    )
                    .await?;
                }
            }
        }
        Ok(ran)
    }

    /// Runs due actions every `poll` until the task is dropped.
    pub async fn run_schedule(self, poll: Duration) {
        let mut tick = tokio::time::interval(poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.run_due().await {
                tracing::warn!(error = %e, "scheduler: cannot run due actions");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_must_be_ahead_and_in_order() {
        let now = 1_000_000;
        let ok = ScheduleChange {
            publish_at: Some(Some(now + 1)),
            unpublish_at: Some(Some(now + 2)),
        };
        assert!(ok.check(now).is_ok());
        let past = ScheduleChange {
            publish_at: Some(Some(now)),
            unpublish_at: None,
        };
        let errors = past.check(now).unwrap_err();
        assert_eq!(
            (errors[0].field.as_str(), errors[0].rule.as_str()),
            ("publish_at", "future")
        );
        let crossed = ScheduleChange {
            publish_at: Some(Some(now + 5)),
            unpublish_at: Some(Some(now + 5)),
        };
        assert_eq!(crossed.check(now).unwrap_err()[0].rule, "after_publish");
        // Clearing is always allowed.
        let clear = ScheduleChange {
            publish_at: Some(None),
            unpublish_at: Some(None),
        };
        assert!(clear.check(now).is_ok());
    }
}
