//! nginx in front of the simulator, configured from `deploy/nginx.conf` (the configuration the
//! README gives for a real manager): the page under `/sap-key-jobs/`, `/api/` proxied.
//!
//! nginx runs in the foreground on a free loopback port with everything it writes (pid, temporary
//! bodies, access log) in a temporary folder; its error log goes to stderr. `NGINX_BIN` names the
//! binary (default `/usr/sbin/nginx`); `CCKM_SUBPATH_DIST` is the page built with
//! `--public-url /sap-key-jobs/`.
//!
//! Brotli: the template loads Debian's `libnginx-mod-http-brotli-static` through its
//! `modules-enabled/` snippet when the package is installed, and `{{BROTLI_STATIC}}` switches
//! `brotli_static` on exactly when that snippet is there ([`Brotli::Host`]); [`Brotli::Absent`]
//! renders the template as on a host without the package.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// The deployment template, exactly as shipped.
pub const TEMPLATE: &str = include_str!("../../deploy/nginx.conf");

/// The path the page is served under in the template.
pub const SUBPATH: &str = "/sap-key-jobs/";

/// The template's main-level `include` of the brotli module's `load_module` snippet.
pub const BROTLI_MODULE_INCLUDE: &str =
    "include /etc/nginx/modules-enabled/*-mod-http-brotli-static.conf;";

/// What `{{BROTLI_STATIC}}` becomes when the module is loaded.
pub const BROTLI_STATIC_ON: &str = "brotli_static on;";

/// Whether nginx serves the `.br` files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Brotli {
    /// As this host has it: on when Debian's package has enabled the module (see [`brotli_enabled`]).
    Host,
    /// As on a host without the module: not loaded, not switched on (the `.gz` files only).
    Absent,
}

/// Whether the template's module `include` matches a file here, i.e. nginx loads the brotli module.
pub fn brotli_enabled() -> bool {
    let Some((dir, suffix)) = BROTLI_MODULE_INCLUDE
        .trim_start_matches("include ")
        .trim_end_matches(';')
        .split_once('*')
    else {
        return false;
    };
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(std::result::Result::ok).any(|e| {
            // Following the symbolic link, as nginx does: a dangling one loads nothing.
            e.file_name().to_string_lossy().ends_with(suffix)
                && std::fs::metadata(e.path()).is_ok_and(|m| m.is_file())
        })
    })
}

/// Fills the template's placeholders; `brotli` puts `brotli_static on;` in, which needs the module.
pub fn render(
    listen: &str,
    page_dir: &Path,
    manager: &str,
    var_dir: &Path,
    brotli: bool,
) -> String {
    TEMPLATE
        .replace("{{LISTEN}}", listen)
        .replace(
            "{{PAGE_DIR}}",
            page_dir.to_string_lossy().trim_end_matches('/'),
        )
        .replace("{{MANAGER}}", manager.trim_end_matches('/'))
        .replace("{{VAR_DIR}}", &var_dir.to_string_lossy())
        .replace(
            "{{BROTLI_STATIC}}",
            if brotli { BROTLI_STATIC_ON } else { "" },
        )
}

/// The extensions `cargo xtask build` writes `.br` and `.gz` files for.
pub const COMPRESSIBLE: [&str; 5] = ["wasm", "js", "css", "html", "svg"];

/// One file of the page with the two compressed copies the build wrote beside it.
pub struct Precompressed {
    pub name: String,
    pub plain: Vec<u8>,
    /// `NAME.br`
    pub br: Vec<u8>,
    /// `NAME.gz`
    pub gz: Vec<u8>,
}

/// Every compressible file at the top of `dist` with its `.br` and `.gz`, by name; an error when
/// one is missing.
pub fn precompressed(dist: &Path) -> Result<Vec<Precompressed>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dist)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let ext = path.extension().unwrap_or_default().to_string_lossy();
        if !path.is_file() || !COMPRESSIBLE.contains(&ext.as_ref()) {
            continue;
        }
        let beside = |suffix: &str| {
            let p = dist.join(format!("{name}.{suffix}"));
            std::fs::read(&p)
                .map_err(|e| format!("{}: {e} (`cargo xtask build` writes it)", p.display()))
        };
        files.push(Precompressed {
            plain: std::fs::read(&path)?,
            br: beside("br")?,
            gz: beside("gz")?,
            name,
        });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// Copies a folder's files and subfolders, readable by everyone.
fn copy_dir(from: &Path, to: &Path) -> Result {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if entry.file_type()?.is_dir() {
                0o755
            } else {
                0o644
            };
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))?;
        }
    }
    Ok(())
}

fn nginx_bin() -> PathBuf {
    std::env::var_os("NGINX_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"))
}

