//! Hands memory freed after a burst back to the operating system.
//!
//! Why: glibc's allocator gives pages back only from the top of each arena, and a burst
//! of concurrent test sends (TLS buffers, HTTP bodies, transcripts on several threads)
//! leaves free memory scattered below blocks still in use: the live heap shrinks back,
//! the process does not, and it grows round after round. `malloc_trim` also releases
//! the free pages inside the arenas. Other allocators were tried and kept more; the
//! figures are in BENCHMARKS.md ("Memory after a burst").

use std::time::Duration;

/// How often freed memory is handed back: a trim is cheap (BENCHMARKS.md), and a burst
/// is over within seconds.
pub const RELEASE_EVERY: Duration = Duration::from_secs(5);

/// Blocks at least this large get their own mapping, unmapped again when freed.
const OWN_MAPPING_FROM: usize = 256 * 1024;

/// Gives large blocks their own mapping for good. glibc does so from 128 KiB at first but
/// raises that bound each time such a block is freed, after which large buffers (the
/// brotli pass over the bundles at start-up, a capped token body) land at the top of a
/// thread's arena, where `malloc_trim` cannot reach them, kept for the server's lifetime.
/// A fixed bound keeps them out of the arenas.
pub fn map_large_blocks_separately() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets a tunable of the allocator, under its lock.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MAPPING_FROM as libc::c_int);
        }
    }
}

/// Returns free heap pages to the operating system; true when something was released.
/// A no-op (false) where the allocator is not glibc's.
pub fn release_free_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only walks the allocator's own free lists, under the
        // allocator's locks; it may be called at any time from any thread.
        unsafe { libc::malloc_trim(0) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Starts releasing freed memory every `every`, for as long as the runtime runs.
pub fn spawn_release_loop(every: Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let started = std::time::Instant::now();
            let released = release_free_memory();
            tracing::trace!(released, took = ?started.elapsed(), "freed memory handed back");
        }
    });
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Frees 32 MB in blocks below glibc's mmap threshold while one block above them stays
    /// live: the freed space is inside the arena, not at its top, so glibc keeps it on
    /// its own. Only a trim gives it back.
    #[test]
    fn memory_freed_below_a_live_block_is_released() {
        let outcome = std::thread::spawn(|| {
            let blocks: Vec<Vec<u8>> = (0..512)
                .map(|i| std::hint::black_box(vec![i as u8; 64 * 1024]))
                .collect();
            let pinned = std::hint::black_box(vec![1u8; 64 * 1024]);
            drop(blocks);
            let released = release_free_memory();
            drop(pinned);
            released
        })
        .join()
        .expect("the allocating thread ends");
        assert!(outcome, "malloc_trim released nothing");
    }

    /// Once glibc has freed a 4 MiB mapping it would put anything below 4 MiB in an arena;
    /// with the fixed bound a block from `OWN_MAPPING_FROM` up still gets its own.
    #[test]
    fn large_blocks_keep_their_own_mapping_after_a_larger_one_was_freed() {
        map_large_blocks_separately();
        drop(std::hint::black_box(vec![1u8; 4 << 20]));
        let block = std::hint::black_box(vec![1u8; OWN_MAPPING_FROM]);
        // glibc marks a block with a mapping of its own by bit 1 (IS_MMAPPED) of the size
        // word just before it.
        // SAFETY: reads the allocator's header word of a live block it returned.
        let size_word = unsafe { *block.as_ptr().cast::<usize>().sub(1) };
        assert_eq!(size_word & 2, 2, "the block is inside an arena");
    }
}
