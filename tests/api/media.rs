//! Media: upload, library, media fields, serving with ranges and
//! validators, transforms, and the refusals; on a local folder and in
//! memory on both databases' sides, and on a real S3-compatible server.

use std::io::Cursor;

use futures_util::StreamExt;
use object_store::ObjectStore;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Backend, TestApp, field_rules, problem};

#[derive(Debug, Clone, Copy)]
pub enum Media {
    Folder,
    Memory,
    S3,
}

/// A fresh prefix of the S3 bucket that `QUIRE_TEST_S3_URL` names (a real
/// bucket, or moto in CI), or else of the in-process server's.
fn s3_url() -> String {
    let base = std::env::var("QUIRE_TEST_S3_URL").unwrap_or_else(|_| crate::s3_server::url());
    // Each test under its own prefix of the shared bucket; settings in the
    // query stay at the end.
    let (location, query) = match base.split_once('?') {
        Some((l, q)) => (l, format!("?{q}")),
        None => (base.as_str(), String::new()),
    };
    format!(
        "{}/{}{query}",
        location.trim_end_matches('/'),
        uuid::Uuid::now_v7().simple()
    )
}

/// The transforms anonymous callers may ask for in these tests.
const PRESETS: &str = "small:w=20&h=20&format=jpeg&q=70;narrow:w=20&fit=contain&format=webp";

/// Transforms this server has computed, from its metrics.
async fn transforms_computed(app: &TestApp) -> f64 {
    let text = crate::operations::scrape(app).await;
    crate::operations::sample(&text, "quire_media_transforms_total").unwrap_or(0.0)
}

pub async fn spawn(db: Backend, media: Media, max_upload: Option<u64>) -> TestApp {
    TestApp::spawn_with(db, |s| {
        s.media_url = match media {
            Media::Folder => None,
            Media::Memory => Some("memory://".into()),
            Media::S3 => Some(s3_url()),
        };
        s.max_upload_bytes = max_upload;
        s.metrics_bind = Some("127.0.0.1:0".into());
        s.media_transforms = Some(PRESETS.into());
        s.media_signing_key = Some("test signing key of 32 characters".into());
    })
    .await
}

/// Every object key in the app's media store; `None` for memory, which
/// only the server itself can see.
async fn objects(app: &TestApp) -> Option<Vec<String>> {
    if app.config.media_url.starts_with("memory:") {
        return None;
    }
    let store = quire::media::backend::open(&app.config.media_url).expect("open media store");
    let mut keys: Vec<String> = store
        .list(None)
        .map(|m| m.expect("list media").location.to_string())
        .collect()
        .await;
    keys.sort();
    Some(keys)
}

pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 4) as u8, 128])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode png");
    out
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

fn form(bytes: Vec<u8>, filename: &str, claimed: &str) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name(filename.to_string())
            .mime_str(claimed)
            .expect("mime"),
    )
}

async fn upload_form(app: &TestApp, form: Form) -> reqwest::Response {
    app.admin(Method::POST, "/admin/api/assets")
        .multipart(form)
        .send()
        .await
        .expect("upload request")
}

pub(crate) async fn upload(app: &TestApp, bytes: Vec<u8>, filename: &str) -> Value {
    let res = upload_form(app, form(bytes, filename, "application/octet-stream")).await;
    assert_eq!(res.status(), StatusCode::CREATED, "upload {filename}");
    res.json().await.expect("asset body")
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.anon(Method::GET, path).send().await.expect("request")
}

async fn gallery_type(app: &TestApp) {
    let res = app
        .create_type(json!({
            "api_id": "galleries",
            "name": "Galleries",
            "fields": [
                {"name": "title", "type": "string", "required": true},
                {"name": "cover", "type": "media", "accept": ["image/*"]},
                {"name": "files", "type": "media", "multiple": true},
            ]
        }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "create galleries");
}

macro_rules! media_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        media_tests!(@module sqlite_folder, Sqlite, Folder, $($name $app $body)*);
        media_tests!(@module postgres_folder, Postgres, Folder, $($name $app $body)*);
        media_tests!(@module sqlite_memory, Sqlite, Memory, $($name $app $body)*);
        media_tests!(@module postgres_s3, Postgres, S3, $($name $app $body)*);
    };
    (@module $module:ident, $db:ident, $media:ident, $($name:ident $app:ident $body:block)*) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    #[allow(unused_mut)]
                    let mut $app = spawn(Backend::$db, Media::$media, None).await;
                    $body
                }
            )*
        }
    };
}

