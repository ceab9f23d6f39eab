//! Media: uploads kept in an object store, their facts in the database.
//!
//! Object keys are made by Quire (`assets/<id>`, `derived/<id>/…`), never
//! from a client's file name, so no upload can reach outside its key.

pub mod backend;
pub mod derivatives;
pub mod policy;
pub mod sniff;
pub mod sweep;
pub mod transform;
pub mod upload;

/// Where an asset's original bytes live.
pub fn original_key(id: &str) -> String {
    format!("assets/{id}")
}

/// The public URL path of an asset. The file name is for people and
/// caches; only the id selects the asset.
pub fn url(id: &str, filename: &str) -> String {
    let name: String = form_urlencoded::byte_serialize(filename.as_bytes()).collect();
    format!("/media/{id}/{}", name.replace('+', "%20"))
}

/// Removes an asset's bytes and every transform made of them. Failures are
/// logged: the record is already gone, and a leftover object is unreachable.
pub async fn remove_objects(store: &dyn object_store::ObjectStore, id: &str) {
    use futures_util::StreamExt;
    use object_store::ObjectStoreExt;
    use object_store::path::Path;
    let original = Path::from(original_key(id));
    if let Err(e) = store.delete(&original).await
        && !matches!(e, object_store::Error::NotFound { .. })
    {
        tracing::warn!(key = %original, error = %e, "cannot delete an asset's bytes");
    }
    let derived = Path::from(format!("derived/{id}"));
    let mut listed = store.list(Some(&derived));
    while let Some(meta) = listed.next().await {
        let result = match meta {
            Ok(meta) => store.delete(&meta.location).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(prefix = %derived, error = %e, "cannot delete a transform");
        }
    }
}
