//! The side-by-side chart (`--svg`): one panel per figure, a bar for metricline and one for
//! the peer, both flushing with `end`, each panel scaled to its larger bar. The CPU panel
//! adds metricline's default flush (`adaptive`) when it was measured: what a user who
//! changes nothing pays. Written as SVG text by hand: nine bars and their labels do not
//! justify a plotting crate's dependencies in the test crate.

use std::fmt::Write;

use crate::compare::{side_by_side, Figures, DEFAULT_FLUSH};
use crate::measure::Params;
use crate::report::Measured;

const WIDTH: f64 = 640.0;
const PANEL: f64 = 92.0;
const LABEL: f64 = 120.0;
const BAR: f64 = 24.0;

/// A panel: its title, unit, the figure it shows, and whether the default flush's bar goes
/// in it too.
type Panel = (&'static str, &'static str, fn(&Figures) -> f64, bool);

/// The chart, or `None` without a peer or an `end` run to compare.
pub fn svg(m: &Measured, p: &Params) -> Option<String> {
    let (ours, peer) = side_by_side(m, p)?;
    let default_flush = m
        .runs
        .iter()
        .find(|r| r.strategy == DEFAULT_FLUSH)
        .and_then(|run| Figures::of(&m.ready, run, p));
    let panels: [Panel; 4] = [
        (
            "ready: spawn → first /next (median)",
            "ms",
            |f| f.ready_ms,
            false,
        ),
        (
            "CPU per function line (whole process)",
            "µs",
            |f| f.cpu_per_line_us,
            true,
        ),
        ("peak RSS, end", "MiB", |f| f.peak_rss_mib, false),
        (
            "post-runtime per invoke, end (median)",
            "ms",
            |f| f.post_runtime_ms,
            false,
        ),
    ];
    let extra = if default_flush.is_some() {
        BAR + 6.0
    } else {
        0.0
    };
    let height = 80.0 + PANEL * panels.len() as f64 + extra;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(
        s,
        r#"<rect width="100%" height="100%" fill="white"/><text x="10" y="22" font-size="15" font-weight="bold">metricline beside {}: {} invokes × {} {} lines (lower is better)</text>"#,
        escape(peer_name(m)),
        p.invokes,
        p.lines,
        p.format
    );
    let mut top = 40.0;
    for (title, unit, value, with_default) in &panels {
        let _ = writeln!(s, r#"<text x="10" y="{}">{title}</text>"#, top + 14.0);
        let mut bars = vec![("metricline", &ours, "#2a7ab9")];
        if let (true, Some(adaptive)) = (with_default, &default_flush) {
            bars.push(("adaptive (ours)", adaptive, "#7fb3dc"));
        }
        bars.push((peer_name(m), &peer, "#b0b0b0"));
        let largest = bars.iter().map(|(_, f, _)| value(f)).fold(1e-9, f64::max);
        let scale = (WIDTH - LABEL - 90.0) / largest;
        for (j, (who, figures, colour)) in bars.iter().enumerate() {
            let y = top + 22.0 + (BAR + 6.0) * j as f64;
            let width = value(figures) * scale;
            let _ = writeln!(
                s,
                r#"<text x="10" y="{}">{}</text><rect x="{LABEL}" y="{y}" width="{width:.1}" height="{BAR}" fill="{colour}"/><text x="{:.1}" y="{}">{:.3} {unit}</text>"#,
                y + 17.0,
                escape(&short(who)),
                LABEL + width + 6.0,
                y + 17.0,
                value(figures)
            );
        }
        top += PANEL + (BAR + 6.0) * (bars.len() - 2) as f64;
    }
    for (line, text) in [
        "Both flush with end, except adaptive (ours): metricline's default flush.",
        "The peer subscribes to platform events only: it reads none of the lines.",
    ]
    .iter()
    .enumerate()
    {
        let y = height - 30.0 + 16.0 * line as f64;
        let _ = writeln!(s, r#"<text x="10" y="{y}" font-size="12">{text}</text>"#);
    }
    s.push_str("</svg>\n");
    Some(s)
}

fn peer_name(m: &Measured) -> &str {
    m.peer.as_ref().map_or("peer", |peer| peer.name.as_str())
}

/// Long names are cut to fit the label column.
fn short(name: &str) -> String {
    match name.char_indices().nth(15) {
        Some((end, _)) => format!("{}…", &name[..end]),
        None => name.to_owned(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}
