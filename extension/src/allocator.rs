//! The process's allocator: the C library's, keeping a few freed large blocks for reuse.
//!
//! Why: the allocator of the static musl build serves every block over 32 KiB with its own
//! `mmap` and gives it back with `munmap` when freed. hyper's read buffer for a Telemetry
//! API batch (64 KiB to 256 KiB for 1000 records) is such a block, allocated and freed
//! for every batch: the mapping, the unmapping (with its TLB flush) and the page faults of
//! touching fresh pages cost about 8% of the extension's CPU in the benchmark
//! (docs/cpu-rounds.md). glibc avoids the same churn by raising its mmap threshold once mapped
//! blocks are freed; this keeps freed blocks instead, which needs no allocator of its own
//! (a general-purpose allocator crate would cost hundreds of KB of the 3 MB binary).
//!
//! Bounded: blocks of 32 KiB to 1 MiB are rounded up to a power of two (so that a freed
//! block fits the next request of its size class), and at most [`SLOTS`] of them, [`KEPT`]
//! bytes in all, wait for reuse. Everything else goes straight to the C library.
//!
//! A block of up to 1 MiB is also moved here when it grows or shrinks, not by the C
//! library's `realloc`: that one copies byte by byte in the static build, which made
//! growing vectors (histogram buckets every interval) cost about 1,700 instructions per
//! move, 1.4% of all instructions in the benchmark (docs/cpu-rounds.md). Larger blocks still go to
//! the C library, which can remap their pages instead of copying them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;

/// Blocks above this size are served by `mmap` in the C library: the ones worth keeping.
const SMALLEST: usize = 32 * 1024;
/// Larger blocks are rare (a batch past 1 MiB is refused) and not kept.
const LARGEST: usize = 1024 * 1024;
/// Freed blocks kept at most.
pub const SLOTS: usize = 8;
/// Bytes of freed blocks kept at most.
pub const KEPT: usize = 512 * 1024;
/// The C library's malloc aligns to 16 bytes; larger alignments are not kept.
const ALIGN: usize = 16;

/// The global allocator (registered in `main.rs`).
pub struct KeepLargeBlocks {
    kept: Mutex<Kept>,
}

/// Freed blocks waiting for reuse: (address, size class).
struct Kept {
    blocks: [(usize, usize); SLOTS],
    len: usize,
    bytes: usize,
}

