//! `/admin`: the embedded admin UI, its caching, and deep links.

use reqwest::{Method, StatusCode, header};

use crate::helpers::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_ui_is_served_with_deep_links_and_cached_assets() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let res = app.anon(Method::GET, "/admin/").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-cache");
    assert!(res.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    let index = res.text().await.unwrap();

    // A deep link gets the same page, so the app can route it.
    let res = app
        .anon(Method::GET, "/admin/entries/articles/some-id")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), index);

    // Hashed assets are cached for good; an unknown one is a 404, not the page.
    let script = index
        .split('"')
        .find(|s| s.starts_with("/admin/assets/") && s.ends_with(".js"))
        .expect("index.html loads a hashed script");
    let res = app.anon(Method::GET, script).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(
        res.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let res = app
        .anon(Method::GET, "/admin/assets/nothing-here.js")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // The API under /admin/api is not shadowed by the app.
    let res = app
        .anon(Method::GET, "/admin/api/auth/me")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    assert_eq!(res.headers()[header::LOCATION], "/admin/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_ui_scripts_go_out_compressed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let index = app
        .anon(Method::GET, "/admin/")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let script = index
        .split('"')
        .find(|s| s.starts_with("/admin/assets/") && s.ends_with(".js"))
        .expect("index.html loads a hashed script");
    let plain = app.anon(Method::GET, script).send().await.unwrap();
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    let plain = plain.bytes().await.unwrap();
    for encoding in ["br", "gzip"] {
        let res = app
            .anon(Method::GET, script)
            .header(header::ACCEPT_ENCODING, encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()[header::CONTENT_ENCODING], encoding);
        assert_eq!(res.headers()[header::VARY], "Accept-Encoding");
        let bytes = res.bytes().await.unwrap();
        assert!(
            bytes.len() * 2 < plain.len(),
            "{encoding}: {} of {}",
            bytes.len(),
            plain.len()
        );
        let mut out = Vec::new();
        match encoding {
            "br" => {
                brotli::BrotliDecompress(&mut &bytes[..], &mut out).unwrap();
            }
            _ => {
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
                    .unwrap();
            }
        }
        assert_eq!(out, plain.to_vec(), "{encoding}: the same script");
    }
}
