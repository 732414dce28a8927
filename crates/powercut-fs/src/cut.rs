//! The simulated power cut: keep what the durable entries reach, lose or tear what was unsynced.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use crate::state::{FileData, Ino, Kind, State, ROOT_INO, SECTOR};

/// What a power cut lost, so a campaign can print it next to a failure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CutReport {
    /// The seed the cut was made with; the same state and seed give the same cut.
    pub seed: u64,
    /// Entries that existed but were not durable, so they vanished (paths as they were).
    pub entries_lost: Vec<String>,
    /// Durable entries that had been removed or renamed away since, so they came back.
    pub entries_revived: Vec<String>,
    /// Inodes freed because no durable entry reaches them any more.
    pub inodes_freed: Vec<Ino>,
    /// Each surviving file that had unsynced changes, and what became of them.
    pub files: Vec<FileCut>,
}

/// The fate of one surviving file with unsynced changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCut {
    /// A path that reaches the file after the cut.
    pub path: String,
    /// Its inode number (unchanged by the cut).
    pub ino: Ino,
    /// `false`: every unsynced change was dropped. `true`: torn, each dirty sector kept its new
    /// or its old contents at random, and the size is the durable or the current one.
    pub torn: bool,
    /// Size before the cut (what reads saw).
    pub size_before: u64,
    /// Size after the cut.
    pub size_after: u64,
    /// Dirty sectors (within the size after) that kept their new contents.
    pub sectors_new: u64,
    /// Dirty sectors that went back to their old contents.
    pub sectors_old: u64,
    /// Bytes that now differ from what reads saw before the cut, or are gone past the end.
    pub bytes_lost: u64,
}

impl CutReport {
    /// Dirty sectors that went back to their old contents, over all files.
    pub fn sectors_dropped(&self) -> u64 {
        self.files.iter().map(|f| f.sectors_old).sum()
    }

    /// Dirty sectors that kept their new contents (torn files only), over all files.
    pub fn sectors_kept(&self) -> u64 {
        self.files.iter().map(|f| f.sectors_new).sum()
    }

    /// Bytes lost, over all surviving files.
    pub fn bytes_lost(&self) -> u64 {
        self.files.iter().map(|f| f.bytes_lost).sum()
    }

    /// Whether the cut changed nothing at all.
    pub fn is_lossless(&self) -> bool {
        self.entries_lost.is_empty()
            && self.entries_revived.is_empty()
            && self.inodes_freed.is_empty()
            && self.bytes_lost() == 0
            && self.files.iter().all(|f| f.size_before == f.size_after)
    }
}

impl fmt::Display for CutReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "power cut (seed {}): {} entries lost, {} revived, {} inodes freed, {} files \
             with unsynced changes, {} sectors dropped, {} kept, {} bytes lost",
            self.seed,
            self.entries_lost.len(),
            self.entries_revived.len(),
            self.inodes_freed.len(),
            self.files.len(),
            self.sectors_dropped(),
            self.sectors_kept(),
            self.bytes_lost()
        )?;
        for e in &self.entries_lost {
            writeln!(f, "  lost entry    {e}")?;
        }
        for e in &self.entries_revived {
            writeln!(f, "  revived entry {e}")?;
        }
        for c in &self.files {
            writeln!(
                f,
                "  {} {} (ino {}): size {} -> {}, sectors new {} old {}, {} bytes lost",
                if c.torn { "torn   " } else { "dropped" },
                c.path,
                c.ino,
                c.size_before,
                c.size_after,
                c.sectors_new,
                c.sectors_old,
                c.bytes_lost
            )?;
        }
        Ok(())
    }
}

/// SplitMix64: tiny, and the same sequence for a seed on every platform and version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// Paths of the directories reached from the root through `entries` (current or durable).
fn dir_paths(state: &State, durable: bool) -> BTreeMap<Ino, String> {
    let mut paths = BTreeMap::from([(ROOT_INO, String::new())]);
    let mut queue = VecDeque::from([ROOT_INO]);
    while let Some(ino) = queue.pop_front() {
        let Some(Kind::Dir(d)) = state.inodes.get(&ino).map(|i| &i.kind) else {
            continue;
        };
        let entries = if durable { &d.dur } else { &d.cur };
        for (name, child) in entries {
            if !paths.contains_key(child) && matches!(state.inodes[child].kind, Kind::Dir(_)) {
                paths.insert(*child, join(&paths[&ino], name));
                queue.push_back(*child);
            }
        }
    }
    paths
}

