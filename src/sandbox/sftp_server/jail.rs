//! The chroot of the sandbox's SFTP server: every path a client names is read as a path below
//! the served folder. `.` and `..` are folded before anything touches the disk and never climb
//! above the root (as under a real chroot, `/..` is `/`), and a path whose existing part leads
//! out of the root through a symbolic link is refused.
use std::path::{Component, Path, PathBuf};

/// The client's path as the server shows it: absolute, folded (`/live/incoming`). A relative
/// path is read from `/` (the login folder is the root).
pub fn virtual_path(client: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in client.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The served folder, resolved once (symbolic links in its own path are fine).
#[derive(Debug, Clone)]
pub struct Jail {
    root: PathBuf,
}

impl Jail {
    pub fn new(root: &Path) -> std::io::Result<Jail> {
        Ok(Jail { root: root.canonicalize()? })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the client's path lies on disk, or `None` when it would leave the root (through a
    /// symbolic link in its existing part).
    pub fn on_disk(&self, client: &str) -> Option<PathBuf> {
        let v = virtual_path(client);
        let mut p = self.root.clone();
        for c in Path::new(&v).components() {
            if let Component::Normal(n) = c {
                p.push(n);
            }
        }
        // The deepest part that exists, resolved, must still be inside the root.
        let mut probe = p.as_path();
        loop {
            match probe.canonicalize() {
                Ok(real) => return real.starts_with(&self.root).then_some(p),
                Err(_) => probe = probe.parent()?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fold_and_never_climb_above_the_root() {
        assert_eq!(virtual_path("/live/incoming/"), "/live/incoming");
        assert_eq!(virtual_path("live/./incoming"), "/live/incoming");
        assert_eq!(virtual_path("/../../etc/passwd"), "/etc/passwd");
        assert_eq!(virtual_path("/live/../../.."), "/");
        assert_eq!(virtual_path(""), "/");
        assert_eq!(virtual_path("."), "/");
    }

    #[test]
    fn the_disk_path_stays_below_the_root_and_links_out_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("live")).unwrap();
        let jail = Jail::new(&root).unwrap();
        let real_root = root.canonicalize().unwrap();
        assert_eq!(jail.on_disk("/../../etc/passwd").unwrap(), real_root.join("etc/passwd"));
        assert_eq!(jail.on_disk("/live/new/file.txt").unwrap(), real_root.join("live/new/file.txt"));
        assert_eq!(jail.on_disk("/").unwrap(), real_root);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path(), root.join("live/out")).unwrap();
            assert!(jail.on_disk("/live/out").is_none());
            assert!(jail.on_disk("/live/out/secret.txt").is_none());
            std::os::unix::fs::symlink(root.join("live"), root.join("inside")).unwrap();
            assert!(jail.on_disk("/inside/x").is_some(), "a link that stays inside is fine");
        }
    }
}
