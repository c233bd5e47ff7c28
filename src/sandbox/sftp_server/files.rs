//! The SFTP requests (protocol version 3) of one session, served from the folder below the
//! jail: stat, list, open/read/write/close, mkdir/rmdir, remove, rename. Links are neither made
//! nor read. During an outage every request fails (`SSH_FX_FAILURE`). Each request that names a
//! path goes into the server's call log (reads and writes on an open handle do not).
use super::jail::virtual_path;
use super::Shared;
use russh_sftp::protocol::{Attrs, Data, File, FileAttributes, Handle, Name, OpenFlags, Status, StatusCode, Version};
use russh_sftp::server::StatusReply;
use std::collections::HashMap;
use std::io::SeekFrom;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

/// The most one read answers with (the client asks for less).
const MAX_READ: u32 = 256 * 1024;

enum Open {
    File(tokio::fs::File),
    /// A listing: sent in one answer, then end of folder.
    Dir(Option<Vec<File>>),
}

pub struct Files {
    shared: Arc<Shared>,
    open: HashMap<String, Open>,
    next_handle: u64,
}

type Reply<T> = Result<T, StatusReply>;

fn io_status(e: std::io::Error) -> StatusReply {
    use std::io::ErrorKind::*;
    let code = match e.kind() {
        NotFound => StatusCode::NoSuchFile,
        PermissionDenied => StatusCode::PermissionDenied,
        _ => StatusCode::Failure,
    };
    // The OS's words only (never the path on the host).
    code.with_message(e.kind().to_string())
}

fn ok(id: u32) -> Status {
    Status { id, status_code: StatusCode::Ok, error_message: "Ok".into(), language_tag: "en-US".into() }
}

/// The HTTP-like status the call log keeps for an answer.
fn logged<T>(r: &Reply<T>) -> u16 {
    match r {
        Ok(_) => 200,
        Err(s) => match s.status_code {
            StatusCode::Eof => 200,
            StatusCode::NoSuchFile => 404,
            StatusCode::PermissionDenied => 403,
            StatusCode::Failure if s.error_message.as_deref() == Some(DOWN) => 503,
            _ => 500,
        },
    }
}

const DOWN: &str = "service unavailable (sandbox outage)";

impl Files {
    pub fn new(shared: Arc<Shared>) -> Files {
        Files { shared, open: HashMap::new(), next_handle: 0 }
    }

    /// Refuses everything during an outage.
    fn up(&self) -> Reply<()> {
        if self.shared.down.load(Ordering::SeqCst) {
            return Err(StatusCode::Failure.with_message(DOWN));
        }
        Ok(())
    }

    /// The file on disk a client path names, inside the jail.
    fn path(&self, client: &str) -> Reply<PathBuf> {
        self.up()?;
        self.shared.jail.on_disk(client).ok_or_else(|| StatusCode::PermissionDenied.with_message("outside the served folder"))
    }

    fn log<T>(&self, op: &str, path: &str, r: Reply<T>) -> Reply<T> {
        self.shared.log.record_answered(op, &virtual_path(path), logged(&r));
        r
    }

    fn keep(&mut self, open: Open) -> String {
        self.next_handle += 1;
        let h = format!("h{}", self.next_handle);
        self.open.insert(h.clone(), open);
        h
    }

    fn file(&mut self, handle: &str) -> Reply<&mut tokio::fs::File> {
        self.up()?;
        match self.open.get_mut(handle) {
            Some(Open::File(f)) => Ok(f),
            _ => Err(StatusCode::Failure.with_message("no such open file")),
        }
    }

    async fn stat_of(&self, path: &str, follow: bool) -> Reply<FileAttributes> {
        let p = self.path(path)?;
        let meta = if follow { tokio::fs::metadata(&p).await } else { tokio::fs::symlink_metadata(&p).await };
        Ok(FileAttributes::from(&meta.map_err(io_status)?))
    }

    async fn list(&self, path: &str) -> Reply<Vec<File>> {
        let p = self.path(path)?;
        let mut rd = tokio::fs::read_dir(&p).await.map_err(io_status)?;
        let mut out = Vec::new();
        while let Some(e) = rd.next_entry().await.map_err(io_status)? {
            let Ok(meta) = e.metadata().await else { continue };
            out.push(File::new(e.file_name().to_string_lossy(), FileAttributes::from(&meta)));
        }
        Ok(out)
    }

    async fn read_at(&mut self, handle: &str, offset: u64, len: u32) -> Reply<Vec<u8>> {
        let f = self.file(handle)?;
        f.seek(SeekFrom::Start(offset)).await.map_err(io_status)?;
        let mut buf = vec![0u8; len.min(MAX_READ) as usize];
        let mut got = 0;
        while got < buf.len() {
            match f.read(&mut buf[got..]).await.map_err(io_status)? {
                0 => break,
                n => got += n,
            }
        }
        if got == 0 && !buf.is_empty() {
            return Err(StatusCode::Eof.into());
        }
        buf.truncate(got);
        Ok(buf)
    }

    async fn write_at(&mut self, handle: &str, offset: u64, data: &[u8]) -> Reply<()> {
        let f = self.file(handle)?;
        f.seek(SeekFrom::Start(offset)).await.map_err(io_status)?;
        f.write_all(data).await.map_err(io_status)
    }

