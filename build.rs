// sqlx::migrate! embeds the migration files at build time; without this a new
// file would not trigger a rebuild.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
