//! Keeps the resident set bounded under glibc's allocator.
//!
//! Each password hash allocates argon2's 19 MiB block array on a blocking-pool thread. glibc
//! serves a large allocation with its own mapping only below a threshold that it raises
//! dynamically each time such a mapping is freed (up to 32 MiB), so after the first hash every
//! later one came from the thread's heap arena, and each arena kept its 19 MiB after the free:
//! with up to 8 arenas per core, RSS climbed to 650 MB and more after a few hundred logins.
//! Fixing the threshold (which turns the dynamic adjustment off) makes every allocation of at
//! least [`MMAP_THRESHOLD`] its own mapping, returned to the OS the moment it is freed; capping
//! the arenas bounds what per-thread heaps keep of smaller allocations.
//! `bench/memory.sh` measures the resident set under each load.

/// Allocations at least this large get their own mapping.
pub const MMAP_THRESHOLD: usize = 1024 * 1024;
/// Heap arenas at most (glibc's default is 8 per core).
pub const ARENA_MAX: usize = 4;

/// Applies the allocator settings; call once at startup, before other threads start. A no-op
/// on platforms without glibc.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let threshold = libc::c_int::try_from(MMAP_THRESHOLD).unwrap_or(libc::c_int::MAX);
        let arenas = libc::c_int::try_from(ARENA_MAX).unwrap_or(8);
        // SAFETY: mallopt only changes allocator parameters; it is called before any other
        // thread exists, and its failure (a zero return) just leaves the defaults in place.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, threshold);
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
