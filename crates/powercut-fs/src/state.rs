//! The in-memory model: every inode with its current and its durable contents.
//!
//! Operations return `Err(errno)` (a `libc` constant) so that `fs.rs` only translates requests.
//! The power cut itself lives in `cut.rs`.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Component, Path};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// An inode number. Numbers are never reused, so they stay stable across power cuts.
pub type Ino = u64;

/// The root directory's inode number (FUSE's fixed root).
pub const ROOT_INO: Ino = 1;

/// The unit of tearing: a power cut keeps or loses each dirty 512-byte sector as a whole.
pub const SECTOR: u64 = 512;

/// The default capacity that `statfs` reports and writes are held to.
pub const DEFAULT_CAPACITY: u64 = 4 << 30;

/// The state shared by the mount's daemon thread and the test that drives it.
pub type SharedState = Arc<Mutex<State>>;

pub(crate) type Errno = i32;

pub(crate) use crate::file::FileData;

/// A directory's entries: current (what lookups see) and durable (as of its last `fsyncdir`).
#[derive(Debug, Default, Clone)]
pub(crate) struct DirData {
    pub(crate) cur: BTreeMap<OsString, Ino>,
    pub(crate) dur: BTreeMap<OsString, Ino>,
    /// The current parent, for `..`.
    pub(crate) parent: Ino,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    File(FileData),
    Dir(DirData),
}

#[derive(Debug, Clone)]
pub(crate) struct Inode {
    pub(crate) kind: Kind,
    pub(crate) perm: u16,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) atime: SystemTime,
    pub(crate) mtime: SystemTime,
    pub(crate) ctime: SystemTime,
    /// Current directory entries naming this inode.
    pub(crate) links: u32,
    /// Durable directory entries naming it: while any exist, a cut may bring it back.
    pub(crate) durable_links: u32,
    /// Open file handles: an unlinked file stays readable until closed.
    pub(crate) opens: u32,
}

impl Inode {
    fn new(kind: Kind, perm: u16, uid: u32, gid: u32) -> Inode {
        let now = SystemTime::now();
        Inode {
            kind,
            perm,
            uid,
            gid,
            atime: now,
            mtime: now,
            ctime: now,
            links: 0,
            durable_links: 0,
            opens: 0,
        }
    }

    /// Bytes this inode counts against the capacity: a file's current size while reachable.
    fn charge(&self) -> u64 {
        match &self.kind {
            Kind::File(f) if self.links > 0 || self.opens > 0 => f.cur.len() as u64,
            _ => 0,
        }
    }

    pub(crate) fn file(&self) -> Result<&FileData, Errno> {
        match &self.kind {
            Kind::File(f) => Ok(f),
            Kind::Dir(_) => Err(libc::EISDIR),
        }
    }

    pub(crate) fn dir(&self) -> Result<&DirData, Errno> {
        match &self.kind {
            Kind::Dir(d) => Ok(d),
            Kind::File(_) => Err(libc::ENOTDIR),
        }
    }
}

/// What `getattr` reports; `fs.rs` turns it into FUSE's attributes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attr {
    pub(crate) ino: Ino,
    pub(crate) is_dir: bool,
    pub(crate) size: u64,
    pub(crate) perm: u16,
    pub(crate) nlink: u32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) atime: SystemTime,
    pub(crate) mtime: SystemTime,
    pub(crate) ctime: SystemTime,
}

/// The whole file system: inodes, capacity and the space used.
#[derive(Debug)]
pub struct State {
    pub(crate) inodes: BTreeMap<Ino, Inode>,
    pub(crate) next_ino: Ino,
    pub(crate) capacity: u64,
    pub(crate) used: u64,
    pub(crate) mounted: bool,
}

/// A copy that is not mounted, e.g. to preview what a seed's cut would do.
impl Clone for State {
    fn clone(&self) -> State {
        State {
            inodes: self.inodes.clone(),
            next_ino: self.next_ino,
            capacity: self.capacity,
            used: self.used,
            mounted: false,
        }
    }
}

