//! The `quire` command line.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use quire::config::{Config, LogFormat, Settings};

/// mimalloc gives freed memory back to the system as it goes; glibc's
/// allocator kept hundreds of megabytes in its per-thread arenas after one
/// large entry was saved and indexed (bench/large-entry.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (the same in its v2 and v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory is backed by ordinary pages, and freed pages go back to the
/// system as soon as they are free.
///
/// mimalloc commits its arenas whole on Linux, and where the kernel offers
/// transparent huge pages a committed arena is backed by 2 MiB pages: a few
/// kilobytes used in each made 32 of an idle server's 48 MiB of private
/// memory. Without them an idle server holds 16–20 MiB (bench/README.md).
/// This is what `MIMALLOC_ALLOW_THP=0` does, which mimalloc reads only
/// before its first allocation, long before `main`.
///
/// Freed pages are purged at once, not after mimalloc's default delay: a
/// thread purges only when it next allocates or frees, so memory a thread
/// freed just before going idle (a merge thread of the search index after
/// a merge, a blocking pool thread after a large request) stayed resident
/// for as long as it slept. With a 10 ms delay the server held 109 MiB
/// after bench/run.sh's seeding and cache-on reads, 95 MiB with none;
/// cached reads ran as fast, uncached pages a quarter slower (each page's
/// values, dropped, empty a page that is then returned to the system; 6.2k
/// against 8.0k req/s). `MIMALLOC_PURGE_DELAY` set in the environment
/// overrides this, for a server with memory to spare.
fn tune_allocator() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes plain integers and
    // changes only this process's page policy; a failure leaves it as it was.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain FFI call with a valid option and value; mimalloc
        // takes option changes at any time (the delay is read when a purge
        // is scheduled).
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}

/// SQLite counts every allocation it makes under a global mutex, for
/// statistics Quire never reads (`sqlite3_memory_used`): a lock and unlock
/// per allocation, on every thread that reads. Off before the first
/// connection opens, which is the only time SQLite takes the setting.
fn tune_sqlite() {
    // SAFETY: sqlite3_config is called before any other SQLite function (no
    // connection exists yet) with an option that takes one int; were SQLite
    // already initialised it would answer SQLITE_MISUSE and change nothing.
    unsafe {
        rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as libc::c_int);
    }
}

use quire::model::access::Role;
use quire::store::audit::Actor;

#[derive(Parser)]
#[command(name = "quire", version, about = "A headless CMS in one binary")]
struct Cli {
    /// Configuration file (default: ./quire.toml when it exists).
    #[arg(long, env = "QUIRE_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (migrates, applies content-types/, creates the first admin).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Rebuild the search index from the database; a running server keeps
    /// answering from the old index until the new one is swapped in.
    Reindex,
    /// The search index's copies in the object store.
    Index {
        #[command(subcommand)]
        command: IndexCommand,
    },
    /// Print the admin API's OpenAPI document.
    Openapi,
    /// Print the error catalogue (every problem code) as Markdown.
    Errors,
    /// Write a consistent copy of the SQLite database to FILE while a server
    /// may keep running on it (for PostgreSQL use pg_dump).
    Backup {
        /// Where the copy goes; must not exist yet.
        file: PathBuf,
    },
    /// Write everything (content types, entries in every locale with
    /// working and live copies, revisions, the change feed, users with their
    /// password hashes, tokens' hashes, webhooks, assets with their files)
    /// to DIR as JSON lines and files, from one consistent snapshot; a
    /// server may keep serving meanwhile.
    Export {
        /// A new or empty directory.
        dir: PathBuf,
    },
    /// Restore an export into an empty database (SQLite or PostgreSQL, as
    /// configured) and the configured media store: ids, dates, versions and
    /// history kept.
    Import {
        /// A directory `quire export` wrote.
        dir: PathBuf,
    },
    /// Media storage upkeep.
    Media {
        #[command(subcommand)]
        command: MediaCommand,
    },
    /// The content types in the database.
    Types {
        #[command(subcommand)]
        command: TypesCommand,
    },
}

