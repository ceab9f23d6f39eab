//! What public answers tell browsers and CDNs: validators, lifetimes,
//! surrogate keys, and compressed forms made once.

use std::io::Read;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, db_tests};

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut req = app.anon(Method::GET, path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
    out
}

db_tests! {
    async fn public_answers_carry_validators_lifetimes_and_surrogate_keys(app) {
        let ada = app.create_entry("authors", json!({"name": "Ada"})).await;
        let ada = ada["id"].as_str().unwrap().to_string();
        app.publish("authors", &ada).await;
        let e = app.create_entry("articles", json!({"title": "Cached", "author": ada})).await;
        let id = e["id"].as_str().unwrap().to_string();
        app.publish("articles", &id).await;

        let res = get(&app, &format!("/api/articles/{id}?populate=author"), &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers().clone();
        let body: Value = res.json().await.unwrap();
        assert_eq!(header(&h, "cache-control"), "public, max-age=0, must-revalidate");
        assert_eq!(header(&h, "vary"), "Accept-Encoding");
        let keys: Vec<&str> = header(&h, "surrogate-key").split(' ').collect();
        assert_eq!(keys[0], "articles");
        assert!(keys.contains(&id.as_str()) && keys.contains(&ada.as_str()), "embedded entries too: {keys:?}");
        assert_eq!(header(&h, "cache-tag"), keys.join(","));
        // Last-Modified is the latest change in the body, as an HTTP date.
        let lm = header(&h, "last-modified").to_string();
        let updated = time::OffsetDateTime::parse(body["data"]["updated_at"].as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
        let author_updated = time::OffsetDateTime::parse(body["data"]["author"]["updated_at"].as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
        let latest = updated.max(author_updated);
        let parsed = time::PrimitiveDateTime::parse(&lm, time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT")).unwrap().assume_utc();
        assert_eq!(parsed.unix_timestamp(), latest.unix_timestamp(), "{lm}");

        // Both validators answer 304, with the caching headers again.
        let etag = header(&h, "etag").to_string();
        let res = get(&app, &format!("/api/articles/{id}?populate=author"), &[("if-none-match", &etag)]).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(res.headers(), "cache-control"), "public, max-age=0, must-revalidate");
        let res = get(&app, &format!("/api/articles/{id}?populate=author"), &[("if-modified-since", &lm)]).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        let res = get(&app, &format!("/api/articles/{id}?populate=author"), &[("if-modified-since", "Thu, 01 Jan 2015 00:00:00 GMT")]).await;
        assert_eq!(res.status(), StatusCode::OK, "changed since then");
    }

    async fn a_type_sets_its_lifetimes_and_previews_stay_private(app) {
        let res = app.create_type(json!({"api_id": "notices", "name": "Notices",
            "cache": {"max_age": 60, "s_maxage": 600, "stale_while_revalidate": 30},
            "fields": [{"name": "title", "type": "string"}]})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let n = app.create_entry("notices", json!({"title": "Closed Monday"})).await;
        let nid = n["id"].as_str().unwrap().to_string();
        app.publish("notices", &nid).await;
        for path in ["/api/notices".to_string(), format!("/api/notices/{nid}")] {
            let res = get(&app, &path, &[]).await;
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(header(res.headers(), "cache-control"), "public, max-age=60, s-maxage=600, stale-while-revalidate=30", "{path}");
        }
        let (token, _) = app.api_token("preview", None).await;
        let res = app.with_token(&token, Method::GET, "/api/notices?preview=true").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(header(res.headers(), "cache-control"), "private, no-store");
        assert!(res.headers().get("surrogate-key").is_none());

        // Out-of-range and unknown settings are refused, naming them.
        let res = app.create_type(json!({"api_id": "bad_cache", "name": "Bad",
            "cache": {"max_age": 40000000}, "fields": []})).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let p: Value = res.json().await.unwrap();
        assert!(p.to_string().contains("max_age"), "{p}");
        let res = app.create_type(json!({"api_id": "bad_cache", "name": "Bad",
            "cache": {"ttl": 5}, "fields": []})).await;
        assert!(res.status().is_client_error());
        let p: Value = res.json().await.unwrap();
        assert!(p.to_string().contains("ttl"), "{p}");
    }

    async fn lists_are_compressed_once_in_the_encoding_asked_for(app) {
        for i in 0..30 {
            app.published_article(&format!("A fairly long title for compression number {i}")).await;
        }
        let plain = get(&app, "/api/articles?limit=30", &[]).await;
        let plain_tag = header(plain.headers(), "etag").to_string();
        assert!(plain.headers().get("content-encoding").is_none());
        let plain = plain.bytes().await.unwrap();

        for (accept, encoding) in [("gzip", "gzip"), ("gzip, deflate, br", "br"), ("br;q=0, gzip", "gzip"), ("identity", "")] {
            let res = get(&app, "/api/articles?limit=30", &[("accept-encoding", accept)]).await;
            assert_eq!(res.status(), StatusCode::OK);
            let h = res.headers().clone();
            assert_eq!(header(&h, "content-encoding"), encoding, "{accept}");
            let bytes = res.bytes().await.unwrap();
            let body = match encoding {
                "gzip" => gunzip(&bytes),
                "br" => unbrotli(&bytes),
                _ => bytes.to_vec(),
            };
            assert_eq!(body, plain.to_vec(), "{accept}: the same body");
            if !encoding.is_empty() {
                assert!(bytes.len() * 3 < plain.len(), "{accept}: {} of {} bytes", bytes.len(), plain.len());
                // Its own ETag, which still validates.
                let tag = header(&h, "etag").to_string();
                assert_ne!(tag, plain_tag);
                let res = get(&app, "/api/articles?limit=30", &[("accept-encoding", accept), ("if-none-match", &tag)]).await;
                assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
                assert_eq!(header(res.headers(), "etag"), tag);
            }
        }
        // A small answer is not worth compressing.
        let res = get(&app, "/api/articles?limit=1&fields=title", &[("accept-encoding", "gzip")]).await;
        assert!(res.headers().get("content-encoding").is_none());
    }
}
