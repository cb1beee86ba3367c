//! Precompressed siblings of the built page: `X.br` (brotli quality 11) and `X.gz` (gzip -9) beside
//! every compressible file of a dist folder, for servers that send them as they are (the simulator's
//! `ServeDir`, nginx's `gzip_static`/`brotli_static`).
use std::io::Write;
use std::path::{Path, PathBuf};

/// What gets precompressed: text and wasm. Images other than SVG and fonts are compressed already.
const COMPRESSIBLE: [&str; 5] = ["wasm", "js", "css", "html", "svg"];
const SIBLINGS: [&str; 2] = ["br", "gz"];

/// Byte counts over every compressible file of a dist folder.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub files: usize,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

impl Totals {
    pub fn line(&self) -> String {
        format!(
            "precompressed {} files: {} B raw, {} B gzip -9, {} B brotli 11",
            self.files, self.raw, self.gzip, self.brotli
        )
    }
}

/// Brotli at quality 11 with a 16 MiB window (the largest every browser decodes).
pub fn brotli(data: &[u8]) -> Result<Vec<u8>, String> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        size_hint: data.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(data.len() / 3);
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)
        .map_err(|e| format!("brotli: {e}"))?;
    Ok(out)
}

/// Gzip at level 9, with no name and a zero timestamp so that equal input gives equal output.
pub fn gzip(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 3),
        flate2::Compression::best(),
    );
    enc.write_all(data).map_err(|e| format!("gzip: {e}"))?;
    enc.finish().map_err(|e| format!("gzip: {e}"))
}

/// Writes `X.br` and `X.gz` beside each compressible file under `dist` (rewritten every time) and
/// removes the `.br`/`.gz` files whose original is gone.
pub fn dist(dist: &Path) -> Result<Totals, String> {
    let mut files = Vec::new();
    walk(dist, &mut files)?;
    let mut totals = Totals::default();
    for path in &files {
        if let Some(original) = sibling_of(path) {
            if !original.is_file() {
                std::fs::remove_file(path)
                    .map_err(|e| format!("removing stale {}: {e}", path.display()))?;
            }
        } else if is_compressible(path) {
            let data =
                std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            let (br, gz) = (brotli(&data)?, gzip(&data)?);
            write(&with_suffix(path, "br"), &br)?;
            write(&with_suffix(path, "gz"), &gz)?;
            totals.files += 1;
            totals.raw += data.len() as u64;
            totals.brotli += br.len() as u64;
            totals.gzip += gz.len() as u64;
        }
    }
    Ok(totals)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("reading {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(())
}

fn extension(path: &Path) -> Option<String> {
    path.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

fn is_compressible(path: &Path) -> bool {
    extension(path).is_some_and(|e| COMPRESSIBLE.contains(&e.as_str()))
}

/// For `X.br` or `X.gz` of a compressible `X`, the path of `X`.
fn sibling_of(path: &Path) -> Option<PathBuf> {
    let ext = extension(path)?;
    let original = path.with_extension("");
    (SIBLINGS.contains(&ext.as_str()) && is_compressible(&original)).then_some(original)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn unbrotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        brotli::Decompressor::new(data, 4096)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn ungzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn both_encodings_round_trip() {
        let text: Vec<u8> = (0..20_000u32)
            .flat_map(|i| format!("key-{} ", i % 97).into_bytes())
            .collect();
        for data in [Vec::new(), b"x".to_vec(), text.clone()] {
            assert_eq!(unbrotli(&brotli(&data).unwrap()), data);
            assert_eq!(ungzip(&gzip(&data).unwrap()), data);
        }
        assert!(brotli(&text).unwrap().len() < text.len() / 10);
        assert!(gzip(&text).unwrap().len() < text.len() / 10);
        assert_eq!(gzip(&text).unwrap(), gzip(&text).unwrap());
    }

    #[test]
    fn writes_siblings_and_removes_stale_ones() {
        let dir = std::env::temp_dir().join(format!("xtask-compress-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("snippets")).unwrap();
        let js = b"export function f() { return 'hello hello hello hello'; }\n".repeat(50);
        std::fs::write(dir.join("app-0123456789abcdef.js"), &js).unwrap();
        std::fs::write(dir.join("snippets/x.css"), b"a { color: red }").unwrap();
        std::fs::write(dir.join("photo.png"), b"\x89PNG").unwrap();
        std::fs::write(dir.join("old-0123456789abcdef.js.br"), b"stale").unwrap();
        std::fs::write(dir.join("old-0123456789abcdef.wasm.gz"), b"stale").unwrap();
        std::fs::write(dir.join("notes.txt.gz"), b"not ours").unwrap();

        let totals = dist(&dir).unwrap();
        assert_eq!(totals.files, 2);
        assert_eq!(totals.raw, js.len() as u64 + 16);
        let br = std::fs::read(dir.join("app-0123456789abcdef.js.br")).unwrap();
        let gz = std::fs::read(dir.join("app-0123456789abcdef.js.gz")).unwrap();
        assert_eq!(unbrotli(&br), js);
        assert_eq!(ungzip(&gz), js);
        assert_eq!(
            ungzip(&std::fs::read(dir.join("snippets/x.css.gz")).unwrap()),
            b"a { color: red }"
        );
        assert!(dir.join("snippets/x.css.br").is_file());
        assert!(!dir.join("photo.png.br").exists() && !dir.join("photo.png.gz").exists());
        assert!(!dir.join("old-0123456789abcdef.js.br").exists());
        assert!(!dir.join("old-0123456789abcdef.wasm.gz").exists());
        assert!(dir.join("notes.txt.gz").exists());

        // A second run rewrites the same files and compresses no sibling twice.
        assert_eq!(dist(&dir).unwrap(), totals);
        assert!(!dir.join("app-0123456789abcdef.js.br.br").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