#[derive(Subcommand)]
enum TypesCommand {
    /// Print the public API's contract for the types in force: TypeScript
    /// declarations (`--ts`) or the OpenAPI document (`--openapi`).
    Export {
        #[arg(long, conflicts_with = "openapi", required_unless_present = "openapi")]
        ts: bool,
        #[arg(long)]
        openapi: bool,
    },
    /// Show what applying the `content-types/` folder would do to the
    /// stored types and their entries (fields added, renamed, converted,
    /// removed, with the entries each touches), changing nothing.
    Plan,
    /// Apply the `content-types/` folder as a start does (all files, or
    /// none when one change would be refused).
    Apply {
        /// Also delete the stored types no file defines any more (a type
        /// with entries only with --delete-entries).
        #[arg(long)]
        prune: bool,
        /// With --prune: delete those types' entries too.
        #[arg(long, requires = "prune")]
        delete_entries: bool,
    },
}

#[derive(Subcommand)]
enum IndexCommand {
    /// Copy this node's search index to the media store (under `search/`),
    /// where a node starting without an index fetches it instead of
    /// indexing the whole change feed. A running server may keep serving.
    Snapshot,
}

#[derive(Subcommand)]
enum MediaCommand {
    /// Delete stored objects no asset names (left by a crash between an
    /// upload's bytes and its record). A running server does this hourly.
    Sweep {
        /// Only objects at least this old: younger ones may belong to an
        /// upload still in progress.
        #[arg(long, default_value_t = 3600)]
        min_age_secs: u64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from QUIRE_USER_PASSWORD or asked for.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "admin", value_parser = ["admin", "editor", "author", "viewer"])]
        role: String,
        #[arg(long, env = "QUIRE_USER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let (path, explicit) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => (PathBuf::from("quire.toml"), false),
    };
    let file = Settings::from_file(&path, explicit)?;
    Ok(Config::resolve(cli.settings.clone().or(file))?)
}