media_tests! {
    async fn upload_then_serve_with_ranges_and_validators(app) {
        let bytes = png(64, 32);
        let res = upload_form(
            &app,
            form(bytes.clone(), "../../etc/Sunset photo.png", "text/plain")
                .text("alt", "A red sunset")
                .text("title", "Sunset"),
        )
        .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        assert!(res.headers().contains_key(header::LOCATION));
        let asset: Value = res.json().await.unwrap();
        assert_eq!(asset["filename"], "Sunset photo.png", "path parts are dropped");
        assert_eq!(asset["mime_type"], "image/png", "sniffed, not the claimed text/plain");
        assert_eq!(asset["size"], bytes.len());
        assert_eq!(asset["sha256"], format!("{:x}", Sha256::digest(&bytes)));
        assert_eq!((asset["width"].as_i64(), asset["height"].as_i64()), (Some(64), Some(32)));
        assert_eq!(asset["alt"], "A red sunset");
        let id = asset["id"].as_str().unwrap();
        let url = asset["url"].as_str().unwrap().to_string();
        assert_eq!(url, format!("/media/{id}/Sunset%20photo.png"));
        if let Some(keys) = objects(&app).await {
            assert_eq!(keys, [format!("assets/{id}")], "the key is Quire's, not the file name");
        }

        let res = get(&app, &url).await;
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers().clone();
        assert_eq!(h[header::CONTENT_TYPE], "image/png");
        assert_eq!(h[header::CONTENT_LENGTH], bytes.len().to_string().as_str());
        assert_eq!(h[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        assert_eq!(h[header::ACCEPT_RANGES], "bytes");
        let etag = h[header::ETAG].to_str().unwrap().to_string();
        assert!(etag.starts_with('"') && !etag.starts_with("W/"), "a strong ETag: {etag}");
        assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[..]);

        let res = app.anon(Method::GET, &url).header(header::RANGE, "bytes=8-23").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            res.headers()[header::CONTENT_RANGE],
            format!("bytes 8-23/{}", bytes.len()).as_str()
        );
        assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[8..24]);
        let res = app.anon(Method::GET, &url).header(header::RANGE, "bytes=-10").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(res.bytes().await.unwrap().as_ref(), &bytes[bytes.len() - 10..]);
        let res = app
            .anon(Method::GET, &url)
            .header(header::RANGE, format!("bytes={}-", bytes.len() + 5))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);

        let res = app.anon(Method::GET, &url).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert!(res.bytes().await.unwrap().is_empty());

        let res = app.anon(Method::HEAD, &url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_LENGTH], bytes.len().to_string().as_str());
        assert!(res.bytes().await.unwrap().is_empty());

        let unknown = format!("/media/{}/x.png", uuid::Uuid::now_v7());
        problem(get(&app, &unknown).await, StatusCode::NOT_FOUND).await;
        problem(get(&app, "/media/not-an-id/x.png").await, StatusCode::NOT_FOUND).await;
    }

    async fn active_content_is_downloaded_not_rendered(app) {
        for (bytes, name, mime) in [
            (b"<!doctype html><script>alert(1)</script>".to_vec(), "page.png", "text/html"),
            (
                b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec(),
                "logo.svg",
                "image/svg+xml",
            ),
        ] {
            let asset = upload(&app, bytes, name).await;
            assert_eq!(asset["mime_type"], mime);
            let res = get(&app, asset["url"].as_str().unwrap()).await;
            assert_eq!(res.status(), StatusCode::OK);
            let disposition = res.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
            assert!(disposition.starts_with("attachment"), "{disposition}");
            let csp = res.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            assert!(csp.contains("sandbox"), "{csp}");
        }
        let pdf = upload(&app, PDF.to_vec(), "doc.pdf").await;
        assert_eq!(pdf["mime_type"], "application/pdf");
        let res = get(&app, pdf["url"].as_str().unwrap()).await;
        assert!(!res.headers().contains_key(header::CONTENT_DISPOSITION));
    }

    async fn transforms_are_made_once_and_served_like_originals(app) {
        let asset = upload(&app, png(80, 40), "wide.png").await;
        let id = asset["id"].as_str().unwrap().to_string();
        let url = asset["url"].as_str().unwrap().to_string();

        let res = get(&app, &format!("{url}?w=20&h=20&format=jpeg&q=70")).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "image/jpeg");
        assert_eq!(res.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        let etag = res.headers()[header::ETAG].to_str().unwrap().to_string();
        let out = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
        assert_eq!((out.width(), out.height()), (20, 20), "cover fills the box");

        let res = get(&app, &format!("{url}?w=20&fit=contain&format=webp")).await;
        assert_eq!(res.headers()[header::CONTENT_TYPE], "image/webp");
        let out = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
        assert_eq!((out.width(), out.height()), (20, 10), "contain keeps the aspect ratio");

        if let Some(keys) = objects(&app).await {
            let derived: Vec<_> = keys.iter().filter(|k| k.starts_with(&format!("derived/{id}/"))).collect();
            assert_eq!(derived.len(), 2, "each transform stored once: {keys:?}");
        }
        // Asked again (parameters in another order): the stored result.
        let res = app
            .anon(Method::GET, &format!("{url}?q=70&format=jpeg&h=20&w=20"))
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        let res = app
            .anon(Method::GET, &format!("{url}?w=20&h=20&format=jpeg&q=70"))
            .header(header::RANGE, "bytes=0-1")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(res.bytes().await.unwrap().as_ref(), &[0xFF, 0xD8], "a JPEG starts FF D8");

        let p = problem(get(&app, &format!("{url}?w=0&fit=stretch&x=1")).await, StatusCode::BAD_REQUEST).await;
        let rules = field_rules(&p);
        for field in ["w", "fit", "x"] {
            assert!(rules.iter().any(|(f, _)| f == field), "{field} named in {rules:?}");
        }
        let pdf = upload(&app, PDF.to_vec(), "doc.pdf").await;
        let res = get(&app, &format!("{}?preset=small", pdf["url"].as_str().unwrap())).await;
        let p = problem(res, StatusCode::BAD_REQUEST).await;
        assert!(p["detail"].as_str().unwrap().contains("application/pdf"), "{p}");
    }

    async fn strangers_get_presets_and_signed_urls_only(app) {
        let asset = upload(&app, png(40, 40), "p.png").await;
        let id = asset["id"].as_str().unwrap().to_string();
        let url = asset["url"].as_str().unwrap().to_string();
        // 1,000 distinct transforms, none of them a preset: none is made.
        for i in 0..1000u32 {
            let (w, h) = (1 + i % 40, 1 + i / 40);
            let res = get(&app, &format!("{url}?w={w}&h={h}&fit=contain")).await;
            if i % 250 == 0 {
                let p = problem(res, StatusCode::FORBIDDEN).await;
                assert_eq!(p["code"], "transform_not_allowed");
                assert!(p["detail"].as_str().unwrap().contains("small, narrow"), "{p}");
            } else {
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "w={w}&h={h}");
            }
        }
        assert_eq!(transforms_computed(&app).await, 0.0);

        // A preset by name, or spelled out in another order: one derivative.
        let by_name = get(&app, &format!("{url}?preset=small")).await;
        assert_eq!(by_name.status(), StatusCode::OK);
        let spelled = get(&app, &format!("{url}?q=70&format=jpeg&w=20&h=20")).await;
        assert_eq!(spelled.headers()[header::ETAG], by_name.headers()[header::ETAG]);
        let p = problem(get(&app, &format!("{url}?preset=poster")).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(field_rules(&p), [("preset".to_string(), "values".to_string())]);
        let p = problem(get(&app, &format!("{url}?preset=small&w=5")).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(field_rules(&p), [("w".to_string(), "exclusive".to_string())]);

        // Anything else, signed through the admin API.
        let res = app
            .admin(Method::POST, &format!("/admin/api/assets/{id}/transform-url"))
            .json(&json!({"w": 33, "format": "png"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let signed: Value = res.json().await.unwrap();
        let signed = signed["url"].as_str().unwrap().to_string();
        assert!(signed.starts_with(&url) && signed.contains("sig="), "{signed}");
        let res = get(&app, &signed).await;
        assert_eq!(res.status(), StatusCode::OK);
        let out = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
        assert_eq!(out.width(), 33);
        let forged = signed.replace("w=33", "w=34");
        let p = problem(get(&app, &forged).await, StatusCode::FORBIDDEN).await;
        assert_eq!(p["code"], "transform_not_allowed");
        let res = app
            .admin(Method::POST, &format!("/admin/api/assets/{id}/transform-url"))
            .json(&json!({"w": 0, "fit": "stretch"}))
            .send()
            .await
            .unwrap();
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        let rules = field_rules(&p);
        assert!(rules.iter().any(|(f, _)| f == "w") && rules.iter().any(|(f, _)| f == "fit"), "{rules:?}");

        assert_eq!(transforms_computed(&app).await, 2.0);
        if let Some(keys) = objects(&app).await {
            let derived = keys.iter().filter(|k| k.starts_with(&format!("derived/{id}/"))).count();
            assert_eq!(derived, 2, "{keys:?}");
        }
    }

    async fn a_new_derivative_is_computed_once_however_many_ask(app) {
        let asset = upload(&app, png(400, 300), "c.png").await;
        let url = app.url(&format!("{}?preset=narrow", asset["url"].as_str().unwrap()));
        let asks = (0..50).map(|_| {
            let (client, url) = (app.client.clone(), url.clone());
            async move {
                let res = client.get(url).send().await.expect("request");
                (res.status(), res.bytes().await.expect("body"))
            }
        });
        let answers = futures_util::future::join_all(asks).await;
        let first = answers[0].1.clone();
        for (status, bytes) in &answers {
            assert_eq!(*status, StatusCode::OK);
            assert_eq!(bytes, &first, "every caller gets the one stored result");
        }
        assert_eq!(transforms_computed(&app).await, 1.0, "computed once");
    }

    async fn media_fields_check_assets_and_render_them(app) {
        gallery_type(&app).await;
        let image = upload(&app, png(8, 6), "a.png").await;
        let pdf = upload(&app, PDF.to_vec(), "b.pdf").await;
        let (image_id, pdf_id) = (image["id"].as_str().unwrap(), pdf["id"].as_str().unwrap());

        let res = app.try_create("galleries", json!({"title": "T", "cover": pdf_id})).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("cover".to_string(), "accept".to_string())]);
        let missing = uuid::Uuid::now_v7().to_string();
        let res = app.try_create("galleries", json!({"title": "T", "files": [missing]})).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("files".to_string(), "exists".to_string())]);
        let res = app.try_create("galleries", json!({"title": "T", "cover": [image_id]})).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("cover".to_string(), "type".to_string())]);

        let entry = app
            .create_entry("galleries", json!({"title": "T", "cover": image_id, "files": [pdf_id, image_id]}))
            .await;
        let id = entry["id"].as_str().unwrap();
        app.publish("galleries", id).await;
        let res = app.public(&format!("/api/galleries/{id}")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            body["data"]["cover"],
            json!({
                "id": image_id, "url": image["url"], "mime_type": "image/png",
                "width": 8, "height": 6, "alt": null
            })
        );
        let files: Vec<&str> = body["data"]["files"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
        assert_eq!(files, [pdf_id, image_id]);

        // Alt text edits reach the public API at once, and need the version.
        let path = format!("/admin/api/assets/{image_id}");
        let res = app.admin(Method::PATCH, &path).header(header::IF_MATCH, "\"1\"").json(&json!({"alt": "Dots"})).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::ETAG], "\"2\"");
        let res = app.admin(Method::PATCH, &path).header(header::IF_MATCH, "\"1\"").json(&json!({"alt": "Stale"})).send().await.unwrap();
        problem(res, StatusCode::CONFLICT).await;
        let body: Value = app.public("/api/galleries").await.json().await.unwrap();
        assert_eq!(body["data"][0]["cover"]["alt"], "Dots");

        // In use: refused, naming the entry; free once the entry is gone.
        let res = app.admin(Method::DELETE, &format!("/admin/api/assets/{pdf_id}")).send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert!(p["detail"].as_str().unwrap().contains(&format!("galleries/{id}")), "{p}");
        assert_eq!(get(&app, pdf["url"].as_str().unwrap()).await.status(), StatusCode::OK);
        let res = app.admin(Method::DELETE, &format!("/admin/api/entries/galleries/{id}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let res = app.admin(Method::DELETE, &format!("/admin/api/assets/{pdf_id}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        problem(get(&app, pdf["url"].as_str().unwrap()).await, StatusCode::NOT_FOUND).await;
        if let Some(keys) = objects(&app).await {
            assert!(!keys.iter().any(|k| k.contains(pdf_id)), "bytes removed: {keys:?}");
        }
    }

    async fn library_lists_filters_and_searches(app) {
        upload(&app, png(4, 4), "Beach.png").await;
        upload(&app, PDF.to_vec(), "report-2026.pdf").await;
        upload(&app, png(4, 4), "beach-night.png").await;
        let list = |q: &'static str| {
            let app = &app;
            async move {
                let res = app.admin(Method::GET, &format!("/admin/api/assets{q}")).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK, "{q}");
                let body: Value = res.json().await.unwrap();
                let names: Vec<String> = body["data"].as_array().unwrap().iter().map(|a| a["filename"].as_str().unwrap().to_string()).collect();
                (names, body["meta"]["total"].as_i64().unwrap())
            }
        };
        assert_eq!(list("").await, (vec!["beach-night.png".into(), "report-2026.pdf".into(), "Beach.png".into()], 3));
        assert_eq!(list("?mime_type=image/*").await.1, 2);
        assert_eq!(list("?mime_type=application/pdf").await.0, ["report-2026.pdf"]);
        assert_eq!(list("?search=BEACH&limit=1").await, (vec!["beach-night.png".into()], 2));
        assert_eq!(list("?search=100%25").await.1, 0, "LIKE wildcards are literal");
        let res = app.admin(Method::GET, "/admin/api/assets?limit=0").send().await.unwrap();
        problem(res, StatusCode::BAD_REQUEST).await;
    }

    async fn refusals_leave_nothing_behind(app) {
        let res = app.anon(Method::POST, "/admin/api/assets").multipart(form(png(2, 2), "a.png", "image/png")).send().await.unwrap();
        problem(res, StatusCode::UNAUTHORIZED).await;
        let viewer = app.user("viewer@example.com", "viewer", None).await;
        let res = app.with_token(&viewer, Method::POST, "/admin/api/assets").multipart(form(png(2, 2), "a.png", "image/png")).send().await.unwrap();
        problem(res, StatusCode::FORBIDDEN).await;
        let res = app.admin(Method::POST, "/admin/api/assets").json(&json!({"file": "x"})).send().await.unwrap();
        problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
        let res = upload_form(&app, Form::new().text("alt", "no file")).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("file".to_string(), "required".to_string())]);
        let res = upload_form(&app, form(png(2, 2), "a.png", "image/png").text("colour", "red")).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(field_rules(&p), [("colour".to_string(), "unknown".to_string())]);

        // An author uploads and edits their own, not others'.
        let author = app.user("author@example.com", "author", None).await;
        let mine = app.with_token(&author, Method::POST, "/admin/api/assets").multipart(form(png(2, 2), "mine.png", "image/png")).send().await.unwrap();
        assert_eq!(mine.status(), StatusCode::CREATED);
        let mine: Value = mine.json().await.unwrap();
        let theirs = upload(&app, png(2, 2), "theirs.png").await;
        let patch = |id: &str| app.with_token(&author, Method::PATCH, &format!("/admin/api/assets/{id}")).json(&json!({"alt": "x"}));
        assert_eq!(patch(mine["id"].as_str().unwrap()).send().await.unwrap().status(), StatusCode::OK);
        problem(patch(theirs["id"].as_str().unwrap()).send().await.unwrap(), StatusCode::FORBIDDEN).await;

        let body: Value = app.admin(Method::GET, "/admin/api/assets").send().await.unwrap().json().await.unwrap();
        assert_eq!(body["meta"]["total"], 2, "only the two good uploads: {body}");
        if let Some(keys) = objects(&app).await {
            assert_eq!(keys.len(), 2, "no object from a refused upload: {keys:?}");
        }
    }

    async fn dropping_a_media_field_frees_the_assets_it_named(app) {
        gallery_type(&app).await;
        let cover = upload(&app, png(8, 8), "cover.png").await;
        let cover_id = cover["id"].as_str().unwrap();
        let kept = upload(&app, png(8, 8), "kept.png").await;
        let kept_id = kept["id"].as_str().unwrap();
        app.create_entry("galleries", json!({"title": "G", "cover": cover_id, "files": [kept_id]})).await;
        let res = app.admin(Method::DELETE, &format!("/admin/api/assets/{cover_id}")).send().await.unwrap();
        problem(res, StatusCode::CONFLICT).await;

        let res = app
            .admin(Method::PUT, "/admin/api/content-types/galleries?allow_data_loss=true")
            .json(&json!({"api_id": "galleries", "name": "Galleries", "fields": [
                {"name": "title", "type": "string", "required": true},
                {"name": "files", "type": "media", "multiple": true}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = app.admin(Method::DELETE, &format!("/admin/api/assets/{cover_id}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "no field names it any more");
        let res = app.admin(Method::DELETE, &format!("/admin/api/assets/{kept_id}")).send().await.unwrap();
        let p = problem(res, StatusCode::CONFLICT).await;
        assert_eq!(p["code"], "asset_in_use", "the remaining field still uses its asset");
    }
}

/// The size limit and a cut-off upload, on the local folder (where a
/// leftover would be a file) and in memory, on both databases.
async fn too_large_and_cut_off(db: Backend, media: Media) {
    let app = spawn(db, media, Some(64 * 1024)).await;
    let res = upload_form(
        &app,
        form(vec![7u8; 200 * 1024], "big.bin", "application/octet-stream"),
    )
    .await;
    let p = problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(p["detail"].as_str().unwrap().contains("65536"), "{p}");

    // A client that announces more than it sends, then hangs up.
    use tokio::io::AsyncWriteExt;
    let boundary = "quireboundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "POST /admin/api/assets HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 50000\r\n\r\n{head}",
        app.addr, app.token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&[1u8; 20000]).await.unwrap();
    stream.flush().await.unwrap();
    drop(stream);

    // Whatever the server was doing with it, it leaves no row and no object.
    for _ in 0..100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let body: Value = app
            .admin(Method::GET, "/admin/api/assets")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["meta"]["total"], 0, "{body}");
        match objects(&app).await {
            Some(keys) if !keys.is_empty() => continue,
            _ => {}
        }
        if let Media::Folder = media {
            let dir = app.config.data_dir.join("media");
            let leftovers: Vec<_> = walk(&dir);
            if !leftovers.is_empty() {
                continue;
            }
        }
        return;
    }
    panic!(
        "a refused or cut-off upload left something behind: {:?}",
        objects(&app).await
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                files.extend(walk(&p));
            } else {
                files.push(p);
            }
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_folder_too_large_and_cut_off() {
    too_large_and_cut_off(Backend::Sqlite, Media::Folder).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_folder_too_large_and_cut_off() {
    too_large_and_cut_off(Backend::Postgres, Media::Folder).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_memory_too_large_and_cut_off() {
    too_large_and_cut_off(Backend::Sqlite, Media::Memory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_s3_too_large_and_cut_off() {
    too_large_and_cut_off(Backend::Postgres, Media::S3).await;
}
