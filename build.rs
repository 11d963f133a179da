// The SQL migrations are compiled into the server (`sqlx::migrate!`): a change to one
// must rebuild it, though no Rust file changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
