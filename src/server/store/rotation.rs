//! Key rotation: every sealed value (the saved client secret, SMTP password and private
//! key, the keys waiting for a save, the webhooks' signing secrets, the key check) opened with the old key and sealed
//! with the new one, in one transaction. With a key file, the new key is written beside
//! the old one first (`<database>.key.new`), the transaction commits, then the new file
//! takes the old one's place; a crash at any point leaves a key that opens the store,
//! and the next start finishes (or forgets) the rotation (`Store::open`).

use super::{Store, StoreError, KEY_CHECK};
use crate::server::store::sealing::SealingKey;

/// The sealed columns, each with the purpose it was sealed for and the column that names
/// its row.
const SEALED: [(&str, &str, &str, &str); 5] = [
    (
        "configuration",
        "client_secret_sealed",
        "client_secret",
        "id",
    ),
    ("configuration", "password_sealed", "password", "id"),
    ("configuration", "private_key_sealed", "private_key", "id"),
    (
        "pending_private_keys",
        "private_key_sealed",
        "private_key",
        "certificate_sha256",
    ),
    ("webhook_endpoints", "secret_sealed", "webhook_secret", "id"),
];

impl Store {
    /// Re-seals every stored secret under `new` in one transaction; afterwards only
    /// `new` opens this database. Returns how many values were sealed again.
    pub async fn reseal(&self, new: &SealingKey) -> Result<usize, StoreError> {
        let mut count = 0;
        on_pool_tx!(self, tx => {
            for (table, column, purpose, key_column) in SEALED {
                let select = format!(
                    "SELECT CAST({key_column} AS TEXT), {column} FROM {table} WHERE {column} IS NOT NULL"
                );
                let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(&select).fetch_all(&mut *tx).await?;
                for (id, sealed) in rows {
                    let plain = self.key.open(purpose, &sealed)?;
                    let again = new.seal(purpose, &plain)?;
                    let update = format!(
                        "UPDATE {table} SET {column} = $1 WHERE CAST({key_column} AS TEXT) = $2"
                    );
                    sqlx::query(&update).bind(again).bind(id).execute(&mut *tx).await?;
                    count += 1;
                }
            }
            let check: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM key_check WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
            let plain = self.key.open(KEY_CHECK, &check)?;
            sqlx::query("UPDATE key_check SET sealed = $1 WHERE id = 1")
                .bind(new.seal(KEY_CHECK, &plain)?)
                .execute(&mut *tx)
                .await?;
            tracing::info!("rotate-key: every secret is sealed with the new key (committing)");
        });
        Ok(count)
    }
}
