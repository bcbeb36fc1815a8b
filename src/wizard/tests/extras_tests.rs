//! The Extras step: each row preselected where the node needs it (doctor's
//! word), Space and `d`, the editors it opens (proxy and its cluster
//! question, pause image, fallback mirror, private registries), and the
//! rows a node does not get.

use super::super::app::{update, App, Effect, Msg, PlanState, Step};
use super::super::editor::Editor;
use super::super::extras_step::Extra;
use super::*;
use crossterm::event::KeyCode::{self, Char, Down, Enter, Esc};

/// Moves the Extras cursor to `extra`'s row (which rows are shown depends
/// on the node).
pub(super) fn to_extra(a: &mut App, extra: Extra) {
    let row = a
        .shown_extras()
        .iter()
        .position(|e| *e == extra)
        .unwrap_or_else(|| panic!("{extra:?} is not shown"));
    while a.extras.cursor > row {
        key(a, KeyCode::Up);
    }
    while a.extras.cursor < row {
        key(a, KeyCode::Down);
    }
}

#[test]
fn extras_are_off_unless_needed_and_space_changes_them() {
    let (_d, mut node) = demo_node();
    node.service.manager = crate::node::ServiceManager::Systemd;
    let mut a = app();
    update(&mut a, Msg::Detected(Box::new(node)));
    keys(&mut a, &[Enter, Enter, Enter]);
    assert_eq!(a.step, Step::Extras);
    // The demo's SystemdCgroup is already true: nothing to recommend.
    assert_eq!(a.selection.extras.systemd_cgroup, None);
    assert_eq!(a.selection.extras.sandbox_image, None);
    key(&mut a, Char(' '));
    assert_eq!(a.selection.extras.systemd_cgroup, Some(true));
    key(&mut a, Down);
    key(&mut a, Char(' '));
    assert_eq!(
        a.selection.extras.sandbox_image.as_deref(),
        Some("k8s.m.daocloud.io/pause:3.8"),
        "the chosen registry.k8s.io mirror, 1.7's tag"
    );
    key(&mut a, Char(' '));
    assert_eq!(
        a.selection.extras.sandbox_image.as_deref(),
        Some("registry.aliyuncs.com/google_containers/pause:3.8")
    );
    key(&mut a, Down);
    key(&mut a, Char(' '));
    typed(&mut a, "ftp://proxy");
    assert!(matches!(
        &a.editor,
        Some(Editor::Proxy { error: Some(_), .. })
    ));
    for _ in 0..11 {
        key(&mut a, KeyCode::Backspace);
    }
    typed(&mut a, "http://proxy.corp:3128");
    key(&mut a, Enter);
    // The node shows no cluster ranges (no kubeadm or kubelet config):
    // the wizard asks for them, checks them as typed, adds them.
    assert!(
        matches!(&a.editor, Some(Editor::ClusterRanges { .. })),
        "{:?}",
        a.editor
    );
    assert!(screen(&a).contains(crate::t!("wizard.extras.cluster_title").trim()));
    // Esc goes back to the URL, still typed (the footer says so); Enter
    // asks again.
    let s = screen(&a);
    assert!(s.contains(crate::t!("wizard.footer.back")), "{s}");
    assert!(!s.contains(crate::t!("wizard.footer.cancel")), "{s}");
    key(&mut a, Esc);
    assert!(
        matches!(&a.editor, Some(Editor::Proxy { input, .. }) if input == "http://proxy.corp:3128")
    );
    key(&mut a, Enter);
    assert!(
        matches!(&a.editor, Some(Editor::ClusterRanges { .. })),
        "{:?}",
        a.editor
    );
    typed(&mut a, "100.64.0.0/33");
    assert!(matches!(
        &a.editor,
        Some(Editor::ClusterRanges { error: Some(_), .. })
    ));
    key(&mut a, KeyCode::Backspace);
    typed(&mut a, "0");
    key(&mut a, Enter);
    assert_eq!(
        a.selection.extras.proxy,
        Some(crate::extras::Proxy::Set {
            url: "http://proxy.corp:3128".into(),
            no_proxy: crate::extras::NoProxy::Default {
                cluster: vec!["100.64.0.0/30".into()]
            }
        })
    );
    // The row says what NO_PROXY gets besides the defaults.
    assert!(screen(&a).contains("100.64.0.0/30"), "{}", screen(&a));
    key(&mut a, Enter);
    assert_eq!(a.step, Step::Review);
    let PlanState::Ready(plan) = &a.review.plan else {
        panic!()
    };
    let cfg = plan.changes[0].after_text().unwrap();
    assert!(
        cfg.contains("sandbox_image = \"registry.aliyuncs.com/google_containers/pause:3.8\""),
        "{cfg}"
    );
    let drop_in = plan
        .changes
        .iter()
        .find(|c| c.path == std::path::Path::new(crate::paths::PROXY_DROP_IN))
        .and_then(|c| c.after_text())
        .unwrap();
    assert!(
        drop_in.contains(",.cluster.local,100.64.0.0/30\""),
        "{drop_in}"
    );
    // Saved, the profile keeps the ranges given, not this node's list.
    let profile = a.profile_selection().to_profile();
    assert!(
        profile.contains("cluster_cidrs = [\"100.64.0.0/30\"]"),
        "{profile}"
    );
    assert!(!profile.contains("no_proxy"), "{profile}");

    // On a systemd node whose runc does not use it, SystemdCgroup is preselected.
    let (_d, mut bare) = demo_node();
    bare.service.manager = crate::node::ServiceManager::Systemd;
    bare.containerd_config.text = Some("version = 2\n".into());
    let mut b = app();
    update(&mut b, Msg::Detected(Box::new(bare)));
    keys(&mut b, &[Enter, Enter, Enter]);
    assert_eq!(b.selection.extras.systemd_cgroup, Some(true));
    assert!(screen(&b).contains("recommended: PID 1 is systemd"));
}

