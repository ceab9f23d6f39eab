//! The log filter `QUIRE_LOG` names, with one known-benign warning quieted.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::ParseError;

/// tantivy's segment manager warns, with every segment id, when a merge
/// ends after a commit dropped one of its segments (every document in it
/// deleted, as when a few entries are edited over and over). tantivy then
/// drops the merge's result and keeps the index as it was: nothing to act
/// on, so it is logged only at `error` unless the filter names the target.
const QUIET: &str = "tantivy::indexer::segment_manager";

/// `spec` as an `EnvFilter`, with [`QUIET`] at `error` unless `spec` sets it.
pub fn filter(spec: &str) -> Result<EnvFilter, ParseError> {
    let filter = EnvFilter::try_new(spec)?;
    if spec.contains(QUIET) {
        return Ok(filter);
    }
    Ok(filter.add_directive(format!("{QUIET}=error").parse()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_segment_manager_warning_is_quieted_unless_named() {
        let quieted = filter("warn").map(|f| f.to_string());
        assert!(
            quieted
                .as_deref()
                .is_ok_and(|f| f.contains("tantivy::indexer::segment_manager=error")),
            "{quieted:?}"
        );
        let named = filter("info,tantivy::indexer::segment_manager=warn").map(|f| f.to_string());
        assert!(
            named.as_deref().is_ok_and(
                |f| f.contains("segment_manager=warn") && !f.contains("segment_manager=error")
            ),
            "{named:?}"
        );
        assert!(filter("quire=loud").is_err());
    }
}
