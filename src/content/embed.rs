//! Media fields in API output: an asset id becomes the facts a page needs
//! to show it, `{"id", "url", "mime_type", "width", "height", "alt"}`.

use serde_json::{Value, json};

use crate::model::content_type::ContentType;
use crate::model::field::FieldType;
use crate::store::assets::{Asset, ids_in, many};
use crate::store::{Db, StoreResult};

fn media_fields(ct: &ContentType) -> impl Iterator<Item = &str> {
    ct.fields
        .iter()
        .filter(|f| f.field_type == FieldType::Media)
        .map(|f| f.name.as_str())
}

/// What a media field shows of one asset.
pub fn rendered(a: &Asset) -> Value {
    json!({
        "id": a.id,
        "url": crate::media::url(&a.id, &a.filename),
        "mime_type": a.mime_type,
        "width": a.width,
        "height": a.height,
        "alt": a.alt,
    })
}

/// Replaces the asset ids in the media fields of flat entries (as the
/// public API shapes them) with the assets, looked up in one query.
pub async fn embed(db: &Db, items: &mut [(&ContentType, &mut Value)]) -> StoreResult<()> {
    let mut named: Vec<(Vec<&str>, &mut Value)> = items
        .iter_mut()
        .map(|(ct, v)| (media_fields(ct).collect(), &mut **v))
        .collect();
    embed_fields(db, &mut named).await?;
    Ok(())
}

/// Replaces the asset ids in the named media fields of each value with the
/// assets, in one query; `true` when it had to query.
pub async fn embed_fields(db: &Db, items: &mut [(Vec<&str>, &mut Value)]) -> StoreResult<bool> {
    let mut ids = Vec::new();
    for (names, value) in items.iter() {
        if let Value::Object(map) = value {
            ids.extend(ids_in(names.iter().copied(), map));
        }
    }
    if ids.is_empty() {
        return Ok(false);
    }
    ids.sort();
    ids.dedup();
    let assets = many(db, &ids).await?;
    let render = |v: &Value| match v.as_str().and_then(|id| assets.get(id)) {
        Some(a) => rendered(a),
        None => Value::Null,
    };
    for (names, value) in items.iter_mut() {
        let Value::Object(map) = value else { continue };
        for name in names.iter() {
            if let Some(v) = map.get_mut(*name) {
                let shown = match &*v {
                    Value::Array(list) => {
                        Value::Array(list.iter().map(render).filter(|a| !a.is_null()).collect())
                    }
                    Value::Null => Value::Null,
                    one => render(one),
                };
                *v = shown;
            }
        }
    }
    Ok(true)
}