#[test]
fn private_registries_and_the_fallback_mirror_from_the_extras_step() {
    let (d, mut a) = detected();
    keys(&mut a, &[Enter, Enter, Enter]);
    assert_eq!(a.step, Step::Extras);
    // _default: a fallback for every other registry.
    to_extra(&mut a, Extra::DefaultMirror);
    key(&mut a, Char(' '));
    typed(&mut a, "https://cache.corp.example");
    key(&mut a, Enter);
    let default = RegistryName::parse("_default").unwrap();
    assert_eq!(
        a.selection.mirrors.get(&default),
        Some(&Choice::Urls(vec!["https://cache.corp.example".into()]))
    );
    // A private registry: plain http cannot carry a CA file.
    to_extra(&mut a, Extra::PrivateRegistry);
    key(&mut a, Char(' '));
    typed(&mut a, "harbor.corp:8443");
    key(&mut a, KeyCode::Tab);
    let ca = d.path().join("ca.pem");
    std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
    typed(&mut a, ca.to_str().unwrap());
    for _ in 0..3 {
        key(&mut a, KeyCode::Tab);
    }
    typed(&mut a, "robot:s3cret");
    key(&mut a, KeyCode::Tab);
    key(&mut a, Char(' '));
    key(&mut a, Char(' '));
    assert!(key(&mut a, Enter).is_empty());
    let Some(Editor::Private(form)) = &a.editor else {
        panic!("{:?}", a.editor)
    };
    assert!(
        form.error
            .as_deref()
            .unwrap()
            .contains("cannot be combined"),
        "{:?}",
        form.error
    );
    key(&mut a, Char(' ')); // back to https
    let effects = key(&mut a, Enter);
    let [Effect::AddPrivate(r)] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    // The runtime reads the CA file, then reports.
    let mut r = (**r).clone();
    r.load_files().unwrap();
    update(&mut a, Msg::PrivateReady(Ok(Box::new(r))));
    assert_eq!(
        a.selection.extras.private[0].host.as_str(),
        "harbor.corp:8443"
    );
    assert!(screen(&a).contains("[x] harbor.corp:8443"));
    key(&mut a, Enter);
    let PlanState::Ready(plan) = &a.review.plan else {
        panic!()
    };
    let paths: Vec<String> = plan
        .changes
        .iter()
        .map(|c| c.path.display().to_string())
        .collect();
    assert!(
        paths.contains(&"/etc/containerd/certs.d/harbor.corp_8443_/ca.crt".to_string()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"/etc/containerd/certs.d/_default/hosts.toml".to_string()),
        "{paths:?}"
    );
    let hosts = plan
        .changes
        .iter()
        .find(|c| c.path.ends_with("harbor.corp_8443_/hosts.toml"))
        .unwrap();
    assert_eq!(hosts.mode, Some(0o600), "it holds a password");
}

