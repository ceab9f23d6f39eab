// sqlx::migrate! embeds the migration files at build time, and include_dir!
// the admin UI's build; without this a new file would not trigger a rebuild.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    // The admin UI's build is embedded too.
    println!("cargo:rerun-if-changed=admin-ui/dist");
}