impl Default for State {
    fn default() -> State {
        State::new()
    }
}

impl State {
    /// An empty file system (a root directory, durable) of [`DEFAULT_CAPACITY`].
    pub fn new() -> State {
        let mut root = Inode::new(Kind::Dir(DirData::default()), 0o755, 0, 0);
        if let Kind::Dir(d) = &mut root.kind {
            d.parent = ROOT_INO;
        }
        root.links = 1;
        root.durable_links = 1;
        State {
            inodes: BTreeMap::from([(ROOT_INO, root)]),
            next_ino: ROOT_INO + 1,
            capacity: DEFAULT_CAPACITY,
            used: 0,
            mounted: false,
        }
    }

    /// Wraps the state for sharing with a [`Mount`](crate::Mount).
    pub fn shared(self) -> SharedState {
        Arc::new(Mutex::new(self))
    }

    /// Sets the capacity in bytes (a small one makes a full disk). Space already used stays.
    pub fn set_capacity(&mut self, bytes: u64) {
        self.capacity = bytes;
    }

    /// Whether a [`Mount`](crate::Mount) is serving this state (a cut must wait until not).
    pub fn is_mounted(&self) -> bool {
        self.mounted
    }

    /// The capacity in bytes.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Bytes used: the current sizes of the files that are linked or open.
    pub fn used_bytes(&self) -> u64 {
        self.used
    }

    /// Makes everything durable, as if every file and directory had been synced.
    pub fn sync_everything(&mut self) {
        for inode in self.inodes.values_mut() {
            match &mut inode.kind {
                Kind::File(f) => f.sync(),
                Kind::Dir(d) => d.dur = d.cur.clone(),
            }
        }
        for inode in self.inodes.values_mut() {
            inode.durable_links = inode.links;
        }
        self.inodes.get_mut(&ROOT_INO).expect("root").durable_links = 1;
        self.free_unreferenced(self.inodes.keys().copied().collect());
    }

    /// The current bytes of the file at `path` (relative to the root), as reads see them.
    pub fn read_file(&self, path: impl AsRef<Path>) -> Option<Vec<u8>> {
        Some(
            self.inode(self.resolve(path.as_ref())?)
                .ok()?
                .file()
                .ok()?
                .cur
                .clone(),
        )
    }

    /// The durable bytes of the file at `path`: what a cut in "drop" mode would leave.
    pub fn read_durable_file(&self, path: impl AsRef<Path>) -> Option<Vec<u8>> {
        Some(
            self.inode(self.resolve(path.as_ref())?)
                .ok()?
                .file()
                .ok()?
                .dur
                .clone(),
        )
    }

    /// The names in the directory at `path` (current entries), sorted.
    pub fn list_dir(&self, path: impl AsRef<Path>) -> Option<Vec<OsString>> {
        let dir = self.inode(self.resolve(path.as_ref())?).ok()?.dir().ok()?;
        Some(dir.cur.keys().cloned().collect())
    }

    /// The inode number at `path` in the current tree.
    pub fn ino_of(&self, path: impl AsRef<Path>) -> Option<Ino> {
        self.resolve(path.as_ref())
    }

    fn resolve(&self, path: &Path) -> Option<Ino> {
        let mut ino = ROOT_INO;
        for c in path.components() {
            match c {
                Component::Normal(name) => ino = self.lookup(ino, name).ok()?,
                Component::RootDir | Component::CurDir => {}
                _ => return None,
            }
        }
        Some(ino)
    }

    pub(crate) fn inode(&self, ino: Ino) -> Result<&Inode, Errno> {
        self.inodes.get(&ino).ok_or(libc::ENOENT)
    }

    fn inode_mut(&mut self, ino: Ino) -> Result<&mut Inode, Errno> {
        self.inodes.get_mut(&ino).ok_or(libc::ENOENT)
    }