#[test]
fn the_proxy_is_not_offered_where_nothing_reads_a_drop_in() {
    // The plan refuses a proxy on such a node: the wizard does not show the
    // choice, unless one was made already (a profile's), so it can be taken
    // back.
    let (_d, mut node) = demo_node();
    node.service.manager = crate::node::ServiceManager::None;
    node.service.has_systemd_units = false;
    let mut a = app();
    update(&mut a, Msg::Detected(Box::new(node)));
    keys(&mut a, &[Enter, Enter, Enter]);
    assert!(!a.shown_extras().contains(&Extra::Proxy));
    assert!(!screen(&a).contains(crate::t!("wizard.extras.proxy")));
    a.selection.extras.proxy =
        Some(crate::extras::Proxy::from_flags("http://p:3128", None, None).unwrap());
    to_extra(&mut a, Extra::Proxy);
    key(&mut a, Char('d'));
    assert_eq!(a.selection.extras.proxy, None);
    assert!(!a.shown_extras().contains(&Extra::Proxy));
    // Had it been shown, Space says why instead of opening the editor.
    let why =
        super::super::extras_step::cannot_turn_on(Extra::Proxy, a.node.as_ref(), &a.selection);
    assert!(why.is_some_and(|n| n.contains("systemd")));
}

/// The client and CNI rows: preselected where doctor warns (its message is
/// the reason), Space toggles, `d` turns off, a choice that does nothing
/// is refused with why, and the Review plans the files.
#[test]
fn crictl_nerdctl_and_the_cni_dir_are_offered_as_doctor_advises() {
    // The demo: crictl without /etc/crictl.yaml, CNI plugins in /usr/lib/cni
    // where 1.7 looks in /opt/cni/bin, nerdctl reading the default dir.
    let (_d, node) = demo_node();
    let socket = node.service.address.display().to_string();
    let mut a = app();
    update(&mut a, Msg::Detected(Box::new(node)));
    keys(&mut a, &[Enter, Enter, Enter]);
    let x = &a.selection.extras;
    assert!(x.crictl, "crictl.yaml is missing: preselected");
    assert_eq!(x.cni_bin_dir, Some(crate::cni::CniBinDir::Auto));
    assert!(!x.nerdctl, "nerdctl already reads the hosts dir");
    let s = screen(&a);
    assert!(s.contains("/etc/crictl.yaml is missing"), "{s}");
    to_extra(&mut a, Extra::Nerdctl);
    assert!(screen(&a).contains("nerdctl reads its own hosts_dir"));
    // d turns crictl off; Space turns it back on.
    to_extra(&mut a, Extra::Crictl);
    key(&mut a, Char('d'));
    assert!(!a.selection.extras.crictl);
    key(&mut a, Char(' '));
    assert!(a.selection.extras.crictl);
    key(&mut a, Enter);
    let PlanState::Ready(plan) = &a.review.plan else {
        panic!("{:?}", a.review.plan)
    };
    let crictl = plan
        .changes
        .iter()
        .find(|c| c.path == std::path::Path::new(crate::paths::CRICTL_YAML))
        .and_then(|c| c.after_text())
        .unwrap();
    assert!(
        crictl.contains(&format!("runtime-endpoint: unix://{socket}")),
        "{crictl}"
    );
    assert!(plan.changes[0]
        .after_text()
        .unwrap()
        .contains("bin_dir = \"/usr/lib/cni\""));
    key(&mut a, Esc);

    // Where containerd already looks in the plugins' dir, Space says so.
    let (_d, mut node) = demo_node();
    node.containerd_config.text = Some(
        "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".cni]\n  bin_dir = \"/usr/lib/cni\"\n"
            .into(),
    );
    node.tools
        .retain(|t| t.name != crate::node::ToolName::Nerdctl);
    node.hosts_dir.path = "/etc/ctrwiz/certs.d".into();
    let mut b = app();
    update(&mut b, Msg::Detected(Box::new(node)));
    keys(&mut b, &[Enter, Enter, Enter]);
    assert_eq!(b.selection.extras.cni_bin_dir, None);
    to_extra(&mut b, Extra::CniBinDir);
    key(&mut b, Char(' '));
    assert_eq!(b.selection.extras.cni_bin_dir, None);
    assert!(
        b.notice
            .as_deref()
            .is_some_and(|n| n.contains("/usr/lib/cni")),
        "{:?}",
        b.notice
    );
    // No nerdctl: no row for it.
    assert!(!b.shown_extras().contains(&Extra::Nerdctl));

    // nerdctl installed and the hosts dir elsewhere: preselected.
    let (_d, mut node) = demo_node();
    node.hosts_dir.path = "/etc/ctrwiz/certs.d".into();
    let mut c = app();
    update(&mut c, Msg::Detected(Box::new(node)));
    keys(&mut c, &[Enter, Enter, Enter]);
    assert!(c.selection.extras.nerdctl);
    to_extra(&mut c, Extra::Nerdctl);
    assert!(
        screen(&c).contains("add /etc/ctrwiz/certs.d"),
        "{}",
        screen(&c)
    );
}