/// A running nginx; stopped on drop.
pub struct Nginx {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub config: String,
    /// Whether `brotli_static` is on.
    pub brotli: bool,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Serves `page_dir` under `/sap-key-jobs/` and proxies the rest to `manager`
    /// (e.g. the simulator's `http://127.0.0.1:PORT`).
    pub fn start(page_dir: &Path, manager: &str) -> Result<Nginx> {
        Self::start_with(page_dir, manager, Brotli::Host)
    }

    /// [`Nginx::start`], with the brotli module as this host has it or as if it were not installed.
    pub fn start_with(page_dir: &Path, manager: &str, brotli: Brotli) -> Result<Nginx> {
        let page_dir = page_dir
            .canonicalize()
            .map_err(|e| format!("{}: {e}", page_dir.display()))?;
        let dir = tempfile::Builder::new().prefix("cckm-nginx-").tempdir()?;
        // Run as root, nginx's workers drop to `nobody`: they must be able to enter this folder.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        }
        let var_dir = dir.path().join("var");
        std::fs::create_dir_all(&var_dir)?;
        // A copy of the page in that folder, so workers can read it wherever the dist lives.
        let page_copy = dir.path().join("page");
        copy_dir(&page_dir, &page_copy)?;
        let page_dir = page_copy;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let on = brotli == Brotli::Host && brotli_enabled();
        let mut config = render(
            &format!("127.0.0.1:{port}"),
            &page_dir,
            manager,
            &var_dir,
            on,
        );
        if brotli == Brotli::Absent {
            config = config.replace(
                BROTLI_MODULE_INCLUDE,
                "# (rendered as on a host without the brotli module)",
            );
        }
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, &config)?;
        let globals = format!(
            "daemon off; pid {}; error_log stderr;",
            dir.path().join("nginx.pid").display()
        );
        // nginx's own prefix, not `-p`: the module snippet's `load_module modules/...` is relative to it.
        let mut child = Command::new(nginx_bin())
            // nginx reads `NGINX` as a list of inherited sockets (binary upgrade): never pass one.
            .env_remove("NGINX")
            .arg("-c")
            .arg(&conf)
            .arg("-g")
            .arg(&globals)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", nginx_bin().display()))?;
        let start = Instant::now();
        loop {
            if let Some(st) = child.try_wait()? {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return Err(format!(
                    "nginx exited ({st}) before it listened:\n{err}\nconfig:\n{config}"
                )
                .into());
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                return Err("nginx did not start listening".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Echo nginx's error log (it is stderr) so a failing test shows it; never let it block.
        if let Some(mut e) = child.stderr.take() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = e.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    eprint!("[nginx] {}", String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        Ok(Nginx {
            child,
            base: format!("http://127.0.0.1:{port}"),
            config,
            brotli: on,
            dir,
        })
    }

    /// The page's URL: `http://127.0.0.1:PORT/sap-key-jobs/`.
    pub fn page_url(&self) -> String {
        format!("{}{SUBPATH}", self.base)
    }

    /// nginx's access log so far.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("var").join("access.log")).unwrap_or_default()
    }

    /// Fast shutdown (SIGTERM to the master, which stops its workers), SIGKILL after 5 s.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_renders_every_placeholder() {
        let conf = render(
            "127.0.0.1:1",
            Path::new("/srv/page/"),
            "https://cm.example.com/",
            Path::new("/var/x"),
            true,
        );
        assert!(!conf.contains("{{"), "{conf}");
        assert!(conf.contains("alias /srv/page/;"));
        assert!(conf.contains("proxy_pass https://cm.example.com;"));
        assert!(conf.contains("location /sap-key-jobs/"));
        assert!(conf.contains(BROTLI_STATIC_ON));
    }

    #[test]
    fn brotli_static_is_only_there_when_asked_for_and_the_module_include_is_at_the_main_level() {
        let conf = render(
            "127.0.0.1:1",
            Path::new("/srv/page"),
            "https://cm",
            Path::new("/var/x"),
            false,
        );
        let directives: Vec<&str> = conf
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .collect();
        assert!(
            !conf.contains("{{") && !directives.iter().any(|l| l.contains("brotli_static")),
            "{conf}"
        );
        let include = conf
            .lines()
            .position(|l| l == BROTLI_MODULE_INCLUDE)
            .expect("the module include, unindented");
        let http = conf
            .lines()
            .position(|l| l.starts_with("http {"))
            .expect("the http block");
        assert!(
            include < http,
            "load_module is only allowed before the http block"
        );
        assert!(
            conf.contains("gzip_static on;") && conf.contains("gzip_vary on;"),
            "{conf}"
        );
    }
}