    fn dir_mut(&mut self, ino: Ino) -> Result<&mut DirData, Errno> {
        match &mut self.inode_mut(ino)?.kind {
            Kind::Dir(d) => Ok(d),
            Kind::File(_) => Err(libc::ENOTDIR),
        }
    }

    /// Runs `f` on a file and keeps `used` in step with its size. `grow_to` is the size it may
    /// reach, checked against the capacity first so a failed write changes nothing.
    fn with_file<R>(
        &mut self,
        ino: Ino,
        grow_to: u64,
        f: impl FnOnce(&mut FileData) -> R,
    ) -> Result<R, Errno> {
        let (used, capacity) = (self.used, self.capacity);
        let inode = self.inodes.get_mut(&ino).ok_or(libc::ENOENT)?;
        let before = inode.charge();
        let Kind::File(data) = &mut inode.kind else {
            return Err(libc::EISDIR);
        };
        let growth = grow_to.saturating_sub(data.cur.len() as u64);
        if growth > 0 && used + growth > capacity {
            return Err(libc::ENOSPC);
        }
        let out = f(data);
        let now = SystemTime::now();
        inode.mtime = now;
        inode.ctime = now;
        let after = inode.charge();
        self.used = used - before + after;
        Ok(out)
    }

    /// Changes an inode's link or open counts, keeping `used` right and freeing it if nothing
    /// can reach it any more (neither now nor after a cut).
    fn relink(&mut self, ino: Ino, f: impl FnOnce(&mut Inode)) {
        let Some(inode) = self.inodes.get_mut(&ino) else {
            return;
        };
        let before = inode.charge();
        f(inode);
        let after = inode.charge();
        self.used = self.used - before + after;
        self.free_unreferenced(vec![ino]);
    }

    /// Frees the given inodes if unreferenced, and what their durable entries alone kept.
    fn free_unreferenced(&mut self, mut work: Vec<Ino>) {
        while let Some(ino) = work.pop() {
            let Some(inode) = self.inodes.get(&ino) else {
                continue;
            };
            if ino == ROOT_INO || inode.links > 0 || inode.durable_links > 0 || inode.opens > 0 {
                continue;
            }
            let inode = self.inodes.remove(&ino).expect("present");
            self.used -= inode.charge();
            if let Kind::Dir(d) = inode.kind {
                for child in d.dur.into_values() {
                    if let Some(c) = self.inodes.get_mut(&child) {
                        c.durable_links -= 1;
                        work.push(child);
                    }
                }
            }
        }
    }

    pub(crate) fn attr(&self, ino: Ino) -> Result<Attr, Errno> {
        let inode = self.inode(ino)?;
        let (is_dir, size, nlink) = match &inode.kind {
            Kind::File(f) => (false, f.cur.len() as u64, inode.links),
            Kind::Dir(d) => {
                let subdirs = d.cur.values().filter(|c| self.is_dir(**c)).count() as u32;
                (true, 4096, 2 + subdirs)
            }
        };
        Ok(Attr {
            ino,
            is_dir,
            size,
            perm: inode.perm,
            nlink,
            uid: inode.uid,
            gid: inode.gid,
            atime: inode.atime,
            mtime: inode.mtime,
            ctime: inode.ctime,
        })
    }

    fn is_dir(&self, ino: Ino) -> bool {
        matches!(self.inodes.get(&ino).map(|i| &i.kind), Some(Kind::Dir(_)))
    }

    pub(crate) fn lookup(&self, parent: Ino, name: &OsStr) -> Result<Ino, Errno> {
        self.inode(parent)?
            .dir()?
            .cur
            .get(name)
            .copied()
            .ok_or(libc::ENOENT)
    }

