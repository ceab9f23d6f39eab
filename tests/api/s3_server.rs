//! The S3-compatible server the S3 media tests use when
//! `QUIRE_TEST_S3_URL` names none: s3s-fs (the S3 protocol over a folder)
//! inside this test binary, on an ephemeral loopback port, with signed
//! requests checked against its own keys.

use std::sync::OnceLock;

const BUCKET: &str = "quire-test";
const ACCESS_KEY: &str = "quire-test";
const SECRET_KEY: &str = "quire-test-secret";

/// `s3://quire-test?endpoint=…` for the server this process runs, started
/// on first use and kept for the life of the test binary.
pub fn url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match start() {
        Ok(url) => url,
        Err(e) => panic!("cannot start the in-process S3 server: {e}"),
    })
    .clone()
}

fn start() -> std::io::Result<String> {
    // Under cargo's scratch folder for integration tests, so `cargo clean`
    // takes the objects away; the folder outlives the run on purpose (the
    // server serves until the process exits).
    let root = tempfile::Builder::new()
        .prefix("s3-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))?
        .keep();
    std::fs::create_dir_all(root.join(BUCKET))?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let fs = s3s_fs::FileSystem::new(&root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let service = {
        let mut b = s3s::service::S3ServiceBuilder::new(fs);
        b.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        b.build()
    };
    // Its own runtime on its own thread: each test's runtime ends with the
    // test, and this server must outlive all of them.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            let http =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            while let Ok((socket, _)) = listener.accept().await {
                let conn = http
                    .serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        })
    });
    Ok(format!(
        "s3://{BUCKET}?endpoint=http://{addr}&allow_http=true&region=us-east-1\
         &access_key_id={ACCESS_KEY}&secret_access_key={SECRET_KEY}"
    ))
}
