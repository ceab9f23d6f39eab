//! Full-text search: a tantivy index derived from the database, kept current
//! by following the change feed.

pub mod analyzer;
pub mod documents;
mod expand;
pub mod highlight;
pub mod index;
pub mod indexer;
pub mod query;
pub mod snapshot;

pub use index::{Copy, SearchIndex};