fn join(dir: &str, name: &std::ffi::OsStr) -> String {
    let name = name.to_string_lossy();
    if dir.is_empty() {
        name.into_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Tears or drops one file's unsynced changes; afterwards `cur == dur` and nothing is dirty.
fn cut_file(f: &mut FileData, rng: &mut Rng, path: String, ino: Ino) -> FileCut {
    let torn = rng.coin();
    let size_before = f.cur.len() as u64;
    let size_after = if torn && rng.coin() {
        size_before
    } else {
        f.dur.len() as u64
    };
    let mut out = std::mem::take(&mut f.dur);
    out.resize(size_after as usize, 0);
    let (mut sectors_new, mut sectors_old, mut bytes_lost) = (0, 0, 0);
    for s in std::mem::take(&mut f.dirty) {
        let start = (s * SECTOR).min(size_after) as usize;
        let end = (s * SECTOR + SECTOR).min(size_after) as usize;
        if start == end {
            continue;
        }
        if torn && rng.coin() {
            sectors_new += 1;
            for (i, b) in out[start..end].iter_mut().enumerate() {
                *b = f.cur.get(start + i).copied().unwrap_or(0);
            }
        } else {
            sectors_old += 1;
        }
        let before = |i: usize| f.cur.get(i).copied().unwrap_or(0);
        bytes_lost += (start..end.min(f.cur.len()))
            .filter(|&i| out[i] != before(i))
            .count() as u64;
    }
    bytes_lost += size_before.saturating_sub(size_after);
    f.cur = out.clone();
    f.dur = out;
    FileCut {
        path,
        ino,
        torn,
        size_before,
        size_after,
        sectors_new,
        sectors_old,
        bytes_lost,
    }
}

impl State {
    /// Simulates a power cut, deterministically for a `seed`.
    ///
    /// The surviving tree is what the durable directory entries reach from the root. Each
    /// surviving file with unsynced changes either loses them all or is torn (each dirty
    /// 512-byte sector keeps its new or its old contents, and the size is the durable or the
    /// current one), chosen at random. Unreachable inodes are freed. Afterwards everything
    /// that remains is durable. Call it only while unmounted.
    ///
    /// # Panics
    /// If the state is mounted: the kernel would keep serving the lost contents from its caches.
    pub fn power_cut(&mut self, seed: u64) -> CutReport {
        assert!(
            !self.mounted,
            "power_cut while mounted: unmount first, or the kernel's caches outlive the cut"
        );
        let mut rng = Rng(seed);
        let mut report = CutReport {
            seed,
            ..CutReport::default()
        };
        let cur_paths = dir_paths(self, false);

        // Walk the durable tree. A directory reached twice (moved, with both parents synced
        // at different times) keeps its first entry so the tree stays a tree.
        let mut survivors = BTreeSet::from([ROOT_INO]);
        let mut links: BTreeMap<Ino, u32> = BTreeMap::from([(ROOT_INO, 1)]);
        let mut parents = BTreeMap::from([(ROOT_INO, ROOT_INO)]);
        let mut paths = BTreeMap::from([(ROOT_INO, String::new())]);
        let mut queue = VecDeque::from([ROOT_INO]);
        while let Some(dino) = queue.pop_front() {
            let dpath = paths[&dino].clone();
            let Kind::Dir(d) = &self.inodes[&dino].kind else {
                continue;
            };
            let mut drop_names = Vec::new();
            for (name, child) in &d.dur {
                let is_dir = matches!(self.inodes[child].kind, Kind::Dir(_));
                if is_dir && survivors.contains(child) {
                    drop_names.push(name.clone());
                    continue;
                }
                *links.entry(*child).or_default() += 1;
                if survivors.insert(*child) {
                    paths.insert(*child, join(&dpath, name));
                    if is_dir {
                        parents.insert(*child, dino);
                        queue.push_back(*child);
                    }
                }
            }
            let here = cur_paths.get(&dino).unwrap_or(&dpath).clone();
            for (name, child) in &d.cur {
                if d.dur.get(name) != Some(child) {
                    report.entries_lost.push(join(&here, name));
                }
            }
            for (name, child) in &d.dur {
                if d.cur.get(name) != Some(child) {
                    report.entries_revived.push(join(&dpath, name));
                }
            }
            if let Some(Kind::Dir(d)) = self.inodes.get_mut(&dino).map(|i| &mut i.kind) {
                for name in drop_names {
                    report.entries_lost.push(join(&dpath, &name));
                    d.dur.remove(&name);
                }
            }
        }

        report.inodes_freed = self
            .inodes
            .keys()
            .filter(|i| !survivors.contains(i))
            .copied()
            .collect();
        for ino in &report.inodes_freed {
            self.inodes.remove(ino);
        }

        for (ino, inode) in &mut self.inodes {
            match &mut inode.kind {
                Kind::File(f) if f.unsynced() => {
                    let cut = cut_file(f, &mut rng, paths[ino].clone(), *ino);
                    report.files.push(cut);
                }
                Kind::File(_) => {}
                Kind::Dir(d) => {
                    d.cur = d.dur.clone();
                    d.parent = parents[ino];
                }
            }
            inode.links = links[ino];
            inode.durable_links = links[ino];
            inode.opens = 0;
        }
        self.used = 0;
        for inode in self.inodes.values() {
            if let Kind::File(f) = &inode.kind {
                self.used += f.cur.len() as u64;
            }
        }
        report
    }
}
