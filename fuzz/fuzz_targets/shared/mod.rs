//! What several targets share.

use quire::model::content_type::ContentType;

/// The example article type, read once.
pub static ARTICLES: std::sync::LazyLock<ContentType> = std::sync::LazyLock::new(|| {
    let def = serde_json::from_str(include_str!("../../../content-types/articles.json"))
        .expect("the example type is JSON");
    ContentType::from_json(def).expect("the example type is valid")
});
