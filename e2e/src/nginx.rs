//! nginx in front of the simulator, configured from `deploy/nginx.conf` (the configuration the
//! README gives for a real manager): the page under `/sap-key-jobs/`, `/api/` proxied.
//!
//! nginx runs in the foreground on a free loopback port with everything it writes (pid, temporary
//! bodies, access log) in a temporary folder; its error log goes to stderr. `NGINX_BIN` names the
//! binary (default `/usr/sbin/nginx`); `CCKM_SUBPATH_DIST` is the page built with
//! `--public-url /sap-key-jobs/`.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;

/// The deployment template, exactly as shipped.
pub const TEMPLATE: &str = include_str!("../../deploy/nginx.conf");

/// The path the page is served under in the template.
pub const SUBPATH: &str = "/sap-key-jobs/";

/// Fills the template's placeholders.
pub fn render(listen: &str, page_dir: &Path, manager: &str, var_dir: &Path) -> String {
    TEMPLATE
        .replace("{{LISTEN}}", listen)
        .replace("{{PAGE_DIR}}", page_dir.to_string_lossy().trim_end_matches('/'))
        .replace("{{MANAGER}}", manager.trim_end_matches('/'))
        .replace("{{VAR_DIR}}", &var_dir.to_string_lossy())
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
            let mode = if entry.file_type()?.is_dir() { 0o755 } else { 0o644 };
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode))?;
        }
    }
    Ok(())
}

fn nginx_bin() -> PathBuf {
    std::env::var_os("NGINX_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/usr/sbin/nginx"))
}

/// A running nginx; stopped on drop.
pub struct Nginx {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub config: String,
    dir: tempfile::TempDir,
}

impl Nginx {
    /// Serves `page_dir` under `/sap-key-jobs/` and proxies the rest to `manager`
    /// (e.g. the simulator's `http://127.0.0.1:PORT`).
    pub fn start(page_dir: &Path, manager: &str) -> Result<Nginx> {
        let page_dir = page_dir.canonicalize().map_err(|e| format!("{}: {e}", page_dir.display()))?;
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
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let config = render(&format!("127.0.0.1:{port}"), &page_dir, manager, &var_dir);
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, &config)?;
        let globals = format!("daemon off; pid {}; error_log stderr;", dir.path().join("nginx.pid").display());
        let mut child = Command::new(nginx_bin())
            // nginx reads `NGINX` as a list of inherited sockets (binary upgrade): never pass one.
            .env_remove("NGINX")
            .arg("-p")
            .arg(dir.path())
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
                return Err(format!("nginx exited ({st}) before it listened:\n{err}\nconfig:\n{config}").into());
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
        Ok(Nginx { child, base: format!("http://127.0.0.1:{port}"), config, dir })
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
            let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
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
        let conf = render("127.0.0.1:1", Path::new("/srv/page/"), "https://cm.example.com/", Path::new("/var/x"));
        assert!(!conf.contains("{{"), "{conf}");
        assert!(conf.contains("alias /srv/page/;"));
        assert!(conf.contains("proxy_pass https://cm.example.com;"));
        assert!(conf.contains("location /sap-key-jobs/"));
    }
}