    async fn rename_within(&self, from: &str, to: &str) -> Reply<()> {
        let (a, b) = (self.path(from)?, self.path(to)?);
        // As OpenSSH's SFTP v3 rename: an existing target is not replaced.
        if tokio::fs::symlink_metadata(&b).await.is_ok() {
            return Err(StatusCode::Failure.with_message("the target exists"));
        }
        tokio::fs::rename(&a, &b).await.map_err(io_status)
    }
}

impl russh_sftp::server::Handler for Files {
    type Error = StatusReply;

    fn unimplemented(&self) -> StatusReply {
        StatusCode::OpUnsupported.into()
    }

    async fn init(&mut self, _version: u32, _extensions: HashMap<String, String>) -> Reply<Version> {
        Ok(Version::new())
    }

    async fn realpath(&mut self, id: u32, path: String) -> Reply<Name> {
        Ok(Name { id, files: vec![File::dummy(virtual_path(&path))] })
    }

    async fn stat(&mut self, id: u32, path: String) -> Reply<Attrs> {
        let r = self.stat_of(&path, true).await.map(|attrs| Attrs { id, attrs });
        self.log("STAT", &path, r)
    }

    async fn lstat(&mut self, id: u32, path: String) -> Reply<Attrs> {
        let r = self.stat_of(&path, false).await.map(|attrs| Attrs { id, attrs });
        self.log("LSTAT", &path, r)
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Reply<Attrs> {
        let f = self.file(&handle)?;
        let meta = f.metadata().await.map_err(io_status)?;
        Ok(Attrs { id, attrs: FileAttributes::from(&meta) })
    }

    async fn setstat(&mut self, id: u32, path: String, _attrs: FileAttributes) -> Reply<Status> {
        // Times and modes are not kept; the file must exist.
        let r = self.stat_of(&path, true).await.map(|_| ok(id));
        self.log("SETSTAT", &path, r)
    }

    async fn fsetstat(&mut self, id: u32, handle: String, _attrs: FileAttributes) -> Reply<Status> {
        self.file(&handle).map(|_| ok(id))
    }

    async fn opendir(&mut self, id: u32, path: String) -> Reply<Handle> {
        let r = self.list(&path).await.map(|files| Handle { id, handle: self.keep(Open::Dir(Some(files))) });
        self.log("OPENDIR", &path, r)
    }

    async fn readdir(&mut self, id: u32, handle: String) -> Reply<Name> {
        self.up()?;
        match self.open.get_mut(&handle) {
            Some(Open::Dir(files)) => match files.take() {
                Some(files) if !files.is_empty() => Ok(Name { id, files }),
                _ => Err(StatusCode::Eof.into()),
            },
            _ => Err(StatusCode::Failure.with_message("no such open folder")),
        }
    }

    async fn open(&mut self, id: u32, filename: String, pflags: OpenFlags, _attrs: FileAttributes) -> Reply<Handle> {
        let r = match self.path(&filename) {
            Ok(p) => {
                let opts = tokio::fs::OpenOptions::from(std::fs::OpenOptions::from(pflags));
                match opts.open(&p).await {
                    Ok(f) => Ok(Handle { id, handle: self.keep(Open::File(f)) }),
                    Err(e) => Err(io_status(e)),
                }
            }
            Err(e) => Err(e),
        };
        let op = if pflags.contains(OpenFlags::WRITE) { "OPEN_WRITE" } else { "OPEN_READ" };
        self.log(op, &filename, r)
    }

    async fn read(&mut self, id: u32, handle: String, offset: u64, len: u32) -> Reply<Data> {
        self.read_at(&handle, offset, len).await.map(|data| Data { id, data })
    }

    async fn write(&mut self, id: u32, handle: String, offset: u64, data: Vec<u8>) -> Reply<Status> {
        self.write_at(&handle, offset, &data).await.map(|_| ok(id))
    }

    async fn close(&mut self, id: u32, handle: String) -> Reply<Status> {
        match self.open.remove(&handle) {
            Some(Open::File(mut f)) => f.flush().await.map(|_| ok(id)).map_err(io_status),
            Some(Open::Dir(_)) => Ok(ok(id)),
            None => Err(StatusCode::Failure.with_message("no such handle")),
        }
    }

    async fn mkdir(&mut self, id: u32, path: String, _attrs: FileAttributes) -> Reply<Status> {
        let r = match self.path(&path) {
            Ok(p) => tokio::fs::create_dir(&p).await.map(|_| ok(id)).map_err(io_status),
            Err(e) => Err(e),
        };
        self.log("MKDIR", &path, r)
    }

    async fn rmdir(&mut self, id: u32, path: String) -> Reply<Status> {
        let r = match self.path(&path) {
            // The root itself stays.
            Ok(p) if p == self.shared.jail.root() => Err(StatusCode::PermissionDenied.into()),
            Ok(p) => tokio::fs::remove_dir(&p).await.map(|_| ok(id)).map_err(io_status),
            Err(e) => Err(e),
        };
        self.log("RMDIR", &path, r)
    }

    async fn remove(&mut self, id: u32, filename: String) -> Reply<Status> {
        let r = match self.path(&filename) {
            Ok(p) => tokio::fs::remove_file(&p).await.map(|_| ok(id)).map_err(io_status),
            Err(e) => Err(e),
        };
        self.log("REMOVE", &filename, r)
    }

    async fn rename(&mut self, id: u32, oldpath: String, newpath: String) -> Reply<Status> {
        let r = self.rename_within(&oldpath, &newpath).await.map(|_| ok(id));
        self.log("RENAME", &oldpath, r)
    }
}
