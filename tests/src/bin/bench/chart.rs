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
    // A panel's bars, top to bottom, and the height they take: one source for the layout.
    let bars_of = |with_default: bool| {
        let mut bars = vec![("metricline", &ours, "#2a7ab9")];
        if let (true, Some(adaptive)) = (with_default, &default_flush) {
            bars.push(("adaptive (ours)", adaptive, "#7fb3dc"));
        }
        bars.push((peer_name(m), &peer, "#b0b0b0"));
        bars
    };
    let panel_height = |bars: usize| PANEL + (BAR + 6.0) * (bars - 2) as f64;
    let height = 80.0
        + panels
            .iter()
            .map(|panel| panel_height(bars_of(panel.3).len()))
            .sum::<f64>();
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
        let bars = bars_of(*with_default);
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
        top += panel_height(bars.len());
    }
    let flushes = match default_flush {
        Some(_) => "Both flush with end, except adaptive (ours): metricline's default flush.",
        None => "Both flush with end.",
    };
    for (line, text) in [
        flushes,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::Peer;
    use crate::measure::test_run::{params, run};
    use crate::measure::Ready;
    use std::time::Duration;

    fn measured(strategies: &[&str]) -> Measured {
        let ready = || Ready {
            sandbox: vec![Duration::from_millis(2)],
            own: Vec::new(),
        };
        Measured {
            binary_bytes: 0,
            ready: ready(),
            runs: strategies.iter().map(|s| run(s, 100)).collect(),
            criterion: Vec::new(),
            peer: Some(Peer {
                name: "a-peer-with-a-long-name".into(),
                ready: ready(),
                run: run("end", 120),
            }),
            without_extension: None,
        }
    }

    /// The number in `svg` right after the first `after` at or past `from`.
    fn number_after(svg: &str, from: usize, after: &str) -> f64 {
        let rest = &svg[from..];
        let rest = &rest[rest.find(after).unwrap() + after.len()..];
        rest[..rest.find('"').unwrap()].parse().unwrap()
    }

    #[test]
    fn the_default_flush_gets_a_bar_in_the_cpu_panel_and_everything_fits() {
        let p = params("mixed");
        for (strategies, bars) in [(&["end", DEFAULT_FLUSH][..], 9), (&["end"][..], 8)] {
            let svg = svg(&measured(strategies), &p).expect("a chart");
            // The background is a rect too.
            assert_eq!(svg.matches("<rect").count(), bars + 1, "{svg}");
            assert_eq!(svg.contains(">adaptive (ours)</text><rect"), bars == 9);
            assert_eq!(svg.contains("except adaptive"), bars == 9);
            let height = number_after(&svg, 0, "height=\"");
            let tops: Vec<f64> = svg
                .match_indices("<rect x=")
                .map(|(at, _)| number_after(&svg, at, " y=\""))
                .collect();
            // Bars top to bottom, none over another, and the footer below the last one.
            assert!(tops.windows(2).all(|w| w[1] >= w[0] + BAR), "{tops:?}");
            let footer: Vec<f64> = svg
                .match_indices(r#"font-size="12""#)
                .map(|(at, _)| number_after(&svg[..at], svg[..at].rfind("<text").unwrap(), " y=\""))
                .collect();
            assert_eq!(footer.len(), 2, "{svg}");
            assert!(
                footer[0] > tops[tops.len() - 1] + BAR,
                "{footer:?} {tops:?}"
            );
            assert!(footer[1] + 4.0 < height, "{footer:?} {height}");
        }
    }
}
