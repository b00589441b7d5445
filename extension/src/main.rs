//! The metricline binary: wiring only. A current-thread runtime: smaller and faster to
//! start than the multi-thread one, and the extension's work is mostly waiting.

/// Keeps freed large blocks for reuse (`allocator.rs`): the C library maps and unmaps each.
#[global_allocator]
static ALLOCATOR: metricline::allocator::KeepLargeBlocks =
    metricline::allocator::KeepLargeBlocks::new();

fn main() {
    let name = std::env::args_os()
        .next()
        .and_then(|arg0| {
            std::path::Path::new(&arg0)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "metricline".to_string());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            metricline::error!("cannot start the async runtime: {e}");
            return;
        }
    };
    // Spawned, not run by `block_on` itself: tokio wakes a `block_on` future through the
    // driver (an eventfd write and one more `epoll_wait`) even from its own thread, and
    // the lifecycle is woken a few times per invoke; a task is woken in its run queue.
    let lifecycle = runtime.spawn(async move {
        let env = |name: &str| std::env::var(name).ok();
        metricline::lifecycle::run(&env, &name).await
    });
    if let Err(failed) = runtime.block_on(lifecycle) {
        // As `block_on` would have: a panic is the process's (the layer aborts on it).
        if failed.is_panic() {
            std::panic::resume_unwind(failed.into_panic());
        }
    }
    // Exit at once: nothing left to wait for (e.g. a stuck DNS lookup thread).
    std::process::exit(0);
}