fn read_password() -> anyhow::Result<String> {
    use std::io::BufRead;
    eprint!("Password (at least 12 characters): ");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn reindex(config: &Config) -> anyhow::Result<()> {
    let root = config
        .search_dir
        .clone()
        .context("QUIRE_SEARCH_DIR is `memory`: there is no index on disk to rebuild")?;
    std::fs::create_dir_all(&config.data_dir)?;
    let db = quire::store::Db::connect(config).await?;
    db.migrate().await?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} entries ({per_sec}, {eta} left)",
        )?
        .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let total = quire::search::indexer::rebuild(&db, &root, |total, done| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish();
    println!(
        "indexed {total} entries in {:.1} s; the new index is live",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tune_allocator();
    tune_sqlite();
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi => {
            println!("{}", quire::api::admin::spec_json());
            return Ok(());
        }
        Command::Errors => {
            print!("{}", quire::api::codes::markdown());
            return Ok(());
        }
        _ => {}
    }
    let config = load_config(&cli)?;
    let filter = quire::logging::filter(&config.log)
        .with_context(|| format!("invalid QUIRE_LOG `{}`", config.log))?;
    match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .with_env_filter(filter)
            .init(),
        // One object a line; the request span (with its id) rides along.
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .init(),
    }
    match cli.command {
        Command::Serve => {
            let running = quire::app::serve(config).await?;
            running.wait().await?;
        }
        Command::Migrate => {
            std::fs::create_dir_all(&config.data_dir)?;
            let db = quire::store::Db::connect(&config).await?;
            db.migrate().await?;
            tracing::info!("migrations applied");
        }
        Command::User { command } => match command {
            UserCommand::Create {
                email,
                name,
                role,
                password,
            } => {
                let password = match password {
                    Some(p) => p,
                    None => read_password()?,
                };
                std::fs::create_dir_all(&config.data_dir)?;
                let db = quire::store::Db::connect(&config).await?;
                db.migrate().await?;
                let role = Role::parse(&role).context("unknown role")?;
                let actor = Actor::system("system:cli");
                let user = quire::auth::create_user(
                    &db,
                    &email,
                    &password,
                    name.as_deref(),
                    role,
                    None,
                    &actor,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                println!("created {} ({}) with id {}", user.email, user.role, user.id);
            }
        },
        Command::Reindex => reindex(&config).await?,
        Command::Index {
            command: IndexCommand::Snapshot,
        } => {
            let root = config
                .search_dir
                .clone()
                .context("QUIRE_SEARCH_DIR is `memory`: there is no index on disk to copy")?;
            let media = quire::media::backend::open(&config.media_url)?;
            let started = std::time::Instant::now();
            let s = quire::search::snapshot::upload(&root, media.as_ref()).await?;
            println!(
                "stored the search index at change {} ({} files, {} bytes) in {:.1} s",
                s.seq,
                s.files,
                s.bytes,
                started.elapsed().as_secs_f64()
            );
        }
        Command::Backup { file } => {
            anyhow::ensure!(!file.exists(), "{} exists already", file.display());
            let db = quire::store::Db::connect(&config).await?;
            match db.backup_sqlite(&file).await? {
                Some(()) => println!("backed up {} to {}", config.database_url, file.display()),
                None => anyhow::bail!(
                    "quire backup copies SQLite databases; for PostgreSQL use \
                     `pg_dump --format=custom --file=quire.dump <database url>`"
                ),
            }
        }
        Command::Export { dir } => {
            let (db, media) = db_and_media(&config).await?;
            let m = quire::transfer::export(&db, media.as_ref(), &dir).await?;
            println!("exported {} to {}", summary(&m), dir.display());
        }
        Command::Import { dir } => {
            let (db, media) = db_and_media(&config).await?;
            let m = quire::transfer::import(&db, media.as_ref(), &dir).await?;
            println!("imported {} from {}", summary(&m), dir.display());
        }
        Command::Media {
            command: MediaCommand::Sweep { min_age_secs },
        } => {
            let db = quire::store::Db::connect(&config).await?;
            db.migrate().await?;
            let media = quire::media::backend::open(&config.media_url)?;
            let min_age = std::time::Duration::from_secs(min_age_secs);
            let folder = quire::media::backend::folder_of(&config.media_url);
            let deleted =
                quire::media::sweep::orphans(media.as_ref(), &db, min_age, folder).await?;
            println!("removed {deleted} media objects no asset names");
        }
        Command::Types {
            command: TypesCommand::Plan,
        } => {
            let (dir, db) = folder_and_db(&config).await?;
            print!("{}", quire::bootstrap::plan_content_types(&db, &dir).await?);
        }
        Command::Types {
            command:
                TypesCommand::Apply {
                    prune,
                    delete_entries,
                },
        } => {
            let (dir, db) = folder_and_db(&config).await?;
            if prune {
                // Checked before anything is applied: all or nothing.
                quire::bootstrap::check_prune(&db, &dir, delete_entries).await?;
            }
            quire::bootstrap::apply_content_types(&db, &dir).await?;
            println!("applied {}", dir.display());
            if prune {
                for api_id in
                    quire::bootstrap::prune_content_types(&db, &dir, delete_entries).await?
                {
                    println!("deleted {api_id}");
                }
            }
        }
        Command::Types {
            command: TypesCommand::Export { ts, .. },
        } => {
            let db = quire::store::Db::connect(&config).await?;
            db.migrate().await?;
            // Resolved as the server holds them (components filled in).
            let registry = quire::content::registry::TypeRegistry::default();
            registry.reload(&db).await?;
            let types = registry.all();
            use quire::api::public::contract;
            if ts {
                print!("{}", contract::typescript(&types));
            } else {
                let doc = contract::openapi(&types, &config.locales, env!("CARGO_PKG_VERSION"));
                println!("{}", serde_json::to_string_pretty(&doc)?);
            }
        }
        Command::Openapi | Command::Errors => {}
    }
    Ok(())
}

/// The `content-types/` folder and the database, migrated, for the `types`
/// commands that apply or plan it.
async fn folder_and_db(
    config: &quire::config::Config,
) -> anyhow::Result<(std::path::PathBuf, quire::store::Db)> {
    let dir = config
        .content_types
        .clone()
        .ok_or_else(|| anyhow::anyhow!("no content-types folder: set QUIRE_CONTENT_TYPES"))?;
    let db = quire::store::Db::connect(config).await?;
    db.migrate().await?;
    Ok((dir, db))
}

/// The migrated database and the media store a transfer reads or fills.
async fn db_and_media(
    config: &Config,
) -> anyhow::Result<(
    quire::store::Db,
    std::sync::Arc<dyn object_store::ObjectStore>,
)> {
    // A new SQLite file needs its folder.
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let db = quire::store::Db::connect(config).await?;
    db.migrate().await?;
    Ok((db, quire::media::backend::open(&config.media_url)?))
}

/// What a transfer moved, in a few words.
fn summary(m: &quire::transfer::Manifest) -> String {
    let rows = |t: &str| m.tables.get(t).copied().unwrap_or(0);
    format!(
        "{} entries, {} revisions and {} media files",
        rows("entries"),
        rows("revisions"),
        m.media_files
    )
}