impl KeepLargeBlocks {
    pub const fn new() -> Self {
        KeepLargeBlocks {
            kept: Mutex::new(Kept {
                blocks: [(0, 0); SLOTS],
                len: 0,
                bytes: 0,
            }),
        }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Nothing panics while the lock is held; a poisoned lock is still consistent.
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A kept block of `size`, if there is one.
    fn reuse(&self, size: usize) -> Option<*mut u8> {
        let mut kept = self.kept();
        let len = kept.len;
        let at = kept.blocks[..len].iter().position(|&(_, s)| s == size)?;
        let (address, _) = kept.blocks[at];
        kept.blocks.swap(at, len - 1);
        kept.len -= 1;
        kept.bytes -= size;
        Some(address as *mut u8)
    }

    /// Keeps a freed block of `size` if there is room; false if the caller must free it.
    fn keep(&self, block: *mut u8, size: usize) -> bool {
        let mut kept = self.kept();
        if kept.len == SLOTS || kept.bytes + size > KEPT {
            return false;
        }
        let len = kept.len;
        kept.blocks[len] = (block as usize, size);
        kept.len += 1;
        kept.bytes += size;
        true
    }

    /// Freed blocks kept now, and their bytes.
    #[cfg(test)]
    fn held(&self) -> (usize, usize) {
        let kept = self.kept();
        (kept.len, kept.bytes)
    }
}

impl Default for KeepLargeBlocks {
    fn default() -> Self {
        Self::new()
    }
}

/// The size class of a block worth keeping: its size rounded up to a power of two.
fn class(layout: Layout) -> Option<usize> {
    let size = layout.size();
    (layout.align() <= ALIGN && size > SMALLEST && size <= LARGEST)
        .then(|| size.next_power_of_two())
}

// SAFETY: every block comes from `System` with the layout it is given back with (a kept
// block's size class is its allocated size), and a kept block is handed out to one caller
// at a time (under the lock).
unsafe impl GlobalAlloc for KeepLargeBlocks {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            None => unsafe { System.alloc(layout) },
            Some(size) => match self.reuse(size) {
                Some(block) => block,
                None => unsafe { System.alloc(Layout::from_size_align_unchecked(size, ALIGN)) },
            },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match class(layout) {
            None => unsafe { System.alloc_zeroed(layout) },
            Some(_) => {
                let block = unsafe { self.alloc(layout) };
                if !block.is_null() {
                    unsafe { block.write_bytes(0, layout.size()) };
                }
                block
            }
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        match class(layout) {
            None => unsafe { System.dealloc(block, layout) },
            Some(size) => {
                if !self.keep(block, size) {
                    unsafe { System.dealloc(block, Layout::from_size_align_unchecked(size, ALIGN)) }
                }
            }
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, rounded to `layout.align()`, fits.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class(layout), class(new_layout)) {
            (None, None) if layout.size().max(new_size) > LARGEST => unsafe {
                System.realloc(block, layout, new_size)
            },
            (Some(old), Some(new)) if old == new => block,
            _ => {
                let moved = unsafe { self.alloc(new_layout) };
                if !moved.is_null() {
                    let size = layout.size().min(new_size);
                    unsafe { std::ptr::copy_nonoverlapping(block, moved, size) };
                    unsafe { self.dealloc(block, layout) };
                }
                moved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: usize = 1024;

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    #[test]
    fn a_freed_large_block_serves_the_next_request_of_its_class() {
        let allocator = KeepLargeBlocks::new();
        unsafe {
            let first = allocator.alloc(layout(100 * KIB));
            first.write_bytes(7, 100 * KIB);
            allocator.dealloc(first, layout(100 * KIB));
            assert_eq!(allocator.held(), (1, 128 * KIB));
            // 120 KiB is in the same 128 KiB class: the same block comes back.
            let second = allocator.alloc(layout(120 * KIB));
            assert_eq!(second, first);
            assert_eq!(allocator.held(), (0, 0));
            second.write_bytes(1, 128 * KIB);
            allocator.dealloc(second, layout(120 * KIB));
            let zeroed = allocator.alloc_zeroed(layout(128 * KIB));
            assert_eq!(zeroed, first);
            assert!(std::slice::from_raw_parts(zeroed, 128 * KIB)
                .iter()
                .all(|&b| b == 0));
            allocator.dealloc(zeroed, layout(128 * KIB));
        }
    }

    #[test]
    fn small_huge_and_over_aligned_blocks_are_not_kept() {
        let allocator = KeepLargeBlocks::new();
        let over_aligned = Layout::from_size_align(64 * KIB, 4096).unwrap();
        for layout in [layout(32 * KIB), layout(LARGEST + 1), over_aligned] {
            unsafe {
                let block = allocator.alloc(layout);
                assert!(!block.is_null());
                allocator.dealloc(block, layout);
            }
            assert_eq!(allocator.held(), (0, 0), "{layout:?}");
        }
    }

    #[test]
    fn at_most_the_slots_and_bytes_are_kept() {
        let allocator = KeepLargeBlocks::new();
        let blocks: Vec<_> = (0..SLOTS + 2)
            .map(|_| unsafe { allocator.alloc(layout(64 * KIB)) })
            .collect();
        for &block in &blocks {
            unsafe { allocator.dealloc(block, layout(64 * KIB)) };
        }
        assert_eq!(allocator.held(), (SLOTS, SLOTS * 64 * KIB));
        let big = unsafe { allocator.alloc(layout(LARGEST)) };
        unsafe { allocator.dealloc(big, layout(LARGEST)) };
        assert_eq!(allocator.held().0, SLOTS, "no room for 1 MiB more");
        while allocator.held().0 > 0 {
            unsafe { System.dealloc(allocator.reuse(64 * KIB).unwrap(), layout(64 * KIB)) };
        }
    }

    #[test]
    fn realloc_keeps_the_contents_across_classes() {
        let allocator = KeepLargeBlocks::new();
        unsafe {
            let block = allocator.alloc(layout(16 * KIB));
            for (i, byte) in std::slice::from_raw_parts_mut(block, 16 * KIB)
                .iter_mut()
                .enumerate()
            {
                *byte = i as u8;
            }
            let mut sizes = [
                40 * KIB,
                60 * KIB,
                200 * KIB,
                2 * LARGEST,
                50 * KIB,
                8 * KIB,
                // Small to small: moved here, not by the C library's realloc.
                20 * KIB,
                100,
            ];
            let mut current = (block, 16 * KIB);
            for size in sizes.iter_mut() {
                let moved = allocator.realloc(current.0, layout(current.1), *size);
                assert!(!moved.is_null());
                let kept = current.1.min(*size).min(8 * KIB);
                let bytes = std::slice::from_raw_parts(moved, kept);
                assert!(
                    bytes.iter().enumerate().all(|(i, &b)| b == i as u8),
                    "{size}"
                );
                current = (moved, *size);
            }
            allocator.dealloc(current.0, layout(current.1));
        }
    }
}
