//! Media fields in API output: an asset id becomes the facts a page needs
//! to show it, `{"id", "url", "mime_type", "width", "height", "alt"}`.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::model::content_type::{ContentType, Field, Nested};
use crate::model::field::FieldType;
use crate::model::nested::ids_at;
use crate::store::assets::{Asset, ids_in, many};
use crate::store::{Db, StoreResult};

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
/// public API shapes them, components and blocks included) with the
/// assets, looked up in one query.
pub async fn embed(db: &Db, items: &mut [(&ContentType, &mut Value)]) -> StoreResult<()> {
    let mut ids = Vec::new();
    for (ct, value) in items.iter() {
        if let Value::Object(map) = value {
            ids.extend(
                ids_at(&ct.fields, map, FieldType::Media)
                    .into_iter()
                    .map(|at| at.id),
            );
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    ids.sort();
    ids.dedup();
    let assets = many(db, &ids).await?;
    for (ct, value) in items.iter_mut() {
        if let Value::Object(map) = value {
            show_assets(&ct.fields, map, &assets);
        }
    }
    Ok(())
}

/// One media value shown as its asset(s); ids of assets gone drop out.
fn shown(v: &Value, assets: &HashMap<String, Asset>) -> Value {
    let one = |v: &Value| match v.as_str().and_then(|id| assets.get(id)) {
        Some(a) => rendered(a),
        None => Value::Null,
    };
    match v {
        Value::Array(list) => Value::Array(list.iter().map(one).filter(|a| !a.is_null()).collect()),
        Value::Null => Value::Null,
        id => one(id),
    }
}

/// Shows the media fields of `map` as assets, through nested groups too.
fn show_assets(fields: &[Field], map: &mut Map<String, Value>, assets: &HashMap<String, Asset>) {
    for f in fields {
        let Some(v) = map.get_mut(&f.name) else {
            continue;
        };
        if f.field_type == FieldType::Media {
            *v = shown(v, assets);
            continue;
        }
        match (&f.nested, v) {
            (Nested::Group(sub), Value::Object(obj)) => show_assets(sub, obj, assets),
            (Nested::Group(sub), Value::Array(items)) => {
                for item in items.iter_mut() {
                    if let Value::Object(obj) = item {
                        show_assets(sub, obj, assets);
                    }
                }
            }
            (Nested::Kinds(kinds), Value::Array(items)) => {
                for item in items.iter_mut() {
                    let kind = item.get("kind").and_then(Value::as_str).map(str::to_string);
                    let sub = kinds.iter().find(|(k, _)| Some(k) == kind.as_ref());
                    if let (Some((_, sub)), Value::Object(obj)) = (sub, item) {
                        show_assets(sub, obj, assets);
                    }
                }
            }
            _ => {}
        }
    }
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
