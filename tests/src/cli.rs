//! The command lines of the benchmark binaries: `--flag value` pairs, nothing else.

/// The process's arguments as `(flag, value)` pairs; `Err(usage)` for `--help`, and an
/// error naming a flag given without its value.
pub fn flag_values(usage: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(usage.into());
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{usage}"))?;
        pairs.push((flag, value));
    }
    Ok(pairs)
}