#[test]
fn proxy_no_proxy_list_removal_and_a_custom_pause_image() {
    let (_d, mut node) = demo_node();
    node.proxy_drop_in = Some("[Service]\nEnvironment=\"HTTPS_PROXY=http://old:3128\"\n".into());
    node.service.has_systemd_units = true;
    let mut a = app();
    update(&mut a, Msg::Detected(Box::new(node)));
    keys(&mut a, &[Enter, Enter, Enter]);
    to_extra(&mut a, Extra::Proxy);
    // The node's own proxy is named, kept unless changed, and the editor
    // opens on it.
    assert!(
        screen(&a).contains("keep http://old:3128"),
        "{}",
        screen(&a)
    );
    key(&mut a, Char(' '));
    assert!(
        matches!(&a.editor, Some(Editor::Proxy { input, .. }) if input == "http://old:3128"),
        "{:?}",
        a.editor
    );
    for _ in 0..20 {
        key(&mut a, KeyCode::Backspace);
    }
    // URL plus its own NO_PROXY list.
    typed(&mut a, "http://proxy.corp:3128 localhost,.corp");
    key(&mut a, Enter);
    assert_eq!(
        a.selection.extras.proxy,
        Some(crate::extras::Proxy::Set {
            url: "http://proxy.corp:3128".into(),
            no_proxy: crate::extras::NoProxy::Exactly(vec!["localhost".into(), ".corp".into()])
        })
    );
    // Emptied: the existing drop-in is removed.
    key(&mut a, Char(' '));
    for _ in 0..40 {
        key(&mut a, KeyCode::Backspace);
    }
    key(&mut a, Enter);
    assert_eq!(a.selection.extras.proxy, Some(crate::extras::Proxy::Remove));
    // Pause image: keep → mirror's → Aliyun's → custom…
    key(&mut a, KeyCode::Up);
    for _ in 0..3 {
        key(&mut a, Char(' '));
    }
    assert!(matches!(a.editor, Some(Editor::PauseImage { .. })));
    typed(&mut a, "harbor.corp/k8s/pause");
    key(&mut a, Enter);
    assert!(
        matches!(&a.editor, Some(Editor::PauseImage { error: Some(e), .. }) if e.contains("tag"))
    );
    typed(&mut a, ":3.8");
    key(&mut a, Enter);
    assert_eq!(
        a.selection.extras.sandbox_image.as_deref(),
        Some("harbor.corp/k8s/pause:3.8")
    );
    key(&mut a, Enter);
    let PlanState::Ready(plan) = &a.review.plan else {
        panic!()
    };
    assert!(
        plan.changes
            .iter()
            .any(|c| c.path.ends_with("http-proxy.conf") && c.after.is_none()),
        "the drop-in is removed"
    );
}
