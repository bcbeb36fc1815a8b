//! What the screens show that is computed from the state: the mirrors a
//! registry gets, probe labels, the review's counts. Pure functions over
//! the catalog, the selection and the measurements (no `App`).

use crate::catalog::{Catalog, Preset};
use crate::plan::{ChangeKind, Plan};
use crate::probe::ProbeResult;
use crate::registry::RegistryName;
use crate::selection::{Choice, Selection, Target};
use std::collections::BTreeMap;

/// Mirror measurements as they arrive.
#[derive(Debug, Default)]
pub struct Probes {
    /// (registry, url) → result.
    pub results: BTreeMap<(String, String), ProbeResult>,
    /// Still measuring (some have not answered yet).
    pub running: bool,
}

impl Probes {
    /// A short measurement for a mirror URL, if probed.
    pub fn label(&self, registry: &RegistryName, url: &str) -> Option<String> {
        let r = self.results.get(&(registry.to_string(), url.to_string()))?;
        use crate::probe::ProbeStatus as S;
        Some(match (r.status, r.latency_ms) {
            (S::Ok, Some(ms)) => crate::t!("wizard.probe.ms", ms = ms),
            (S::Slow, Some(ms)) => crate::t!("wizard.probe.slow_ms", ms = ms),
            (status, _) => status.label().to_string(),
        })
    }

    /// How many of a preset's mirrors answered, for the preset list.
    pub fn preset_summary(&self, preset: &Preset) -> Option<String> {
        let probed: Vec<_> = self
            .results
            .values()
            .filter(|p| p.source == preset.id)
            .collect();
        if probed.is_empty() {
            return self
                .running
                .then(|| crate::t!("wizard.preset.measuring").to_string());
        }
        let ok = probed.iter().filter(|p| p.status.works()).count();
        let total = probed.len();
        Some(crate::t!("wizard.preset.answered", ok = ok, total = total))
    }
}

/// Summary counts for the review header.
pub fn change_counts(plan: &Plan) -> (usize, usize, usize) {
    plan.changes
        .iter()
        .fold((0, 0, 0), |(n, c, u), ch| match ch.kind() {
            ChangeKind::Create => (n + 1, c, u),
            ChangeKind::Modify | ChangeKind::Delete => (n, c + 1, u),
            ChangeKind::Unchanged => (n, c, u + 1),
        })
}

/// Mirrors a target writes, for the table, with their measurements.
pub fn target_mirrors(
    catalog: &Catalog,
    sel: &Selection,
    probes: &Probes,
    r: &RegistryName,
) -> String {
    let mut one = Selection::default();
    match sel
        .mirrors
        .get(r)
        .cloned()
        .or_else(|| sel.preset.clone().map(Choice::Preset))
    {
        Some(c) => one.mirrors.insert(r.clone(), c),
        None => return String::new(),
    };
    let label = |url: String| match probes.label(r, &url) {
        Some(l) => format!("{url} ({l})"),
        None => url,
    };
    match one.resolve(catalog) {
        Ok(targets) => match targets.first() {
            Some(Target::Write(spec))
                if spec
                    .hosts
                    .iter()
                    .all(|h| Some(h.endpoint.url()) == spec.server) =>
            {
                crate::t!("wizard.registries.itself").into()
            }
            Some(Target::Write(spec)) => spec
                .hosts
                .iter()
                .map(|h| label(h.endpoint.url()))
                .collect::<Vec<_>>()
                .join(", "),
            Some(Target::Remove(_)) => crate::t!("wizard.registries.remove").into(),
            None => String::new(),
        },
        Err(e) => format!("! {e}"),
    }
}

/// Once every probe is in, each registry defaults to its fastest working
/// mirror (the caller skips this once the user chose). With no network
/// every probe fails and the catalog order stands.
pub fn prefer_fastest(catalog: &Catalog, selection: &mut Selection, probes: &Probes) {
    let results: Vec<ProbeResult> = probes.results.values().cloned().collect();
    let current = selection.preset.clone();
    for (registry, best) in crate::probe::recommend(&results) {
        let (Some(best), Ok(r)) = (best, RegistryName::parse(&registry)) else {
            continue;
        };
        if best.source == "upstream" || current.as_deref() == Some(best.source.as_str()) {
            continue;
        }
        // Keep the recommended preset where it works too.
        let preset_works = results.iter().any(|x| {
            x.registry == registry
                && Some(x.source.as_str()) == current.as_deref()
                && x.status == crate::probe::ProbeStatus::Ok
        });
        if !preset_works && catalog.preset(&best.source).is_ok() {
            selection
                .mirrors
                .insert(r, Choice::Preset(best.source.clone()));
        }
    }
}

/// The preset whose `<id>` URLs these are, with the user's ID put in
/// (Aliyun's and Huawei Cloud's accelerators): the row is that preset's,
/// not "custom".
pub fn preset_with_id<'a>(
    catalog: &'a Catalog,
    r: &'a RegistryName,
    urls: &[String],
) -> Option<&'a Preset> {
    catalog.presets_for(r).filter(|p| p.needs_id()).find(|p| {
        let Some(template) = p.mirrors_for(r) else {
            return false;
        };
        template.len() == urls.len()
            && template.iter().zip(urls).all(|(t, u)| {
                let Some((pre, post)) = t.split_once("<id>") else {
                    return false;
                };
                u.len() > pre.len() + post.len() && u.starts_with(pre) && u.ends_with(post)
            })
    })
}