    /// Creates a file or directory named `name` in `parent` (not durable until `fsyncdir`).
    pub(crate) fn create(
        &mut self,
        parent: Ino,
        name: &OsStr,
        dir: bool,
        perm: u16,
        uid: u32,
        gid: u32,
    ) -> Result<Ino, Errno> {
        if self.inode(parent)?.dir()?.cur.contains_key(name) {
            return Err(libc::EEXIST);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        let kind = if dir {
            Kind::Dir(DirData {
                parent,
                ..DirData::default()
            })
        } else {
            Kind::File(FileData::default())
        };
        let mut inode = Inode::new(kind, perm, uid, gid);
        inode.links = 1;
        self.inodes.insert(ino, inode);
        self.dir_mut(parent)?.cur.insert(name.to_owned(), ino);
        self.touch(parent);
        Ok(ino)
    }

    fn touch(&mut self, ino: Ino) {
        if let Some(i) = self.inodes.get_mut(&ino) {
            let now = SystemTime::now();
            i.mtime = now;
            i.ctime = now;
        }
    }

    /// Removes the entry `name` from `parent`: `unlink` (`dir == false`) or `rmdir`.
    pub(crate) fn remove(&mut self, parent: Ino, name: &OsStr, dir: bool) -> Result<(), Errno> {
        let ino = self.lookup(parent, name)?;
        match (&self.inode(ino)?.kind, dir) {
            (Kind::Dir(_), false) => return Err(libc::EISDIR),
            (Kind::File(_), true) => return Err(libc::ENOTDIR),
            (Kind::Dir(d), true) if !d.cur.is_empty() => return Err(libc::ENOTEMPTY),
            _ => {}
        }
        self.dir_mut(parent)?.cur.remove(name);
        self.touch(parent);
        self.relink(ino, |i| i.links -= 1);
        Ok(())
    }

    /// Renames `parent/name` to `newparent/newname`, replacing a compatible target.
    pub(crate) fn rename(
        &mut self,
        parent: Ino,
        name: &OsStr,
        newparent: Ino,
        newname: &OsStr,
        noreplace: bool,
    ) -> Result<(), Errno> {
        let ino = self.lookup(parent, name)?;
        self.inode(newparent)?.dir()?;
        let moving_dir = self.is_dir(ino);
        if moving_dir {
            // A directory may not move below itself.
            let mut p = newparent;
            while p != ROOT_INO {
                if p == ino {
                    return Err(libc::EINVAL);
                }
                p = self.inode(p)?.dir()?.parent;
            }
        }
        let old = self.lookup(newparent, newname).ok();
        if let Some(old) = old {
            if old == ino {
                return Ok(());
            }
            if noreplace {
                return Err(libc::EEXIST);
            }
            match (&self.inode(old)?.kind, moving_dir) {
                (Kind::Dir(_), false) => return Err(libc::EISDIR),
                (Kind::File(_), true) => return Err(libc::ENOTDIR),
                (Kind::Dir(d), true) if !d.cur.is_empty() => return Err(libc::ENOTEMPTY),
                _ => {}
            }
        }
        self.dir_mut(parent)?.cur.remove(name);
        self.dir_mut(newparent)?.cur.insert(newname.to_owned(), ino);
        if let Kind::Dir(d) = &mut self.inode_mut(ino)?.kind {
            d.parent = newparent;
        }
        self.touch(parent);
        self.touch(newparent);
        if let Some(old) = old {
            self.relink(old, |i| i.links -= 1);
        }
        Ok(())
    }

    pub(crate) fn open(&mut self, ino: Ino) -> Result<(), Errno> {
        self.inode(ino)?.file()?;
        self.relink(ino, |i| i.opens += 1);
        Ok(())
    }

    pub(crate) fn release(&mut self, ino: Ino) {
        self.relink(ino, |i| i.opens = i.opens.saturating_sub(1));
    }

    pub(crate) fn read(&self, ino: Ino, offset: u64, size: u32) -> Result<&[u8], Errno> {
        let cur = &self.inode(ino)?.file()?.cur;
        let start = (offset as usize).min(cur.len());
        let end = (offset.saturating_add(u64::from(size)) as usize).min(cur.len());
        Ok(&cur[start..end])
    }

    pub(crate) fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> Result<(), Errno> {
        let end = offset.checked_add(data.len() as u64).ok_or(libc::EFBIG)?;
        self.with_file(ino, end, |f| {
            if end as usize > f.cur.len() {
                f.cur.resize(end as usize, 0);
            }
            f.cur[offset as usize..end as usize].copy_from_slice(data);
            f.mark(offset, end);
        })
    }

    /// Truncates or extends (with zeros) to `size`.
    pub(crate) fn set_size(&mut self, ino: Ino, size: u64) -> Result<(), Errno> {
        self.with_file(ino, size, |f| f.resize(size))
    }

    /// `fallocate`: mode 0 extends with zeros to `offset + len`; `FALLOC_FL_KEEP_SIZE` changes
    /// nothing visible. Other modes (punching holes, zeroing ranges) are not simulated.
    pub(crate) fn fallocate(
        &mut self,
        ino: Ino,
        offset: u64,
        len: u64,
        mode: i32,
    ) -> Result<(), Errno> {
        let end = offset.checked_add(len).ok_or(libc::EFBIG)?;
        match mode {
            0 => self.with_file(ino, end, |f| {
                if end as usize > f.cur.len() {
                    f.resize(end);
                }
            }),
            libc::FALLOC_FL_KEEP_SIZE => self.inode(ino)?.file().map(|_| ()),
            _ => Err(libc::EOPNOTSUPP),
        }
    }

    pub(crate) fn set_perm(&mut self, ino: Ino, perm: u16) -> Result<(), Errno> {
        let inode = self.inode_mut(ino)?;
        inode.perm = perm & 0o7777;
        inode.ctime = SystemTime::now();
        Ok(())
    }

    pub(crate) fn set_owner(
        &mut self,
        ino: Ino,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<(), Errno> {
        let inode = self.inode_mut(ino)?;
        inode.uid = uid.unwrap_or(inode.uid);
        inode.gid = gid.unwrap_or(inode.gid);
        inode.ctime = SystemTime::now();
        Ok(())
    }

    pub(crate) fn set_times(
        &mut self,
        ino: Ino,
        atime: Option<SystemTime>,
        mtime: Option<SystemTime>,
    ) -> Result<(), Errno> {
        let inode = self.inode_mut(ino)?;
        inode.atime = atime.unwrap_or(inode.atime);
        inode.mtime = mtime.unwrap_or(inode.mtime);
        inode.ctime = SystemTime::now();
        Ok(())
    }

    /// `fsync`/`fdatasync` of a file: its data and size become durable.
    pub(crate) fn fsync(&mut self, ino: Ino) -> Result<(), Errno> {
        match &mut self.inode_mut(ino)?.kind {
            Kind::File(f) => f.sync(),
            Kind::Dir(_) => self.fsyncdir(ino)?,
        }
        Ok(())
    }

    /// `fsync` of a directory: its current entries become durable.
    pub(crate) fn fsyncdir(&mut self, ino: Ino) -> Result<(), Errno> {
        let d = self.dir_mut(ino)?;
        let old = std::mem::replace(&mut d.dur, d.cur.clone());
        let new: Vec<Ino> = d.dur.values().copied().collect();
        for child in &new {
            if let Some(c) = self.inodes.get_mut(child) {
                c.durable_links += 1;
            }
        }
        let old: Vec<Ino> = old.into_values().collect();
        for child in &old {
            if let Some(c) = self.inodes.get_mut(child) {
                c.durable_links -= 1;
            }
        }
        self.free_unreferenced(old);
        Ok(())
    }

    /// The directory's entries with `.` and `..` first, sorted by name after them.
    pub(crate) fn entries(&self, ino: Ino) -> Result<Vec<(Ino, bool, OsString)>, Errno> {
        let d = self.inode(ino)?.dir()?;
        let mut out = vec![(ino, true, ".".into()), (d.parent, true, "..".into())];
        out.extend(d.cur.iter().map(|(n, c)| (*c, self.is_dir(*c), n.clone())));
        Ok(out)
    }

    /// Number of inodes, for `statfs`.
    pub(crate) fn inode_count(&self) -> u64 {
        self.inodes.len() as u64
    }
}
