//! `/locales`: the locales content is written in, for editors' tools.

use std::collections::BTreeMap;

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::statuses::*;
use super::{AdminAuth, Tag};
use crate::api::state::AppState;

pub struct LocalesApi;

/// The server's locales (QUIRE_LOCALES) and fallbacks (QUIRE_LOCALE_FALLBACKS).
#[derive(Debug, Object)]
pub struct LocalesOut {
    /// The first locale: entries are written in it unless told otherwise,
    /// and every fallback chain ends at it.
    pub default: String,
    /// Every locale, the default first.
    pub locales: Vec<String>,
    /// Each other locale and the one it falls back to.
    pub fallbacks: BTreeMap<String, String>,
}

#[derive(Debug, Object)]
pub struct LocalesAnswer {
    pub data: LocalesOut,
}

#[OpenApi(prefix_path = "/locales", tag = "Tag::Entries")]
impl LocalesApi {
    /// The locales entries have translations in, with their fallbacks.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: AdminAuth,
    ) -> Result<Json<LocalesAnswer>, Problems<{ SIGNED_IN }>> {
        let l = &state.config.locales;
        Ok(Json(LocalesAnswer {
            data: LocalesOut {
                default: l.default_locale().to_string(),
                locales: l.all().to_vec(),
                fallbacks: l
                    .fallback_map()
                    .into_iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
            },
        }))
    }
}
