//! Brotli (quality 11) and gzip copies of the WASM, JS and CSS bundles, made once per
//! build in the background at start-up and served by `ServeDir` in place of the
//! originals. Best-quality brotli takes seconds for the WASM bundle: far too slow per
//! request, fine once. Until a copy exists, the original is served as is.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const EXTENSIONS: [&str; 3] = ["wasm", "js", "css"];

/// Starts precompressing the bundles in `dir` on a blocking thread.
pub fn spawn(dir: PathBuf) {
    tokio::task::spawn_blocking(move || match precompress_dir(&dir) {
        Ok(()) => tracing::info!(dir = %dir.display(), "bundles precompressed"),
        Err(error) => {
            tracing::warn!(dir = %dir.display(), %error, "bundles are served uncompressed")
        }
    });
}

pub fn precompress_dir(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let is_bundle = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e));
        if is_bundle {
            for encoding in [Encoding::Brotli, Encoding::Gzip] {
                precompress(&path, encoding)?;
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Encoding {
    Brotli,
    Gzip,
}

impl Encoding {
    fn suffix(self) -> &'static str {
        match self {
            Encoding::Brotli => "br",
            Encoding::Gzip => "gz",
        }
    }

    fn compress(self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        match self {
            Encoding::Brotli => {
                let mut out = Vec::with_capacity(data.len() / 3);
                let params = brotli::enc::BrotliEncoderParams {
                    quality: 11,
                    lgwin: 22,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut &data[..], &mut out, &params)?;
                Ok(out)
            }
            Encoding::Gzip => {
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                encoder.write_all(data)?;
                encoder.finish()
            }
        }
    }
}

/// Writes `file.<suffix>` unless an up-to-date one exists. A stale copy (older than its
/// original, after a rebuild) is replaced, so an old bundle is never served.
fn precompress(original: &Path, encoding: Encoding) -> std::io::Result<()> {
    let mut target = original.as_os_str().to_owned();
    target.push(".");
    target.push(encoding.suffix());
    let target = PathBuf::from(target);
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let source_time = modified(original).unwrap_or(SystemTime::UNIX_EPOCH);
    if modified(&target).is_some_and(|t| t >= source_time) {
        return Ok(());
    }
    let _ = fs::remove_file(&target);
    let compressed = encoding.compress(&fs::read(original)?)?;
    // Write beside, then rename: a request never sees a half-written file.
    let partial = target.with_extension(format!("{}.partial", encoding.suffix()));
    fs::write(&partial, compressed)?;
    fs::rename(&partial, &target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_fresh_copies_and_replaces_stale_ones() {
        let dir =
            std::env::temp_dir().join(format!("smtp-setup-precompress-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let wasm = dir.join("app.wasm");
        fs::write(&wasm, vec![7u8; 50_000]).unwrap();
        fs::write(dir.join("notes.txt"), "not a bundle").unwrap();

        precompress_dir(&dir).unwrap();
        let br = fs::read(dir.join("app.wasm.br")).unwrap();
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut decoded).unwrap();
        assert_eq!(decoded, vec![7u8; 50_000]);
        assert!(dir.join("app.wasm.gz").exists());
        assert!(!dir.join("notes.txt.br").exists());

        // A rebuild makes the copies stale: they are made again from the new bundle.
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        fs::write(&wasm, vec![9u8; 1_000]).unwrap();
        fs::File::options()
            .write(true)
            .open(&wasm)
            .unwrap()
            .set_modified(later)
            .unwrap();
        precompress_dir(&dir).unwrap();
        let br = fs::read(dir.join("app.wasm.br")).unwrap();
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut decoded).unwrap();
        assert_eq!(decoded, vec![9u8; 1_000]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
